import { join } from 'node:path';
import { FACTS, type FactDefinition } from './facts';
import { OPERATORS } from './operators';
import type { Condition, Rule, RuleSet } from './rule-set.model';
import { readRuleFiles } from './rule-set.loader';
import { parseRuleSet } from './rule-set.parser';
import { CompiledRules } from './rule.compiler';
import { RuleEvaluator, type AgentIdentity, type Facts } from './rule.evaluator';

/** A small seeded generator, so a failing case can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof random>;

const NOW = Date.parse('2026-03-29T01:30:00Z');
const AGENT: AgentIdentity = { id: 7, groups: [1, 2] };

/** Values of every type the engine may meet, including the awkward ones. */
const VALUES: readonly unknown[] = [
  0,
  1,
  2,
  -3,
  0.5,
  12,
  NaN,
  Infinity,
  -0,
  '',
  'a',
  'b',
  'ab',
  '12',
  '3.5',
  'x1',
  'online',
  'away',
  '23:15',
  '08:00',
  '2x:00',
  '15m',
  '1h30m',
  true,
  false,
  null,
  undefined,
  [],
  [1, 2],
  ['a', 'b'],
  [1, '1', null],
  [NaN],
  ['online', 'away'],
  [12, 0.5],
  {},
];
const FACT_NAMES = ['n', 'm', 's', 't', 'b', 'list', 'other', 'messaging.status', 'constructor', 'fn'];
const TIME_NAMES = ['localTime.time', 'localTime.hour', 'localTime.weekday'];
const OPERATOR_NAMES = [...OPERATORS.keys()];

function operand(r: Random, operator: string): unknown {
  if (r.chance(0.15)) {
    return r.chance(0.3)
      ? { fact: 'fn', params: { x: r.pick(VALUES) } }
      : { fact: r.pick([...FACT_NAMES, ...TIME_NAMES]) };
  }
  switch (operator) {
    case 'in':
    case 'notIn':
      // Mostly lists and strings; now and then a value json-rules-engine fails on.
      return r.chance(0.97)
        ? r.pick([[1, 2], ['a', 'b'], ['online', 'away'], [], 'online', 'ab', [null, 0]])
        : r.pick([3, null, true]);
    case 'atLeastDuration':
    case 'lessThanDuration':
      return r.pick(['15m', '1h30m', '0m', 'bogus', '', 5, null]);
    case 'timeBetween':
      return r.pick([
        ['22:00', '06:00'],
        ['09:00', '17:00'],
        ['00:00', '24:00'],
        ['bad', '10:00'],
        '09:00',
        [9, 17],
        [],
      ]);
    default:
      return r.pick(VALUES);
  }
}

function condition(r: Random, depth: number): Condition {
  if (depth < 3 && r.chance(0.4)) {
    const kind = r.pick(['all', 'any', 'not'] as const);
    if (kind === 'not') return { not: condition(r, depth + 1) };
    const children = Array.from({ length: Math.floor(r.next() * 4) }, () => condition(r, depth + 1));
    return kind === 'all' ? { all: children } : { any: children };
  }
  const operator = r.pick(OPERATOR_NAMES);
  return {
    fact: r.pick([...FACT_NAMES, ...TIME_NAMES, 'missing']),
    operator,
    value: operand(r, operator),
    ...(r.chance(0.2) ? { params: { x: r.pick(VALUES) } } : {}),
  };
}

function generatedRuleSet(r: Random, index: number): RuleSet {
  const rules: Rule[] = Array.from({ length: 5 }, (_, i) => ({
    name: `rule-${index}-${i}`,
    description: '',
    kind: 'agent',
    enabled: r.chance(0.9),
    mode: 'enforce',
    priority: 0,
    forMs: 0,
    cooldownMs: 0,
    keepForMs: 0,
    release: null,
    scope: r.chance(0.2)
      ? { groups: [2], agents: [], excludeGroups: [], excludeAgents: [] }
      : { groups: [], agents: [], excludeGroups: r.chance(0.1) ? [1] : [], excludeAgents: [] },
    when: condition(r, 0),
    then: { type: 'set_status', status: 'away' },
    source: { file: 'generated.yaml', line: 1, column: 1 },
  }));
  return {
    revision: `g${index}`,
    timeZone: 'Europe/Berlin',
    calendars: new Map(),
    customStatuses: [],
    rules,
    files: [],
  };
}

