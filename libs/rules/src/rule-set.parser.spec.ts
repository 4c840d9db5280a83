import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, RuleSetError } from './rule-set.errors';
import { parseRuleSet, type RuleFile } from './rule-set.parser';

const BROKEN = join(__dirname, '..', 'fixtures', 'broken');

function problemsOf(files: RuleFile[]): string[] {
  try {
    parseRuleSet(files);
  } catch (error) {
    if (error instanceof RuleSetError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

const file = (path: string, text: string): RuleFile => ({ path, text });

describe('checking rule files', () => {
  const yamlFixtures = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));

  it.each(yamlFixtures)('%s reports exactly the problem its first line expects', (name) => {
    const text = readFileSync(join(BROKEN, name), 'utf8');
    const expected = /^# expect: (.*)$/m.exec(text)![1]!;
    const problems = problemsOf([file(name, text)]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(`${name}:${expected}`);
  });

  it('reports every problem of a file at once, in file order, JSON included', () => {
    const name = 'several-problems.json';
    expect(problemsOf([file(name, readFileSync(join(BROKEN, name), 'utf8'))])).toEqual([
      `${name}:3:38: unknown fact "idelMinutes" (did you mean "idleMinutes"?)`,
      `${name}:4:28: mode must be "enforce" or "shadow" (got "loud")`,
      `${name}:4:96: value must be a non-empty list of numbers for this operator (got 3)`,
      `${name}:4:109: then must have exactly one of set_status or set_capacity`,
    ]);
  });

  it('loads a valid set: defaults, durations, calendars, statuses, both kinds of rule', () => {
    const set = parseRuleSet([
      file(
        'calendars.yaml',
        `timezone: Europe/Berlin
statuses: [Lunch]
calendars:
  business-hours:
    weekly: [{ days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00" }]
    holidays: ["2026-12-25"]
`,
      ),
      file(
        'rules.yaml',
        `rules:
  # Comments are welcome.
  - name: lunch-overrun
    description: Back from lunch after an hour
    for: 5m
    cooldown: 1h
    mode: shadow
    scope: { groups: [360001000001], exclude: { agents: [360099100001] } }
    when:
      all:
        - { fact: status.name, operator: equal, value: Lunch }
        - { fact: status.minutes, operator: atLeastDuration, value: 1h }
        - { fact: calendar.business-hours, operator: equal, value: true }
    then: { set_status: online }
  - name: surge
    priority: 10
    when: { fact: account.messaging.utilization, operator: greaterThan, value: 0.85 }
    then: { set_capacity: { rule: Default capacity, capacities: { messaging: 5 } } }
`,
      ),
    ]);
    expect(set.timeZone).toBe('Europe/Berlin');
    expect(set.customStatuses).toEqual(['Lunch']);
    expect(set.calendars.get('business-hours')?.holidays.has('2026-12-25')).toBe(true);
    expect(set.rules.map((r) => [r.name, r.kind, r.mode, r.priority, r.forMs, r.cooldownMs])).toEqual([
      ['lunch-overrun', 'agent', 'shadow', 0, 300_000, 3_600_000],
      ['surge', 'account', 'enforce', 10, 0, 0],
    ]);
    expect(set.rules[0]!.scope).toEqual({
      groups: [360001000001],
      agents: [],
      excludeGroups: [],
      excludeAgents: [360099100001],
    });
    expect(set.rules[0]!.source).toEqual({ file: 'rules.yaml', line: 3, column: 5 });
    expect(set.revision).toMatch(/^[0-9a-f]{12}$/);
  });

  it('gives the same revision for the same files and another for any change', () => {
    const a = [file('a.yaml', 'rules: []\n'), file('b.yaml', 'rules: []\n')];
    expect(parseRuleSet(a).revision).toBe(parseRuleSet([...a].reverse()).revision);
    expect(parseRuleSet([file('a.yaml', 'rules: []  \n'), a[1]!]).revision).not.toBe(
      parseRuleSet(a).revision,
    );
  });

  it('keeps equal-priority rules that cannot meet: different agents, or different capacity rules', () => {
    const rules = `rules:
  - { name: a, scope: { agents: [1] }, when: { fact: idleMinutes, operator: greaterThan, value: 1 }, then: { set_status: away } }
  - { name: b, scope: { agents: [2] }, when: { fact: idleMinutes, operator: greaterThan, value: 1 }, then: { set_status: offline } }
  - { name: c, when: { fact: account.talk.agentsOnline, operator: lessThan, value: 3 }, then: { set_capacity: { rule: A, capacities: { voice: 1 } } } }
  - { name: d, when: { fact: account.talk.agentsOnline, operator: lessThan, value: 3 }, then: { set_capacity: { rule: B, capacities: { voice: 0 } } } }
`;
    expect(problemsOf([file('r.yaml', rules)])).toEqual([]);
  });

  it('checks params, list facts and fact references', () => {
    const rules = `rules:
  - name: thin-group
    when:
      all:
        - { fact: group.agentsOnline, operator: lessThan, value: 2, params: { group: 7 } }
        - { fact: capacityRule.capacity, operator: equal, value: 3, params: { rule: Default, channel: messaging } }
    then: { set_capacity: { rule: Default, capacities: { messaging: 4 } } }
  - name: vip
    when:
      all:
        - { fact: agent.groups, operator: contains, value: "7" }
        - { fact: messaging.workItems, operator: greaterThanInclusive, value: { fact: messaging.maxCapacity } }
        - { fact: idleMinutes, operator: contains, value: 1 }
    then: { set_status: away }
`;
    expect(problemsOf([file('r.yaml', rules)])).toEqual([
      'r.yaml:5:77: params.channel is required for group.agentsOnline',
      'r.yaml:11:60: value must be a number to compare with agent.groups (got "7")',
      'r.yaml:13:42: operator contains does not apply to idleMinutes, which is a number',
    ]);
  });
});
