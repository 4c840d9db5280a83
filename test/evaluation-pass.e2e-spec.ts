import { SafetyGate, parseRuleSet, type RuleSet, type SafetyLimits } from '@app/rules';
import { ZendeskClient, type CapacityRule, type UnifiedStatus } from '@app/zendesk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditStore } from '../apps/router/src/audit/audit.store';
import { SqliteAuditStore } from '../apps/router/src/audit/sqlite/sqlite-audit.store';
import { WriteJournal } from '../apps/router/src/apply/write.journal';
import { EvaluationPass } from '../apps/router/src/pipeline/evaluation.pass';
import { AgentStateCache } from '../apps/router/src/sync/agent-state.cache';
import { startSim, type SimHarness } from './support/sim.harness';

const AGENT = 360_099_100_001;
const T0 = Date.parse('2026-11-23T09:00:00Z');
const MINUTE = 60_000;
const NO_LIMITS = { humanHoldS: 0, maxChangesPerMin: 1_000, minOnlinePerGroup: 0 };

const RULES = (mode: 'enforce' | 'shadow') =>
  parseRuleSet([
    {
      path: 'idle.yaml',
      text: `rules:
  - name: messaging-idle-away
    mode: ${mode}
    for: 5m
    when:
      all:
        - { fact: status.name, operator: equal, value: online }
        - { fact: messaging.status, operator: equal, value: online }
        - { fact: idleMinutes, operator: atLeastDuration, value: 15m }
    then: { set_status: away }
`,
    },
  ]);

/** Sets agents online (as a person would) with no work at all, optionally into groups. */
async function idleOnline(sim: SimHarness, agentIds: number[], groupIds?: number[]): Promise<void> {
  for (const id of agentIds) {
    const agent = (await sim.control('get', `/agents/${id}`)).body.agent;
    await sim.control(
      'put',
      `/agents/${id}`,
      groupIds ? { status_id: 3, group_ids: groupIds } : { status_id: 3 },
    );
    const channels = agent.channels as Record<string, { work_items: Array<{ id: number }> }>;
    for (const [channel, state] of Object.entries(channels)) {
      for (const item of state.work_items)
        await sim.control('delete', `/agents/${id}/work_items/${channel}/${item.id}`);
    }
  }
}