function generatedFacts(r: Random): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  for (const name of FACT_NAMES) {
    if (r.chance(0.15)) continue; // missing
    // Copies: facts never share objects with the rules that test them.
    facts[name] = name === 'fn' ? (params: { x?: unknown }) => params.x : structuredClone(r.pick(VALUES));
  }
  return facts;
}

/** What json-rules-engine says, or that it refused the run. */
async function reference(
  evaluator: RuleEvaluator,
  facts: Facts,
  agent?: AgentIdentity,
): Promise<boolean[] | 'throws'> {
  try {
    const evaluations = agent
      ? await evaluator.evaluateAgent(agent, facts, NOW)
      : await evaluator.evaluateAccount(facts, NOW);
    return evaluations.map((e) => e.matched);
  } catch {
    return 'throws';
  }
}

function compiled(
  rules: CompiledRules,
  evaluator: RuleEvaluator,
  facts: Facts,
  agent?: AgentIdentity,
): boolean[] | 'throws' {
  try {
    return rules.match(facts, evaluator.timeFacts(NOW), agent);
  } catch {
    return 'throws';
  }
}

/** A value of a catalogue fact's type, or now and then a missing or mistyped one. */
function catalogueValue(r: Random, fact: FactDefinition): unknown {
  if (r.chance(0.1)) return r.pick(VALUES);
  switch (fact.type) {
    case 'number':
      return r.pick([0, 1, 3, 5, 14, 15, 16, 30, 90, 600]);
    case 'boolean':
      return r.chance(0.5);
    case 'string':
      return fact.values ? r.pick(fact.values) : r.pick(['a', 'vip', '09:30', '23:00']);
    case 'number[]':
      return r.pick([[], [1], [1, 2], [99]]);
    case 'string[]':
      return r.pick([[], ['vip'], ['tier-1', 'vip']]);
  }
}

