import { parse } from 'yaml';
import type { RuleAction, RuleSet } from './rule-set.model';
import { RuleEvaluator, formatExplanation, type Facts, type RuleEvaluation } from './rule.evaluator';
import { RulePlanner, type PlanDecision } from './rule.planner';
import { parseDuration } from './time';

/** The outcome of one scenario file. */
export interface ScenarioResult {
  file: string;
  name: string;
  passed: boolean;
  /** What went wrong, ready to print: expected and actual actions, and the rule's explanation. */
  failures: string[];
}

interface Expectation {
  at: number;
  target: string;
  label: string;
  actions: string[];
}

interface Event {
  at: number;
  agent: string | null;
  facts: Record<string, unknown>;
}

class ScenarioError extends Error {}

/**
 * Runs a scenario: a timeline of agent (and account) facts and the actions expected at given
 * times, like `promtool test rules`. Time advances in `step`s from `start`; at each step every
 * agent and the account are evaluated and planned exactly as the router does (for, cooldown,
 * priority, shadow, capacity reverts), and the actions at the expected times are compared.
 */
export async function runScenario(ruleSet: RuleSet, file: string, text: string): Promise<ScenarioResult> {
  let name = file;
  try {
    const spec = readScenario(text);
    name = spec.name;
    const evaluator = new RuleEvaluator(ruleSet);
    const planner = new RulePlanner();
    const agentFacts = new Map<string, Record<string, unknown>>([...spec.agents.keys()].map((a) => [a, {}]));
    let accountFacts: Record<string, unknown> = {};
    const happened = new Map<string, string[]>();
    const explanations = new Map<string, RuleEvaluation[]>();
    const end = Math.max(0, ...spec.events.map((e) => e.at), ...spec.expectations.map((e) => e.at));
    for (let t = 0; t <= end; t += spec.stepMs) {
      for (const event of spec.events.filter((e) => e.at === t)) {
        if (event.agent === null) accountFacts = { ...accountFacts, ...event.facts };
        else agentFacts.set(event.agent, { ...agentFacts.get(event.agent), ...event.facts });
      }
      const now = spec.start + t;
      for (const [agentName, identity] of spec.agents) {
        const facts: Facts = {
          'agent.id': identity.id,
          'agent.groups': identity.groups,
          ...agentFacts.get(agentName),
        };
        const evaluations = await evaluator.evaluateAgent(identity, facts, now);
        explanations.set(`${t}|agent:${agentName}`, evaluations);
        happened.set(
          `${t}|agent:${agentName}`,
          planner.plan(`agent:${identity.id}`, evaluations, now).flatMap(describe),
        );
      }
      const account = await evaluator.evaluateAccount(accountFacts, now);
      const byCapacityRule = new Map<string, RuleEvaluation[]>();
      for (const evaluation of account) {
        const target = (evaluation.rule.then as Extract<RuleAction, { type: 'set_capacity' }>).capacityRule;
        byCapacityRule.set(target, [...(byCapacityRule.get(target) ?? []), evaluation]);
      }
      const accountActions = [...byCapacityRule].flatMap(([target, evaluations]) =>
        planner.plan(`capacity:${target}`, evaluations, now).flatMap(describe),
      );
      explanations.set(`${t}|account`, account);
      happened.set(`${t}|account`, accountActions);
    }
    const failures: string[] = [];
    for (const expectation of spec.expectations) {
      const key = `${expectation.at}|${expectation.target}`;
      const actual = [...(happened.get(key) ?? [])].sort();
      const expected = [...expectation.actions].sort();
      if (JSON.stringify(actual) === JSON.stringify(expected)) continue;
      const rules = new Set(
        [...actual, ...expected].map((a) => (JSON.parse(a) as { rule?: string }).rule).filter(Boolean),
      );
      const why = (explanations.get(key) ?? [])
        .filter((e) => rules.has(e.rule.name))
        .flatMap((e) => [
          `    rule ${e.rule.name} (${e.applies ? (e.matched ? 'matched' : 'did not match') : 'does not apply'}):`,
          ...formatExplanation(e.explanation, '      '),
        ]);
      failures.push(
        [
          `at ${formatOffset(expectation.at)} for ${expectation.label}:`,
          `    expected: ${expected.length ? expected.join(', ') : 'no action'}`,
          `    actual:   ${actual.length ? actual.join(', ') : 'no action'}`,
          ...why,
        ].join('\n'),
      );
    }
    return { file, name, passed: failures.length === 0, failures };
  } catch (error) {
    if (error instanceof ScenarioError) return { file, name, passed: false, failures: [error.message] };
    throw error;
  }
}

