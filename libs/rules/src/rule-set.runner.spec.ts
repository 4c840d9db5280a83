import { DecisionMemory } from './decision.memory';
import { paperExecutors } from './paper.executors';
import { parseRuleSet } from './rule-set.parser';
import { RuleSetRunner, type ActionExecutors, type RunnerDeps, type TargetState } from './rule-set.runner';
import type { Facts } from './rule.evaluator';
import { RulePlanner } from './rule.planner';
import { SafetyGate, type SafetyLimits } from './safety.gate';

const T0 = Date.parse('2026-11-23T10:00:00+01:00'); // a Monday
const MINUTE = 60_000;
const NO_LIMITS: SafetyLimits = { humanHoldS: 0, maxChangesPerMin: 1_000, minOnlinePerGroup: 0 };

const RULES = `timezone: Europe/Berlin
statuses: [Break, Lunch]
rules:
  - name: idle-away
    priority: 10
    for: 10m
    cooldown: 30m
    when: { fact: idleMinutes, operator: atLeastDuration, value: 15m }
    then: { set_status: away }
  - name: very-idle-offline
    priority: 20
    when: { fact: idleMinutes, operator: atLeastDuration, value: 40m }
    then: { set_status: offline }
  - name: vip-only
    priority: 5
    scope: { groups: [99] }
    when: { fact: status.name, operator: equal, value: online }
    then: { set_status: transfers_only }
  - name: retired
    enabled: false
    when: { fact: status.name, operator: equal, value: online }
    then: { set_status: away }
  - name: break-back
    mode: shadow
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: online }
  - name: lunch-away
    priority: 1
    when: { fact: status.name, operator: equal, value: Lunch }
    then: { set_status: 4242 }
  - name: late-offline
    priority: 40
    scope: { agents: [7] }
    when: { fact: localTime.hour, operator: greaterThanInclusive, value: 20 }
    then: { set_status: offline }
  - name: surge
    keepFor: 10m
    when: { fact: account.messaging.utilization, operator: greaterThan, value: 0.8 }
    then: { set_capacity: { rule: Default, capacities: { messaging: 5 } } }
`;

function setUp(options: { limits?: SafetyLimits; executors?: ActionExecutors; enforce?: boolean } = {}) {
  const runner = new RuleSetRunner(parseRuleSet([{ path: 'rules.yaml', text: RULES }]));
  let paused = false;
  const deps: RunnerDeps = {
    planner: new RulePlanner(),
    memory: new DecisionMemory(),
    gate: new SafetyGate(options.limits ?? NO_LIMITS, () => paused),
    executors: options.executors ?? paperExecutors(),
    enforce: options.enforce ?? true,
  };
  const agent = (facts: Facts, version = 1, groups: number[] = [1]): TargetState => ({
    target: 'agent:1',
    agent: { id: 1, groups, facts: { 'agent.id': 1, 'agent.groups': groups, ...facts } },
    stateKey: String(version),
  });
  const decide = (state: TargetState, at: number) =>
    runner.decide(
      state,
      runner.evaluateAgent(state.agent!, state.agent!.facts, runner.timeFacts(at)),
      at,
      deps,
    );
  const standings = async (state: TargetState, at: number) => {
    const explained = await runner.evaluator.evaluateAgent(state.agent!, state.agent!.facts, at);
    deps.gate.startPass(
      () => new Map([[1, 1]]),
      () => undefined,
    );
    return Object.fromEntries(
      runner.explainTarget(state, explained, at, deps).map((r) => [r.rule.name, r.standing]),
    );
  };
  return { runner, deps, agent, decide, standings, pause: (on: boolean) => (paused = on) };
}

