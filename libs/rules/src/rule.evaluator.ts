import { Engine, type RuleResult } from 'json-rules-engine';
import { CALENDAR_FACT_PREFIX, LOCAL_TIME_FACTS } from './facts';
import { CUSTOM_OPERATORS } from './operators';
import type { Condition, Rule, RuleSet } from './rule-set.model';
import { inCalendar, localTime, type LocalTime } from './time';

/** Fact values by their catalogue names (`messaging.status`, `idleMinutes`, ...). */
export type Facts = Readonly<Record<string, unknown>>;

/** Why one condition passed or failed: the "why" and "why not" of a rule. */
export type ConditionExplanation =
  | { kind: 'all' | 'any'; passed: boolean | null; children: ConditionExplanation[] }
  | { kind: 'not'; passed: boolean | null; child: ConditionExplanation }
  | {
      kind: 'fact';
      fact: string;
      operator: string;
      /** The value written in the rule (a fact reference resolved to that fact's value). */
      expected: unknown;
      /** The fact's value at evaluation; undefined when the agent has no such fact. */
      actual: unknown;
      params?: Record<string, unknown>;
      /** Null when the engine did not need to evaluate it. */
      passed: boolean | null;
    };

/** One rule's outcome for one agent (or the account). */
export interface RuleEvaluation {
  rule: Rule;
  /** False when the agent is outside the rule's scope, or the rule is disabled. */
  applies: boolean;
  matched: boolean;
  explanation: ConditionExplanation | null;
  /** Rules with a `release` condition: whether it matches now. */
  released?: boolean;
  /** Rules with a `release` condition, when explained: why it does or does not match. */
  releaseExplanation?: ConditionExplanation | null;
}

/** Who an agent rule is evaluated for; scope is decided on these. */
export interface AgentIdentity {
  id: number;
  groups: readonly number[];
}

/**
 * Evaluates a rule set with json-rules-engine and explains every condition. One engine per rule
 * kind, and runs on one engine never overlap: concurrent runs share the engine's status and
 * silently skip rules, so calls are queued.
 */
export class RuleEvaluator {
  private readonly engines: Record<Rule['kind'], Engine>;
  private readonly byName: ReadonlyMap<string, Rule>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly ruleSet: RuleSet) {
    this.engines = { agent: this.engine('agent'), account: this.engine('account') };
    this.byName = new Map(ruleSet.rules.map((r) => [r.name, r]));
  }

  /** Every agent rule for one agent: which apply, which match, and why. */
  evaluateAgent(agent: AgentIdentity, facts: Facts, now: number): Promise<RuleEvaluation[]> {
    return this.evaluate('agent', facts, now, (rule) => inScope(rule, agent));
  }

  /** Every capacity rule for the account. */
  evaluateAccount(facts: Facts, now: number): Promise<RuleEvaluation[]> {
    return this.evaluate('account', facts, now, () => true);
  }

  /** The time and calendar facts for `now` in the rule set's zone. */
  timeFacts(now: number): Record<string, unknown> {
    return timeFactsOf(this.ruleSet, now);
  }

  private async evaluate(
    kind: Rule['kind'],
    facts: Facts,
    now: number,
    applies: (rule: Rule) => boolean,
  ): Promise<RuleEvaluation[]> {
    const all = { ...facts, ...this.timeFacts(now) };
    const run = this.queue.then(() => this.engines[kind].run(all));
    this.queue = run.catch(() => undefined);
    const { results, failureResults } = await run;
    const outcomes = new Map<string, RuleResult>();
    for (const result of [...results, ...failureResults]) outcomes.set(result.name, result);
    return this.ruleSet.rules
      .filter((rule) => rule.kind === kind)
      .map((rule) => {
        const outcome = outcomes.get(rule.name);
        const ruleApplies = rule.enabled && applies(rule);
        const evaluation: RuleEvaluation = {
          rule,
          applies: ruleApplies,
          matched: ruleApplies && outcome?.result === true,
          explanation: outcome
            ? explainRoot(rule.when, outcome.conditions as unknown as EvaluatedCondition)
            : null,
        };
        const release = outcomes.get(RELEASE_PREFIX + rule.name);
        if (rule.release) {
          evaluation.released = ruleApplies && release?.result === true;
          evaluation.releaseExplanation = release
            ? explainRoot(rule.release, release.conditions as unknown as EvaluatedCondition)
            : null;
        }
        return evaluation;
      });
  }

  private engine(kind: Rule['kind']): Engine {
    // Missing facts (an agent without a talk channel) make conditions false, not errors.
    const engine = new Engine([], { allowUndefinedFacts: true });
    for (const operator of CUSTOM_OPERATORS) engine.addOperator(operator.name, operator.evaluate!);
    for (const rule of this.ruleSet.rules) {
      if (rule.kind !== kind || !rule.enabled) continue;
      engine.addRule({ name: rule.name, conditions: engineRoot(rule.when), event: { type: rule.name } });
      if (rule.release) {
        const name = RELEASE_PREFIX + rule.name;
        engine.addRule({ name, conditions: engineRoot(rule.release), event: { type: name } });
      }
    }
    return engine;
  }

  /** The rule called `name`, if the set has it. */
  rule(name: string): Rule | undefined {
    return this.byName.get(name);
  }
}