/** Decisions that are actions, in the shape scenario files write them. */
function describe(decision: PlanDecision): string[] {
  switch (decision.kind) {
    case 'act':
    case 'shadow': {
      const action = decision.action;
      const body: Record<string, unknown> = { rule: decision.rule.name };
      if (action.type === 'set_status') body.set_status = action.status;
      else body.set_capacity = { rule: action.capacityRule, capacities: action.capacities };
      if (decision.kind === 'shadow') body.shadow = true;
      return [canonical(body)];
    }
    case 'revert':
      return [canonical({ revert: decision.capacityRule })];
    case 'pending':
    case 'cooldown':
    case 'outranked':
      return [];
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function formatOffset(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `+${minutes}m${seconds ? `${seconds}s` : ''}`;
}

interface ScenarioSpec {
  name: string;
  start: number;
  stepMs: number;
  agents: Map<string, { id: number; groups: number[] }>;
  events: Event[];
  expectations: Expectation[];
}

function readScenario(text: string): ScenarioSpec {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ScenarioError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = object(doc, 'the scenario');
  const name = typeof root.name === 'string' ? root.name : fail('name is required');
  const start =
    typeof root.start === 'string' || root.start instanceof Date
      ? Date.parse(String(root.start instanceof Date ? root.start.toISOString() : root.start))
      : NaN;
  if (Number.isNaN(start))
    fail('start must be an ISO 8601 time with its offset, such as 2026-11-23T09:00:00+01:00');
  const stepMs = root.step === undefined ? 60_000 : offset(root.step, 'step');
  if (stepMs <= 0) fail('step must be longer than 0s');
  const agents = new Map<string, { id: number; groups: number[] }>();
  for (const [agentName, raw] of Object.entries(object(root.agents ?? {}, 'agents'))) {
    const agent = object(raw, `agents.${agentName}`);
    if (typeof agent.id !== 'number') fail(`agents.${agentName}.id must be a number`);
    const groups = agent.groups ?? [];
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'number'))
      fail(`agents.${agentName}.groups must be a list of group ids`);
    agents.set(agentName, { id: agent.id, groups: groups });
  }
  const events = list(root.timeline, 'timeline').map((raw, i): Event => {
    const event = object(raw, `timeline[${i}]`);
    const at = offset(event.at, `timeline[${i}].at`);
    if (at % stepMs !== 0) fail(`timeline[${i}].at is not a multiple of step`);
    if (event.account !== undefined)
      return { at, agent: null, facts: object(event.account, `timeline[${i}].account`) };
    const agent = known(event.agent, agents, `timeline[${i}].agent`);
    return { at, agent, facts: object(event.facts, `timeline[${i}].facts`) };
  });
  const expectations = list(root.expect, 'expect').map((raw, i): Expectation => {
    const entry = object(raw, `expect[${i}]`);
    const at = offset(entry.at, `expect[${i}].at`);
    if (at % stepMs !== 0) fail(`expect[${i}].at is not a multiple of step`);
    const actions = list(entry.actions ?? [], `expect[${i}].actions`).map((a) => canonical(a));
    if (entry.account === true) return { at, target: 'account', label: 'the account', actions };
    const agent = known(entry.agent, agents, `expect[${i}].agent`);
    return { at, target: `agent:${agent}`, label: `agent ${agent}`, actions };
  });
  return { name, start, stepMs, agents, events, expectations };
}

function offset(value: unknown, where: string): number {
  const ms = typeof value === 'string' ? parseDuration(value) : value === 0 ? 0 : null;
  if (ms === null) fail(`${where} must be a time after start such as "0m", "15m" or "1h30m"`);
  return ms;
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) fail(`${where} must be a list`);
  return value as unknown[];
}

function known(value: unknown, agents: Map<string, unknown>, where: string): string {
  if (typeof value !== 'string' || !agents.has(value))
    fail(`${where} must name an agent declared under agents (got ${JSON.stringify(value)})`);
  return value;
}

function fail(message: string): never {
  throw new ScenarioError(message);
}
