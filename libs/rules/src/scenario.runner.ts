import { actionTarget } from './actions/action.registry';
import { DecisionMemory } from './decision.memory';
import { AGENT_CHANNELS, FACTS } from './facts';
import { paperExecutors } from './paper.executors';
import { RuleSetError } from './rule-set.errors';
import type { RuleSet } from './rule-set.model';
import {
  RuleSetRunner,
  describeStanding,
  type Decided,
  type RuleExplanation,
  type RunnerDeps,
  type TargetState,
} from './rule-set.runner';
import { formatExplanation, type Facts } from './rule.evaluator';
import { RulePlanner } from './rule.planner';
import { SafetyGate } from './safety.gate';
import { canonical, readScenarioFile, type ScenarioSpec } from './scenario.file';

/** The outcome of one scenario file. */
export interface ScenarioResult {
  file: string;
  name: string;
  passed: boolean;
  /** What went wrong, ready to print: expected and actual actions, and each rule's explanation. */
  failures: string[];
}

/** Minute facts the clock moves: they keep counting from the value the timeline last gave. */
const MINUTE_FACTS = new Set(
  FACTS.filter((f) => f.changesWithTime && f.unit === 'minutes').map((f) => f.name),
);
const MINUTE_MS = 60_000;

/** One agent of a scenario: the facts the timeline gave, when, and a version bumped by each event. */
interface PaperAgent {
  id: number;
  groups: readonly number[];
  facts: Record<string, unknown>;
  givenAt: Record<string, number>;
  version: number;
}

/**
 * Runs a scenario: a timeline of agent and account facts and the actions expected at given
 * times, like `promtool test rules`. Time advances in `step`s from `start`; at each step every
 * agent and the account go through the rule-set runner exactly as in the router — `for`,
 * cooldown, priority, shadow, the safety limits, reversible changes kept and put back — with
 * executors that change nothing. Minute facts advance with the clock from the value last given.
 */
