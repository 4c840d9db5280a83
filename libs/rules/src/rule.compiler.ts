import { CALENDAR_FACT_PREFIX, FACTS, factDefinition } from './facts';
import { CUSTOM_OPERATORS } from './operators';
import type { Condition, Rule, RuleSet } from './rule-set.model';
import { inScope, type AgentIdentity, type Facts, type RuleEvaluation } from './rule.evaluator';
import { parseClock, parseDuration } from './time';

/** Time facts come from the clock, once per pass (`RuleEvaluator.timeFacts`); every other fact from the agent (or account). */
const TIME_FACTS = FACTS.filter((f) => f.name.startsWith('localTime.')).map((f) => f.name);

/** The body of one generated function: matches of every rule of one kind, written into `out`. */
type Matcher = (facts: Facts, time: Facts, k: readonly unknown[], out: boolean[]) => void;

/**
 * A rule set's conditions compiled to JavaScript, once per loaded set, with json-rules-engine's
 * semantics (the reference: `rule.compiler.spec.ts` compares the two on thousands of generated
 * rules). Each distinct fact is read once per agent, literal operands are prepared at compile
 * time, and there is no promise or allocation per condition, so a sweep over every agent runs at
 * the speed of hand-written predicates. Explanations stay with `RuleEvaluator`.
 *
 * Semantics kept from json-rules-engine: a missing fact is undefined; a fact whose value is a
 * function is called with the condition's `params`; `{ fact }` values are resolved; number
 * operators refuse facts `parseFloat` cannot read; `contains` needs an array fact; `in`/`notIn`
 * use the value's `indexOf` (so a string value matches substrings); empty `all`/`any` are true.
 * Where json-rules-engine rejects the whole run (an `in` whose value has no `indexOf`), `match`
 * throws for that agent too.
 */
export class CompiledRules {
  readonly rules: readonly Rule[];
  /**
   * Per rule: its conditions read a fact that moves with the clock alone (a duration, the local
   * time, a calendar) or one the catalogue does not know. The others can only change with the
   * agent's own state.
   */
  readonly changesWithTime: readonly boolean[];
  private readonly matcher: Matcher;
  private readonly tickMatcher: Matcher;
  private readonly constants: unknown[] = [];
  private readonly scoped: boolean[];

  constructor(
    ruleSet: RuleSet,
    readonly kind: Rule['kind'],
  ) {
    this.rules = ruleSet.rules.filter((r) => r.kind === kind);
    this.scoped = this.rules.map((r) => {
      const { groups, agents, excludeGroups, excludeAgents } = r.scope;
      return groups.length + agents.length + excludeGroups.length + excludeAgents.length > 0;
    });
    const timeFacts = new Set([
      ...TIME_FACTS,
      ...[...ruleSet.calendars.keys()].map((n) => CALENDAR_FACT_PREFIX + n),
    ]);
    const calendarNames = new Set(ruleSet.calendars.keys());
    const isTimeFact = (name: string): boolean => {
      if (name.startsWith(CALENDAR_FACT_PREFIX)) return true;
      const definition = factDefinition(name, calendarNames);
      return definition ? definition.changesWithTime === true : true;
    };
    this.changesWithTime = this.rules.map((r) => r.enabled && readsAny(r.when, isTimeFact));
    this.matcher = new CodeWriter(timeFacts, this.constants).matcher(this.rules);
    this.tickMatcher = new CodeWriter(timeFacts, this.constants).matcher(this.rules, this.changesWithTime);
  }

  /**
   * `match` when only the clock has moved since `previous` was matched for this agent (its state
   * unchanged): the rules that change with time are evaluated again, the others keep their
   * result from `previous`.
   */
  matchOnTick(
    facts: Facts,
    time: Facts,
    previous: readonly boolean[],
    agent?: AgentIdentity,
    out: boolean[] = new Array<boolean>(this.rules.length),
  ): boolean[] {
    for (let i = 0; i < out.length; i++) out[i] = previous[i]!;
    this.tickMatcher(facts, time, this.constants, out);
    if (agent) {
      for (let i = 0; i < out.length; i++)
        if (out[i] && this.scoped[i] && this.changesWithTime[i]) out[i] = inScope(this.rules[i]!, agent);
    }
    return out;
  }