/** A simulator, a client on it and a fresh audit file per test, reset before each test. */
function simulatorWithAudit(
  agentCount: number,
  prepare: (sim: SimHarness) => Promise<void> = async () => {},
) {
  const env = {} as { sim: SimHarness; client: ZendeskClient; audit: AuditStore; statuses: UnifiedStatus[] };
  let dir: string;
  beforeAll(async () => {
    env.sim = await startSim({ agentCount, rateLimitPerMin: 100_000 });
    env.client = new ZendeskClient({
      baseUrl: env.sim.url,
      auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
    });
  });
  afterAll(async () => {
    env.client.close();
    await env.sim.close();
  });
  beforeEach(async () => {
    await env.sim.control('post', '/reset', { agents: agentCount });
    await prepare(env.sim);
    env.statuses = await env.client.listStatuses();
    dir = mkdtempSync(join(tmpdir(), 'pass-'));
    env.audit = new SqliteAuditStore(join(dir, 'audit.sqlite'));
  });
  afterEach(async () => {
    await env.audit.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return env;
}

/** Evaluation of `ruleSet` (as after a start: its own cache and journal) at the time `now` holds. */
async function newPass(
  env: { client: ZendeskClient; audit: AuditStore; statuses: UnifiedStatus[] },
  ruleSet: RuleSet,
  options: {
    now?: { value: number };
    safety?: SafetyLimits;
    capacityRules?: () => readonly CapacityRule[];
    onCapacityRuleChanged?: (rule: CapacityRule) => void;
  } = {},
) {
  const cache = new AgentStateCache();
  const now = options.now ?? { value: T0 };
  const journal = new WriteJournal(env.audit);
  await journal.load();
  const pass = new EvaluationPass({
    cache,
    client: env.client,
    audit: env.audit,
    journal,
    gate: new SafetyGate(options.safety ?? NO_LIMITS, () => false),
    enforce: true,
    statuses: () => env.statuses,
    capacityRules: options.capacityRules ?? (() => []),
    now: options.now ? () => now.value : Date.now,
    onCapacityRuleChanged: options.onCapacityRuleChanged,
  });
  await pass.load();
  pass.useRules(ruleSet);
  return { cache, now, pass };
}

describe('an evaluation pass against the simulator', () => {
  const env = simulatorWithAudit(5, async (sim) => {
    await sim.freezeClock(new Date(T0).toISOString());
    // The agent is online on messaging with no work at all.
    await idleOnline(sim, [AGENT]);
  });

  async function runAt(
    pass: EvaluationPass,
    cache: AgentStateCache,
    minutes: number,
    now: { value: number },
  ) {
    now.value = T0 + minutes * MINUTE;
    cache.applySnapshot(await env.client.getAgentAvailability(AGENT), now.value);
    return pass.run([[AGENT, { kind: 'tick', at: now.value }]]);
  }

  it('sets an idle messaging agent away once `for` has passed, and records why', async () => {
    const { cache, now, pass } = await newPass(env, RULES('enforce'), { now: { value: T0 } });
    expect(await runAt(pass, cache, 10, now)).toEqual([]); // idle 10 minutes: no match
    expect(await runAt(pass, cache, 16, now)).toEqual([]); // matches; `for` starts
    const [decision] = await runAt(pass, cache, 21, now);
    expect(decision).toMatchObject({
      agentId: AGENT,
      rule: 'messaging-idle-away',
      outcome: 'applied',
      action: { set_status: 'away' },
    });
    expect(decision!.facts).toEqual({
      'status.name': 'online',
      'messaging.status': 'online',
      idleMinutes: 21,
    });

    const agent = await env.client.getAgentAvailability(AGENT);
    expect(agent.status).toMatchObject({ name: 'away', reason: 'PUBLIC_API' });
    const stored = (await env.audit.decisions({ agentId: AGENT })).decisions;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      outcome: 'applied',
      revision: pass.ruleSet!.revision,
      explanation: { kind: 'all', passed: true },
    });
  });

  it('changes nothing in shadow mode, and records what it would have done', async () => {
    const { cache, now, pass } = await newPass(env, RULES('shadow'), { now: { value: T0 } });
    await runAt(pass, cache, 16, now);
    await env.sim.control('delete', '/requests');
    const [decision] = await runAt(pass, cache, 21, now);
    expect(decision).toMatchObject({ outcome: 'shadow', reason: 'the rule is in shadow mode' });
    const writes = (await env.sim.control('get', '/requests')).body.requests.filter(
      (r: { method: string }) => r.method !== 'GET',
    );
    expect(writes).toEqual([]);
    expect((await env.client.getAgentAvailability(AGENT)).status?.name).toBe('online');
  });

  it('keeps `for` timers across a restart through the audit store', async () => {
    const now = { value: T0 };
    const first = await newPass(env, RULES('enforce'), { now });
    await runAt(first.pass, first.cache, 16, now);
    // A new pass (as after a restart) picks the pending timer up from the store: it fires at +21m, not +26m.
    const { cache, pass: second } = await newPass(env, RULES('enforce'), { now });
    const [decision] = await runAt(second, cache, 21, now);
    expect(decision).toMatchObject({ outcome: 'applied' });
  });
});