describe('CompiledRules agrees with json-rules-engine', () => {
  it('on thousands of generated rules over generated facts', async () => {
    const r = random(20261201);
    let comparisons = 0;
    let throwing = 0;
    let matches = 0;
    for (let set = 0; set < 600; set++) {
      const ruleSet = generatedRuleSet(r, set);
      const evaluator = new RuleEvaluator(ruleSet);
      const rules = new CompiledRules(ruleSet, 'agent');
      for (let sample = 0; sample < 8; sample++) {
        const facts = generatedFacts(r);
        const expected = await reference(evaluator, facts, AGENT);
        const actual = compiled(rules, evaluator, facts, AGENT);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(
            `Disagreement on ${ruleSet.revision}: engine ${JSON.stringify(expected)}, compiled ${JSON.stringify(actual)}\n` +
              `rules: ${JSON.stringify(ruleSet.rules.map((x) => x.when))}\nfacts: ${JSON.stringify(facts)}`,
          );
        }
        comparisons += ruleSet.rules.length;
        if (expected === 'throws') throwing++;
        else matches += expected.filter(Boolean).length;
      }
    }
    // The generated cases reach both outcomes and the engine's failures, not only "false".
    expect(comparisons).toBe(600 * 8 * 5);
    expect(matches).toBeGreaterThan(1000);
    expect(throwing).toBeGreaterThan(10);
  });

  it('on every rule in rules/, agent and account, over facts from the catalogue', async () => {
    const ruleSet = parseRuleSet(await readRuleFiles(join(__dirname, '../../../rules')));
    const evaluator = new RuleEvaluator(ruleSet);
    const r = random(7);
    let matched = 0;
    for (const kind of ['agent', 'account'] as const) {
      const rules = new CompiledRules(ruleSet, kind);
      expect(rules.rules.length).toBeGreaterThan(0);
      for (let sample = 0; sample < 2000; sample++) {
        const facts: Record<string, unknown> = {};
        for (const fact of FACTS.filter((f) => f.scope === kind)) {
          if (r.chance(0.05)) continue;
          const value = catalogueValue(r, fact);
          facts[fact.name] = fact.params ? () => value : value;
        }
        const agent = kind === 'agent' ? { id: sample, groups: r.pick([[], [1], [2, 3], [99]]) } : undefined;
        const at = NOW + Math.floor(r.next() * 7 * 24) * 3_600_000;
        const expected = (
          agent ? await evaluator.evaluateAgent(agent, facts, at) : await evaluator.evaluateAccount(facts, at)
        ).map((e) => e.matched);
        expect(rules.match(facts, evaluator.timeFacts(at), agent)).toEqual(expected);
        matched += expected.filter(Boolean).length;
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('on a tick, re-evaluates only the rules that change with time and agrees with a full evaluation', () => {
    const ruleSet = parseRuleSet([
      {
        path: 'tick.yaml',
        text: `timezone: Europe/Berlin
calendars:
  business-hours:
    weekly: [{ days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00" }]
statuses: [Break]
rules:
  - name: on-break
    priority: 1
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
  - name: busy
    priority: 2
    scope: { groups: [2] }
    when: { fact: messaging.utilization, operator: greaterThan, value: 0.5 }
    then: { set_status: transfers_only }
  - name: full-talk
    priority: 3
    when: { fact: talk.workItems, operator: greaterThanInclusive, value: { fact: talk.maxCapacity } }
    then: { set_status: transfers_only }
  - name: long-break
    priority: 4
    when: { all: [{ fact: status.name, operator: equal, value: Break }, { fact: status.minutes, operator: greaterThan, value: 15 }] }
    then: { set_status: online }
  - name: after-hours
    priority: 5
    when: { not: { fact: calendar.business-hours, operator: equal, value: true } }
    then: { set_status: offline }
  - name: idle
    priority: 6
    scope: { groups: [3] }
    when: { fact: idleMinutes, operator: atLeastDuration, value: 10m }
    then: { set_status: away }
`,
      },
    ]);
    const rules = new CompiledRules(ruleSet, 'agent');
    expect(rules.changesWithTime).toEqual([false, false, false, true, true, true]);
    const evaluator = new RuleEvaluator(ruleSet);
    const r = random(11);
    const agentFacts = FACTS.filter((f) => f.scope === 'agent');
    let changed = 0;
    for (let sample = 0; sample < 2000; sample++) {
      const agent = { id: sample, groups: r.pick([[], [2], [3], [2, 3]]) };
      const before: Record<string, unknown> = {};
      for (const fact of agentFacts) if (!r.chance(0.05)) before[fact.name] = catalogueValue(r, fact);
      const at = NOW + Math.floor(r.next() * 7 * 24) * 3_600_000;
      const previous = rules.match(before, evaluator.timeFacts(at), agent);
      // The clock moves on: only facts that change with time have new values.
      const after = { ...before };
      for (const fact of agentFacts) if (fact.changesWithTime) after[fact.name] = catalogueValue(r, fact);
      const later = at + Math.floor(r.next() * 12) * 3_600_000;
      const onTick = rules.matchOnTick(after, evaluator.timeFacts(later), previous, agent);
      const full = rules.match(after, evaluator.timeFacts(later), agent);
      expect(onTick).toEqual(full);
      if (JSON.stringify(full) !== JSON.stringify(previous)) changed++;
    }
    // The clock's moves did change outcomes, so the reuse was tested where it matters.
    expect(changed).toBeGreaterThan(200);
  });

  it('refuses an operator it does not know when the set is compiled', () => {
    const ruleSet = generatedRuleSet(random(1), 0);
    const broken = {
      ...ruleSet,
      rules: [{ ...ruleSet.rules[0]!, enabled: true, when: { fact: 'n', operator: 'near', value: 1 } }],
    };
    expect(() => new CompiledRules(broken, 'agent')).toThrow('Unknown operator: near');
  });
});