/** Whether an agent rule covers `agent`: listed (or no list), and not excluded. */
export function inScope(rule: Rule, agent: AgentIdentity): boolean {
  const { groups, agents, excludeGroups, excludeAgents } = rule.scope;
  if (excludeAgents.includes(agent.id) || agent.groups.some((g) => excludeGroups.includes(g))) return false;
  if (groups.length === 0 && agents.length === 0) return true;
  return agents.includes(agent.id) || agent.groups.some((g) => groups.includes(g));
}

/** Release conditions run on the same engine as their rule, under this prefix (rule names cannot contain `:`). */
const RELEASE_PREFIX = 'release:';

/** The time and calendar facts for `now` in the rule set's zone, named as in the catalogue. */
export function timeFactsOf(ruleSet: RuleSet, now: number): Record<string, unknown> {
  const local = localTime(now, ruleSet.timeZone);
  const facts: Record<string, unknown> = {};
  for (const fact of LOCAL_TIME_FACTS)
    facts[fact.name] = local[fact.name.slice('localTime.'.length) as keyof LocalTime];
  for (const [name, calendar] of ruleSet.calendars)
    facts[CALENDAR_FACT_PREFIX + name] = inCalendar(calendar, now, ruleSet.timeZone);
  return facts;
}

/** The engine wants all/any/not at the root; a single fact condition is wrapped in `all`. */
function engineRoot(condition: Condition): never {
  return toEngine('fact' in condition ? { all: [condition] } : condition) as never;
}

/** Our condition shape is json-rules-engine's; only fact references need its spelling. */
function toEngine(condition: Condition): unknown {
  if ('all' in condition) return { all: condition.all.map(toEngine) };
  if ('any' in condition) return { any: condition.any.map(toEngine) };
  if ('not' in condition) return { not: toEngine(condition.not) };
  return { ...condition };
}

interface EvaluatedCondition {
  all?: EvaluatedCondition[];
  any?: EvaluatedCondition[];
  not?: EvaluatedCondition;
  fact?: string;
  operator?: string;
  value?: unknown;
  params?: Record<string, unknown>;
  factResult?: unknown;
  valueResult?: unknown;
  result?: boolean;
}

function explainRoot(condition: Condition, root: EvaluatedCondition): ConditionExplanation {
  return 'fact' in condition && root.all?.[0] ? explain(root.all[0]) : explain(root);
}

function explain(condition: EvaluatedCondition): ConditionExplanation {
  // The engine records results on leaves; groups are worked out from their children (a child
  // the engine skipped after the outcome was known is null).
  if (condition.all) {
    const children = condition.all.map(explain);
    const passed = children.some((c) => c.passed === false)
      ? false
      : children.every((c) => c.passed === true)
        ? true
        : null;
    return { kind: 'all', passed, children };
  }
  if (condition.any) {
    const children = condition.any.map(explain);
    const passed = children.some((c) => c.passed === true)
      ? true
      : children.every((c) => c.passed === false)
        ? false
        : null;
    return { kind: 'any', passed, children };
  }
  if (condition.not) {
    const child = explain(condition.not);
    return { kind: 'not', passed: child.passed === null ? null : !child.passed, child };
  }
  const passed = condition.result ?? null;
  return {
    kind: 'fact',
    fact: condition.fact ?? '',
    operator: condition.operator ?? '',
    expected: condition.valueResult !== undefined ? condition.valueResult : condition.value,
    actual: condition.factResult,
    ...(condition.params ? { params: condition.params } : {}),
    passed,
  };
}

/** An explanation as lines a person can read: one per condition, ✓ / ✗ / · (not evaluated). */
export function formatExplanation(explanation: ConditionExplanation | null, indent = ''): string[] {
  if (!explanation) return [`${indent}· not evaluated`];
  const mark = explanation.passed === null ? '·' : explanation.passed ? '✓' : '✗';
  switch (explanation.kind) {
    case 'all':
    case 'any':
      return [
        `${indent}${mark} ${explanation.kind === 'all' ? 'all of' : 'any of'}:`,
        ...explanation.children.flatMap((c) => formatExplanation(c, `${indent}    `)),
      ];
    case 'not':
      return [`${indent}${mark} not:`, ...formatExplanation(explanation.child, `${indent}    `)];
    case 'fact': {
      const params = explanation.params ? ` ${JSON.stringify(explanation.params)}` : '';
      const actual = explanation.actual === undefined ? 'missing' : JSON.stringify(explanation.actual);
      return [
        `${indent}${mark} ${explanation.fact}${params} ${explanation.operator} ${JSON.stringify(explanation.expected)} (was ${actual})`,
      ];
    }
  }
}