export async function runScenario(ruleSet: RuleSet, file: string, text: string): Promise<ScenarioResult> {
  let spec: ScenarioSpec;
  try {
    spec = readScenarioFile(ruleSet, file, text);
  } catch (error) {
    if (!(error instanceof RuleSetError)) throw error;
    return {
      file,
      name: file,
      passed: false,
      failures: error.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`),
    };
  }
  const runner = new RuleSetRunner(ruleSet);
  let paused = false;
  /** The capacities the scenario's changes put in force, by capacity rule: an account target's state. */
  const capacities = new Map<string, Record<string, number>>();
  const deps: RunnerDeps = {
    planner: new RulePlanner(),
    memory: new DecisionMemory(),
    gate: new SafetyGate(spec.safety, () => paused),
    executors: paperExecutors(
      (state, status) => setStatus(byTarget.get(state.target)!, status, t),
      capacities,
    ),
    enforce: true,
  };
  const agents = new Map<string, PaperAgent>(
    [...spec.agents].map(([name, a]) => [
      name,
      { id: a.id, groups: a.groups, facts: {}, givenAt: {}, version: 0 },
    ]),
  );
  const byTarget = new Map([...agents.values()].map((a) => [`agent:${a.id}`, a]));
  let t = 0;
  let account: Record<string, unknown> = {};
  const happened = new Map<string, string[]>();
  const why = new Map<string, RuleExplanation[]>();
  const end = Math.max(0, ...spec.events.map((e) => e.at), ...spec.expectations.map((e) => e.at));
  for (; t <= end; t += spec.stepMs) {
    for (const event of spec.events) {
      if (event.at !== t) continue;
      if (event.kind === 'pause') paused = event.paused;
      else if (event.kind === 'account') account = { ...account, ...event.facts };
      else {
        give(agents.get(event.agent)!, event.facts, t);
      }
    }
    const now = spec.start + t;
    const time = runner.timeFacts(now);
    const facts = new Map([...agents].map(([name, agent]) => [name, factsAt(agent, t)]));
    deps.gate.startPass(
      () => onlineCounts(agents, facts),
      (target) => {
        const agent = byTarget.get(target);
        return agent ? String(agent.version) : undefined;
      },
    );
    for (const [name, agent] of agents) {
      const agentFacts = facts.get(name)!;
      const state: TargetState = {
        target: `agent:${agent.id}`,
        agent: { id: agent.id, groups: agent.groups, facts: agentFacts },
        stateKey: String(agent.version),
      };
      // Where each rule stood before the step decided, for the report of a failed expectation.
      if (spec.expectations.some((e) => e.at === t && e.target === `agent:${name}`)) {
        const explained = await runner.evaluator.evaluateAgent(state.agent!, agentFacts, now);
        why.set(`${t}|agent:${name}`, runner.explainTarget(state, explained, now, deps));
      }
      const evaluations = runner.evaluateAgent(state.agent!, agentFacts, time);
      happened.set(
        `${t}|agent:${name}`,
        (await runner.decide(state, evaluations, now, deps)).flatMap(describe),
      );
    }
    if (spec.expectations.some((e) => e.at === t && e.target === 'account')) {
      const explained = await runner.evaluator.evaluateAccount(account, now);
      why.set(
        `${t}|account`,
        [...runner.accountTargets(explained, deps.planner)].flatMap(([target, evs]) =>
          runner.explainTarget({ target, agent: null, stateKey: '' }, evs, now, deps),
        ),
      );
    }
    const evaluations = runner.evaluateAccount(account, time);
    const accountActions: string[] = [];
    for (const [target, targetEvaluations] of runner.accountTargets(evaluations, deps.planner)) {
      const state: TargetState = {
        target,
        agent: null,
        stateKey: JSON.stringify(capacities.get(target.slice(target.indexOf(':') + 1)) ?? null),
      };
      accountActions.push(...(await runner.decide(state, targetEvaluations, now, deps)).flatMap(describe));
    }
    happened.set(`${t}|account`, accountActions);
  }
  const failures: string[] = [];
  for (const expectation of spec.expectations) {
    const key = `${expectation.at}|${expectation.target}`;
    const actual = [...(happened.get(key) ?? [])].sort();
    const expected = [...expectation.actions].sort();
    if (JSON.stringify(actual) === JSON.stringify(expected)) continue;
    // The rules the difference is about: those named on either side (a put-back names its capacity rule).
    const named = [...actual, ...expected].map((a) => JSON.parse(a) as { rule?: string; revert?: string });
    const concerned = (why.get(key) ?? []).filter((r) =>
      named.some(
        (a) =>
          a.rule === r.rule.name ||
          (a.revert !== undefined && actionTarget(r.rule.then, null).endsWith(`:${a.revert}`)),
      ),
    );
    failures.push(
      [
        `${expectation.source.file}:${expectation.source.line}: at ${formatOffset(expectation.at)} for ${expectation.label}:`,
        `    expected: ${expected.length ? expected.join(', ') : 'no action'}`,
        `    actual:   ${actual.length ? actual.join(', ') : 'no action'}`,
        ...explain(concerned),
      ].join('\n'),
    );
  }
  return { file, name: spec.name, passed: failures.length === 0, failures };
}

/** Which minute fact starts again from 0 when a fact changes, as the router's would. */
const RESTARTS: Readonly<Record<string, readonly string[]>> = {
  'status.name': ['status.minutes', 'idleMinutes'],
  'status.id': ['status.minutes', 'idleMinutes'],
  workItems: ['idleMinutes'],
  ...Object.fromEntries(AGENT_CHANNELS.map((c) => [`${c}.status`, [`${c}.minutesInStatus`]])),
};

/**
 * Facts the timeline (or the router's own write) gives the agent at `t`. A change of status, of
 * a channel's status or of the work resets the minute facts that count from it, unless the same
 * entry gives them: the router counts `status.minutes` from the status change and `idleMinutes`
 * from the later of going online and the last work ending.
 */
function give(agent: PaperAgent, facts: Record<string, unknown>, t: number): void {
  const next = { ...agent.facts, ...facts };
  for (const [name, restarted] of Object.entries(RESTARTS)) {
    if (!(name in facts) || agent.facts[name] === facts[name]) continue;
    for (const minutes of restarted) {
      if (minutes in facts || !(minutes in agent.facts)) continue;
      next[minutes] = 0;
      agent.givenAt[minutes] = t;
    }
  }
  for (const name of Object.keys(facts)) agent.givenAt[name] = t;
  agent.facts = next;
  agent.version++;
}

/** The router set the agent's status: it shows from the next step on, as its event would. */
function setStatus(agent: PaperAgent, status: string | number, t: number): void {
  const name = typeof status === 'number' ? 'status.id' : 'status.name';
  give(agent, { [name]: status, 'status.minutes': 0, 'status.setBy': 'router' }, t);
}

/**
 * The agent's facts at `t`: minute facts advanced by the time since the timeline gave them.
 * `idleMinutes` counts only while the agent is online with no work, as the router computes it.
 */
function factsAt(agent: PaperAgent, t: number): Facts {
  const facts: Record<string, unknown> = {
    'agent.id': agent.id,
    'agent.groups': agent.groups,
    ...agent.facts,
  };
  const idle = agent.facts['status.name'] === 'online' && !agent.facts.workItems;
  for (const name of MINUTE_FACTS) {
    const value = agent.facts[name];
    if (typeof value !== 'number' || (name === 'idleMinutes' && !idle)) continue;
    facts[name] = value + (t - (agent.givenAt[name] ?? t)) / MINUTE_MS;
  }
  return facts;
}

function onlineCounts(
  agents: ReadonlyMap<string, PaperAgent>,
  facts: ReadonlyMap<string, Facts>,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (const [name, agent] of agents) {
    if (facts.get(name)?.['status.name'] !== 'online') continue;
    for (const group of agent.groups) counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return counts;
}

/** A recorded decision as scenario files write it; no-ops and failures are not actions. */
function describe(decision: Decided): string[] {
  const body: Record<string, unknown> = { ...decision.action };
  if (decision.rule && !('revert' in body)) body.rule = decision.ruleName;
  switch (decision.outcome) {
    case 'applied':
      return [canonical(body)];
    case 'shadow':
      return [canonical({ ...body, shadow: true })];
    case 'suppressed':
      return [canonical({ ...body, held: true })];
    case 'no_op':
    case 'failed':
      return [];
  }
}

/** Each rule's standing and conditions, for a failure report. */
function explain(rules: readonly RuleExplanation[]): string[] {
  return rules.flatMap((r) => [
    `    rule ${r.rule.name} (${describeStanding(r.standing)}):`,
    ...(r.applies ? formatExplanation(r.explanation, '      ') : []),
  ]);
}

function formatOffset(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `+${minutes}m${seconds ? `${seconds}s` : ''}`;
}