  /**
   * Which rules match: `out[i]` for `rules[i]`, false when the rule is disabled or (for agent
   * rules, given `agent`) out of scope. `time` holds the pass's time and calendar facts.
   */
  match(
    facts: Facts,
    time: Facts,
    agent?: AgentIdentity,
    out: boolean[] = new Array<boolean>(this.rules.length),
  ): boolean[] {
    this.matcher(facts, time, this.constants, out);
    if (agent) {
      for (let i = 0; i < out.length; i++)
        if (out[i] && this.scoped[i]) out[i] = inScope(this.rules[i]!, agent);
    }
    return out;
  }

  /**
   * `match` (or `matchOnTick` given `previous`) as evaluations without explanations (ask
   * `RuleEvaluator` for those).
   */
  evaluate(
    facts: Facts,
    time: Facts,
    agent?: AgentIdentity,
    previous?: readonly boolean[],
  ): RuleEvaluation[] {
    // Matched without scope, then scoped once here (a `previous` result is already scoped).
    const matched = previous ? this.matchOnTick(facts, time, previous) : this.match(facts, time);
    return this.rules.map((rule, i) => {
      const applies = rule.enabled && (!agent || !this.scoped[i] || inScope(rule, agent));
      return { rule, applies, matched: applies && matched[i]!, explanation: null };
    });
  }
}

/** Helpers the generated code calls, bound once. */
const RUNTIME = {
  /** json-rules-engine's number check: `parseFloat` must read the fact. */
  isNumber: (v: unknown): boolean =>
    typeof v === 'number' ? v === v : Number.parseFloat(v as string).toString() !== 'NaN',
  /** `b.indexOf(a)`, failing as json-rules-engine does when `b` has no `indexOf`. */
  indexOf: (list: unknown, item: unknown): number => (list as unknown[]).indexOf(item),
  custom: new Map(CUSTOM_OPERATORS.map((o) => [o.name, o.evaluate!])),
  parseClock,
  MINUTE: 60_000,
};

/** Writes one function per rule kind. */
class CodeWriter {
  private readonly facts = new Map<string, string>();
  /** Values worked out once from a fact (a clock time parsed), by variable name. */
  private readonly derived = new Map<string, string>();
  /** Checks that must pass before any condition is evaluated (json-rules-engine evaluates them all). */
  private readonly guards: string[] = [];

  constructor(
    private readonly timeFacts: ReadonlySet<string>,
    private readonly constants: unknown[],
  ) {}