describe('safety limits in an evaluation pass', () => {
  const AGENTS = [0, 1, 2, 3, 4].map((i) => AGENT + i);
  const GROUP = 360_001_000_003;
  const env = simulatorWithAudit(5, async (sim) => {
    await sim.freezeClock(new Date(T0).toISOString());
    // Five idle agents online in one group, each set online by a person at T0.
    await idleOnline(sim, AGENTS, [GROUP]);
  });

  async function passAt(
    pass: EvaluationPass,
    cache: AgentStateCache,
    minutes: number,
    now: { value: number },
  ) {
    now.value = T0 + minutes * MINUTE;
    for (const id of AGENTS) cache.applySnapshot(await env.client.getAgentAvailability(id), now.value);
    return pass.run(AGENTS.map((id) => [id, { kind: 'tick', at: now.value }] as const));
  }

  const setUp = (safety: SafetyLimits) => newPass(env, RULES('enforce'), { now: { value: T0 }, safety });

  it('leaves an agent a person just set alone for the hold, recording it once', async () => {
    const { cache, now, pass } = await setUp({
      humanHoldS: 1_800,
      maxChangesPerMin: 100,
      minOnlinePerGroup: 0,
    });
    await passAt(pass, cache, 16, now);
    const held = await passAt(pass, cache, 21, now);
    expect(held.map((d) => d.outcome)).toEqual([
      'suppressed',
      'suppressed',
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
    expect(held[0]!.reason).toMatch(/^a person set online 21 min ago; rules wait until /);
    expect(await passAt(pass, cache, 25, now)).toEqual([]);
    const after = await passAt(pass, cache, 30, now);
    expect(after.map((d) => d.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
  });

  it('sends no more than the per-minute limit', async () => {
    const { cache, now, pass } = await setUp({ humanHoldS: 0, maxChangesPerMin: 2, minOnlinePerGroup: 0 });
    await passAt(pass, cache, 16, now);
    const decisions = await passAt(pass, cache, 21, now);
    expect(decisions.map((d) => d.outcome)).toEqual([
      'applied',
      'applied',
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
    expect(decisions[2]!.reason).toBe('safety limit: 2 status changes in the last minute (at most 2)');
    const writes = (await env.sim.control('get', '/requests')).body.requests.filter(
      (r: { method: string }) => r.method === 'PUT',
    );
    expect(writes).toHaveLength(2);
  });

  it('never takes a group below its minimum of agents online', async () => {
    const { cache, now, pass } = await setUp({ humanHoldS: 0, maxChangesPerMin: 100, minOnlinePerGroup: 3 });
    await passAt(pass, cache, 16, now);
    const decisions = await passAt(pass, cache, 21, now);
    expect(decisions.map((d) => d.outcome)).toEqual([
      'applied',
      'applied',
      'suppressed',
      'suppressed',
      'suppressed',
    ]);
    expect(decisions[2]!.reason).toBe(`safety limit: group ${GROUP} would have 2 agents online (at least 3)`);
    const online = [];
    for (const id of AGENTS) online.push((await env.client.getAgentAvailability(id)).status?.name);
    expect(online.filter((s) => s === 'online')).toHaveLength(3);
  });
});

describe('capacity rules in an evaluation pass', () => {
  const AGENTS = [0, 1, 2].map((i) => AGENT + i);
  const SURGE = parseRuleSet([
    {
      path: 'capacity.yaml',
      text: `rules:
  - name: surge
    when: { fact: account.messaging.agentsOnline, operator: greaterThanInclusive, value: 3 }
    then: { set_capacity: { rule: Default capacity, capacities: { messaging: 5 } } }
`,
    },
  ]);

  const env = simulatorWithAudit(3);

  async function refresh(cache: AgentStateCache) {
    for (const id of AGENTS) cache.applySnapshot(await env.client.getAgentAvailability(id), Date.now());
  }
  const defaultRule = async () =>
    (await env.client.listCapacityRules()).find((r) => r.name === 'Default capacity')!;

  it('raises capacity while the condition holds and restores the recorded baseline after', async () => {
    let rules = await env.client.listCapacityRules();
    const { cache, pass } = await newPass(env, SURGE, {
      capacityRules: () => rules,
      onCapacityRuleChanged: (rule) => (rules = [...rules.filter((r) => r.id !== rule.id), rule]),
    });
    const baseline = (await defaultRule()).capacities;
    await idleOnline(env.sim, AGENTS);
    await refresh(cache);

    const [raised] = await pass.runAccount({ kind: 'tick', at: Date.now() });
    expect(raised).toMatchObject({ target: 'capacity:Default capacity', rule: 'surge', outcome: 'applied' });
    expect((await defaultRule()).capacities).toEqual({ ...baseline, messaging: 5 });
    expect(await env.audit.state('baselines')).toEqual({
      'Default capacity': { messaging: baseline.messaging },
    });
    // Still holding: nothing new to do or record.
    expect(await pass.runAccount({ kind: 'tick', at: Date.now() })).toEqual([]);

    await env.sim.control('put', `/agents/${AGENTS[0]}`, { status_id: 2 });
    await refresh(cache);
    const [restored] = await pass.runAccount({ kind: 'tick', at: Date.now() });
    expect(restored).toMatchObject({
      rule: 'surge',
      outcome: 'applied',
      action: { revert: 'Default capacity' },
      reason: `rule surge no longer matches; Default capacity restored to ${JSON.stringify({ messaging: baseline.messaging })}`,
      facts: { 'account.messaging.agentsOnline': 2 },
    });
    expect((await defaultRule()).capacities).toEqual(baseline);
    expect(await env.audit.state('baselines')).toEqual({});
  });
});
