import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FACTS } from './facts';
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

describe('values a fact never takes', () => {
  it('accepts values at the edges of a range and comparisons that can go either way', () => {
    const rules = `rules:
  - name: edges
    priority: 1
    when:
      all:
        - { fact: idleMinutes, operator: greaterThanInclusive, value: 0 }
        - { fact: idleMinutes, operator: atLeastDuration, value: 0m }
        - { fact: localTime.hour, operator: lessThanInclusive, value: 23 }
        - { fact: localTime.hour, operator: in, value: [0, 23] }
        - { fact: localTime.minute, operator: notEqual, value: 59 }
        - { fact: messaging.utilization, operator: greaterThan, value: 1.2 }
        - { fact: messaging.utilization, operator: lessThan, value: 10 }
        - { fact: messaging.workItems, operator: equal, value: 0 }
        - { fact: messaging.workItems, operator: greaterThanInclusive, value: { fact: messaging.maxCapacity } }
        - { fact: localTime.time, operator: timeBetween, value: ['00:00', '24:00'] }
        - { fact: localTime.time, operator: timeBetween, value: ['22:00', '06:00'] }
    then: { set_status: away }
  - name: surge
    when:
      all:
        - { fact: account.support.utilization, operator: greaterThanInclusive, value: 0.85 }
        - { fact: capacityRule.capacity, operator: lessThan, value: 5, params: { rule: Default, channel: email } }
    then: { set_capacity: { rule: Default, capacities: { email: 5 } } }
`;
    expect(problemsOf([file('r.yaml', rules)])).toEqual([]);
  });

  it('reports every comparison that never or always holds at its value, with how to write a ratio', () => {
    const rules = `rules:
  - name: agent
    when:
      all:
        - { fact: support.utilization, operator: lessThanInclusive, value: 85 }
        - { fact: talk.utilization, operator: notIn, value: [0.5, 150] }
        - { fact: localTime.hour, operator: lessThan, value: 24 }
        - { fact: localTime.hour, operator: greaterThan, value: 23 }
        - { fact: status.minutes, operator: lessThanDuration, value: 0m }
        - { fact: messaging.workItems, operator: notEqual, value: -1 }
    then: { set_status: away }
  - name: account
    when:
      all:
        - { fact: account.talk.utilization, operator: greaterThanInclusive, value: 12 }
        - { fact: group.agentsOnline, operator: lessThan, value: 0, params: { group: 7, channel: talk } }
    then: { set_capacity: { rule: Default, capacities: { voice: 1 } } }
`;
    expect(problemsOf([file('r.yaml', rules)])).toEqual([
      'r.yaml:5:76: support.utilization lessThanInclusive 85 is always true: support.utilization is a ratio from 0 to 10; write 0.85 for 85%',
      'r.yaml:6:61: 150 is never a value of talk.utilization (a ratio from 0 to 10; write 1.5 for 150%)',
      'r.yaml:7:62: localTime.hour lessThan 24 is always true: localTime.hour is from 0 to 23',
      'r.yaml:8:65: localTime.hour greaterThan 23 can never be true: localTime.hour is from 0 to 23',
      'r.yaml:9:70: status.minutes lessThanDuration "0m" can never be true: status.minutes is never negative',
      'r.yaml:10:67: -1 is never a value of messaging.workItems (never negative)',
      'r.yaml:15:84: account.talk.utilization greaterThanInclusive 12 can never be true: account.talk.utilization is a ratio from 0 to 10; write 0.12 for 12%',
      'r.yaml:16:66: group.agentsOnline lessThan 0 can never be true: group.agentsOnline is never negative',
    ]);
  });

  it('has a range for every minutes, ratio and local-time number in the catalogue, around its example', () => {
    const numbers = FACTS.filter((f) => f.type === 'number');
    const needRange = numbers.filter(
      (f) =>
        f.unit !== undefined || f.name.startsWith('localTime.') || /workItems|agents|apacity/i.test(f.name),
    );
    expect(needRange.filter((f) => !f.range).map((f) => f.name)).toEqual([]);
    expect(
      numbers.filter(
        (f) => f.range && !(f.range.min <= (f.example as number) && (f.example as number) <= f.range.max),
      ),
    ).toEqual([]);
    expect(FACTS.filter((f) => f.range && f.type !== 'number').map((f) => f.name)).toEqual([]);
  });
});