  /** The function for `rules`, or only those marked in `only` (the others' `out` is left as is). */
  matcher(rules: readonly Rule[], only?: readonly boolean[]): Matcher {
    const body = rules.flatMap((rule, i) =>
      only && !only[i] ? [] : [`out[${i}] = ${rule.enabled ? this.condition(rule.when) : 'false'};`],
    );
    const reads = [...this.facts].map(([name, local]) => {
      const source = this.timeFacts.has(name) ? 'time' : 'facts';
      const key = JSON.stringify(name);
      // Facts are the object's own keys: `constructor` is not a fact because objects inherit one.
      const read =
        name in Object.prototype
          ? `(Object.hasOwn(${source}, ${key}) ? ${source}[${key}] : undefined)`
          : `${source}[${key}]`;
      return `const ${local} = ${read};`;
    });
    const source = [...reads, ...this.derived.values(), ...this.guards, ...body].join('\n');
    // Only fact names (as JSON strings) and operator code are written into the source; every
    // value from a rule file reaches the function as data, through `k`.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function('rt', `"use strict"; return (facts, time, k, out) => {\n${source}\n};`) as (
      rt: typeof RUNTIME,
    ) => Matcher;
    return factory(RUNTIME);
  }

  private condition(condition: Condition): string {
    if ('all' in condition) return this.group(condition.all, '&&');
    if ('any' in condition) return this.group(condition.any, '||');
    if ('not' in condition) return `!(${this.condition(condition.not)})`;
    return this.leaf(condition);
  }

  private group(children: readonly Condition[], joiner: '&&' | '||'): string {
    if (children.length === 0) return 'true';
    return `(${children.map((c) => this.condition(c)).join(` ${joiner} `)})`;
  }

  private leaf(condition: {
    fact: string;
    operator: string;
    value: unknown;
    params?: Record<string, unknown>;
  }): string {
    const a = this.factValue(condition.fact, condition.params);
    const literal = condition.value;
    const reference = isFactReference(literal);
    const b = reference ? this.factValue(literal.fact, literal.params) : this.constant(literal);
    switch (condition.operator) {
      case 'equal':
        return `(${a} === ${b})`;
      case 'notEqual':
        return `(${a} !== ${b})`;
      case 'in':
      case 'notIn': {
        this.guardIndexOf(b, reference, literal);
        return `(rt.indexOf(${b}, ${a}) ${condition.operator === 'in' ? '> -1' : '=== -1'})`;
      }
      case 'contains':
        return `(Array.isArray(${a}) && ${a}.indexOf(${b}) > -1)`;
      case 'doesNotContain':
        return `(Array.isArray(${a}) && ${a}.indexOf(${b}) === -1)`;
      case 'lessThan':
        return `(rt.isNumber(${a}) && ${a} < ${b})`;
      case 'lessThanInclusive':
        return `(rt.isNumber(${a}) && ${a} <= ${b})`;
      case 'greaterThan':
        return `(rt.isNumber(${a}) && ${a} > ${b})`;
      case 'greaterThanInclusive':
        return `(rt.isNumber(${a}) && ${a} >= ${b})`;
      case 'atLeastDuration':
      case 'lessThanDuration':
        if (!reference && typeof literal === 'string') {
          // The duration is read once here, not on every evaluation.
          const ms = parseDuration(literal);
          const bound = condition.operator === 'atLeastDuration' ? (ms ?? Infinity) : (ms ?? -Infinity);
          const compare = condition.operator === 'atLeastDuration' ? '>=' : '<';
          return `(typeof ${a} === 'number' && ${a} * rt.MINUTE ${compare} ${this.constant(bound)})`;
        }
        return this.custom(condition.operator, a, b);
      case 'timeBetween':
        if (
          !reference &&
          Array.isArray(literal) &&
          typeof literal[0] === 'string' &&
          typeof literal[1] === 'string'
        ) {
          const from = parseClock(literal[0]);
          const to = parseClock(literal[1]);
          if (from === null || to === null) return 'false';
          const local = this.local(condition.fact);
          const t = `${local}_clock`;
          // The fact's clock time is read once per evaluation, however many windows test it.
          this.derived.set(t, `const ${t} = typeof ${local} === 'string' ? rt.parseClock(${local}) : null;`);
          const inWindow =
            from <= to
              ? `${t} !== null && ${t} >= ${from} && ${t} < ${to}`
              : `${t} !== null && (${t} >= ${from} || ${t} < ${to})`;
          return `(typeof ${local} === 'function' ? ${this.custom(condition.operator, a, b)} : ${inWindow})`;
        }
        return this.custom(condition.operator, a, b);
      default:
        throw new Error(`Unknown operator: ${condition.operator}`);
    }
  }

  private custom(operator: string, a: string, b: string): string {
    return `rt.custom.get(${JSON.stringify(operator)})(${a}, ${b})`;
  }

  /** json-rules-engine rejects the whole run when an `in` value has no `indexOf`; so do we, up front. */
  private guardIndexOf(b: string, reference: boolean, literal: unknown): void {
    if (!reference && (typeof literal === 'string' || Array.isArray(literal))) return;
    this.guards.push(
      `if (${b} == null || typeof ${b}.indexOf !== 'function') throw new TypeError('in/notIn needs a list value, got ' + typeof ${b});`,
    );
  }

  /** An expression for a fact's value: read once per evaluation, a function fact called with the params. */
  private factValue(name: string, params: Record<string, unknown> | undefined): string {
    const local = this.local(name);
    return `(typeof ${local} === 'function' ? ${local}(${this.constant(params ?? {})}) : ${local})`;
  }

  /** The variable holding a fact's value, read once at the top of the function. */
  private local(name: string): string {
    let local = this.facts.get(name);
    if (!local) {
      local = `f${this.facts.size}`;
      this.facts.set(name, local);
    }
    return local;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `k[${this.constants.length - 1}]`;
  }
}

/** Whether any condition in `condition` reads a fact (as its subject or its value) for which `test` holds. */
function readsAny(condition: Condition, test: (fact: string) => boolean): boolean {
  if ('all' in condition) return condition.all.some((c) => readsAny(c, test));
  if ('any' in condition) return condition.any.some((c) => readsAny(c, test));
  if ('not' in condition) return readsAny(condition.not, test);
  return test(condition.fact) || (isFactReference(condition.value) && test(condition.value.fact));
}

function isFactReference(value: unknown): value is { fact: string; params?: Record<string, unknown> } {
  return value != null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'fact');
}