describe('the rule-set runner', () => {
  it('explains where every rule stands: each planner state with its times', async () => {
    const { agent, decide, standings } = setUp();
    const idle = (minutes: number) => agent({ 'status.name': 'online', idleMinutes: minutes });
    await decide(idle(15), T0);
    expect(await standings(idle(20), T0 + 5 * MINUTE)).toMatchObject({
      'idle-away': { state: 'pending', since: T0, firesAt: T0 + 10 * MINUTE },
      'very-idle-offline': { state: 'not_matched' },
      'vip-only': { state: 'out_of_scope' },
      retired: { state: 'disabled' },
      'break-back': { state: 'not_matched' },
    });
    expect((await decide(idle(25), T0 + 10 * MINUTE)).map((d) => [d.ruleName, d.outcome])).toEqual([
      ['idle-away', 'applied'],
    ]);
    expect((await standings(idle(30), T0 + 15 * MINUTE))['idle-away']).toEqual({
      state: 'cooldown',
      until: T0 + 40 * MINUTE,
    });
    expect(await standings(idle(45), T0 + 16 * MINUTE)).toMatchObject({
      'idle-away': { state: 'outranked', by: 'very-idle-offline' },
      'very-idle-offline': { state: 'fires', shadow: false },
    });
    expect(await standings(agent({ 'status.name': 'offline', idleMinutes: 45 }), T0)).toMatchObject({
      'very-idle-offline': { state: 'no_op', reason: 'already offline' },
    });
    expect(await standings(agent({ 'status.name': 'Break' }), T0)).toMatchObject({
      'break-back': { state: 'fires', shadow: true },
    });
  });

  it('explains a hold with why and until when, an invalid action, a change on its way and a kept change', async () => {
    const onItsWay: ActionExecutors = {
      ...paperExecutors(),
      set_status: { ...paperExecutors().set_status, inspect: () => ({ kind: 'in_flight' }) },
    };
    const held = setUp({ limits: { ...NO_LIMITS, humanHoldS: 600 } });
    const byPerson = held.agent({
      'status.name': 'online',
      'status.setBy': 'human',
      'status.minutes': 4,
      idleMinutes: 45,
    });
    expect((await held.standings(byPerson, T0))['very-idle-offline']).toEqual({
      state: 'held',
      hold: 'human_hold',
      reason: `a person set online 4 min ago; rules wait until ${new Date(T0 + 6 * MINUTE).toISOString()}`,
      until: T0 + 6 * MINUTE,
    });

    const invalid = setUp({
      executors: {
        ...paperExecutors(),
        set_status: {
          ...paperExecutors().set_status,
          inspect: (_s, action) =>
            action.status === 4242
              ? { kind: 'invalid', reason: 'the account has no status 4242' }
              : { kind: 'needed', leavesOnline: false },
        },
      },
    });
    expect((await invalid.standings(invalid.agent({ 'status.name': 'Lunch' }), T0))['lunch-away']).toEqual({
      state: 'invalid',
      reason: 'the account has no status 4242',
    });

    const inFlight = setUp({ executors: onItsWay });
    expect(
      (await inFlight.standings(inFlight.agent({ 'status.name': 'online', idleMinutes: 45 }), T0))[
        'very-idle-offline'
      ],
    ).toEqual({
      state: 'in_flight',
    });

    const { runner, deps } = setUp();
    const account = (utilization: number): [TargetState, Facts] => [
      { target: 'capacity:Default', agent: null, stateKey: String(utilization) },
      { 'account.messaging.utilization': utilization },
    ];
    const accountPass = async (utilization: number, at: number) => {
      const [state, facts] = account(utilization);
      const evaluations = runner.evaluateAccount(facts, runner.timeFacts(at));
      return runner.decide(state, evaluations, at, deps);
    };
    expect((await accountPass(0.9, T0)).map((d) => d.outcome)).toEqual(['applied']);
    expect(await accountPass(0.5, T0 + MINUTE)).toEqual([]);
    const [state, facts] = account(0.5);
    const explained = await runner.evaluator.evaluateAccount(facts, T0 + 2 * MINUTE);
    expect(runner.explainTarget(state, explained, T0 + 2 * MINUTE, deps)[0]!.standing).toEqual({
      state: 'kept',
      until: T0 + 11 * MINUTE,
    });
  });

  it('records a held decision once, spends neither `for` nor cooldown on it, and acts when the hold ends', async () => {
    const { agent, decide, pause } = setUp();
    const idle = agent({ 'status.name': 'online', idleMinutes: 15 });
    pause(true);
    expect(await decide(idle, T0)).toEqual([]);
    const [held] = await decide(idle, T0 + 10 * MINUTE);
    expect(held).toMatchObject({
      ruleName: 'idle-away',
      outcome: 'suppressed',
      reason: 'the router is paused',
    });
    expect(await decide(idle, T0 + 11 * MINUTE)).toEqual([]);
    pause(false);
    // The `for` had run out while paused and no cooldown started: it acts at once.
    expect((await decide(idle, T0 + 12 * MINUTE)).map((d) => d.outcome)).toEqual(['applied']);
  });

  it('records a decision held by two limits in turn once per limit, not at each change between them', async () => {
    const { agent, decide, pause } = setUp({ limits: { ...NO_LIMITS, humanHoldS: 600 } });
    const person = agent({
      'status.name': 'online',
      'status.setBy': 'human',
      'status.minutes': 1,
      idleMinutes: 45,
    });
    pause(true);
    expect((await decide(person, T0)).map((d) => d.reason)).toEqual(['the router is paused']);
    pause(false);
    expect((await decide(person, T0 + MINUTE)).map((d) => d.reason)).toEqual([
      expect.stringMatching(/^a person set online 1 min ago/),
    ]);
    pause(true);
    expect(await decide(person, T0 + 2 * MINUTE)).toEqual([]);
    pause(false);
    expect(await decide(person, T0 + 3 * MINUTE)).toEqual([]);
  });

  it('retries a failed change at the next pass: a failure spends no cooldown', async () => {
    let fail = true;
    const executors: ActionExecutors = {
      ...paperExecutors(),
      set_status: {
        ...paperExecutors().set_status,
        apply: () =>
          Promise.resolve(fail ? { ok: false, reason: 'UPSTREAM: 503' } : { ok: true, reason: 'set' }),
      },
    };
    const { agent, decide } = setUp({ executors });
    const idle = agent({ 'status.name': 'online', idleMinutes: 45 });
    expect((await decide(idle, T0)).map((d) => d.outcome)).toEqual(['failed']);
    fail = false;
    expect((await decide(idle, T0 + MINUTE)).map((d) => d.outcome)).toEqual(['applied']);
  });

  it('records what shadow mode would do once while the target stays as it is, through the same limits', async () => {
    const { agent, decide } = setUp({ enforce: false, limits: { ...NO_LIMITS, maxChangesPerMin: 1 } });
    const idle = (version: number) => agent({ 'status.name': 'online', idleMinutes: 45 }, version);
    expect((await decide(idle(1), T0)).map((d) => [d.outcome, d.reason])).toEqual([
      ['shadow', 'enforcement is off'],
    ]);
    expect(await decide(idle(1), T0 + MINUTE / 2)).toEqual([]);
    // The agent changed: news again, and the shadow minute's one change is spent.
    expect((await decide(idle(2), T0 + MINUTE / 2)).map((d) => d.outcome)).toEqual(['suppressed']);
  });

  it('keeps counting an agent shadow took out of online as gone, while it stays as it was', async () => {
    const { runner, deps } = setUp({ enforce: false, limits: { ...NO_LIMITS, minOnlinePerGroup: 1 } });
    const agents = [1, 2].map((id) => ({
      target: `agent:${id}`,
      agent: {
        id,
        groups: [7],
        facts: { 'agent.id': id, 'agent.groups': [7], 'status.name': 'online', idleMinutes: 45 },
      },
      stateKey: 'v1',
    }));
    const pass = async (at: number) => {
      deps.gate.startPass(
        () => new Map([[7, 2]]),
        () => 'v1',
      );
      const outcomes: string[] = [];
      for (const state of agents) {
        const evaluations = runner.evaluateAgent(state.agent, state.agent.facts, runner.timeFacts(at));
        outcomes.push(
          ...(await runner.decide(state, evaluations, at, deps)).map((d) => `${d.target} ${d.outcome}`),
        );
      }
      return outcomes;
    };
    expect(await pass(T0)).toEqual(['agent:1 shadow', 'agent:2 suppressed']);
    // Nothing changed in Zendesk, so both are still online there; shadow still counts agent 1 gone.
    expect(await pass(T0 + 2 * MINUTE)).toEqual([]);
  });

  it('puts a change back when its rule leaves the rule set, with why', async () => {
    const { runner, deps } = setUp();
    const state: TargetState = { target: 'capacity:Default', agent: null, stateKey: '' };
    const facts = { 'account.messaging.utilization': 0.9 };
    await runner.decide(state, runner.evaluateAccount(facts, runner.timeFacts(T0)), T0, deps);
    const without = new RuleSetRunner(parseRuleSet([{ path: 'rules.yaml', text: 'rules: []\n' }]));
    const targets = without.accountTargets(
      without.evaluateAccount(facts, without.timeFacts(T0)),
      deps.planner,
    );
    expect([...targets.keys()]).toEqual(['capacity:Default']);
    const [revert] = await without.decide(state, targets.get('capacity:Default')!, T0 + MINUTE, deps);
    expect(revert).toMatchObject({
      ruleName: 'surge',
      rule: null,
      action: { revert: 'Default' },
      outcome: 'applied',
      reason: 'rule surge is no longer in the rule set; Default restored to its baseline',
    });
    expect(deps.planner.targetsWithChanges()).toEqual([]);
  });

  it('answers what-if at the time it is given, for agent and account rules', async () => {
    const { runner, deps } = setUp();
    const offHours = Date.parse('2026-11-23T22:00:00+01:00');
    const [agentTarget] = await runner.whatIf(
      {
        scope: 'agent',
        facts: { 'status.name': 'online', idleMinutes: 20 },
        agent: { id: 7, groups: [] },
        at: offHours,
      },
      deps,
    );
    const standing = (target: typeof agentTarget, rule: string) =>
      target!.rules.find((r) => r.rule.name === rule)!.standing;
    expect(standing(agentTarget, 'late-offline')).toEqual({ state: 'fires', shadow: false });
    // The same facts in the morning: the local hour is 10; the idle rule waits for its \`for\` either way.
    const [morning] = await runner.whatIf(
      {
        scope: 'agent',
        facts: { 'status.name': 'online', idleMinutes: 20 },
        agent: { id: 7, groups: [] },
        at: T0,
      },
      deps,
    );
    expect(standing(morning, 'late-offline')).toEqual({ state: 'not_matched' });
    expect(standing(morning, 'idle-away')).toEqual({
      state: 'pending',
      since: T0,
      firesAt: T0 + 10 * MINUTE,
    });
    const [capacity] = await runner.whatIf(
      {
        scope: 'account',
        facts: { 'account.messaging.utilization': 0.95 },
        agent: { id: 0, groups: [] },
        at: offHours,
      },
      deps,
    );
    expect(capacity).toMatchObject({
      target: 'capacity:Default',
      rules: [{ matched: true, standing: { state: 'fires' } }],
    });
  });
});
