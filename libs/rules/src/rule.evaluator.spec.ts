import { parseRuleSet } from './rule-set.parser';
import { RuleEvaluator, formatExplanation } from './rule.evaluator';

const SET = parseRuleSet([
  {
    path: 'rules.yaml',
    text: `timezone: Europe/Berlin
calendars:
  business-hours:
    weekly: [{ days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00" }]
rules:
  - name: idle-away
    priority: 10
    scope: { exclude: { groups: [99] } }
    when:
      all:
        - { fact: messaging.status, operator: equal, value: online }
        - { fact: idleMinutes, operator: atLeastDuration, value: 15m }
    then: { set_status: away }
  - name: after-hours-offline
    when:
      all:
        - { fact: status.name, operator: notEqual, value: offline }
        - not: { fact: calendar.business-hours, operator: equal, value: true }
    then: { set_status: offline }
  - name: full-talk
    priority: 5
    when: { fact: talk.workItems, operator: greaterThanInclusive, value: { fact: talk.maxCapacity } }
    then: { set_status: transfers_only }
  - name: thin-tier-1
    when: { fact: group.agentsOnline, operator: lessThan, value: 2, params: { group: 1, channel: messaging } }
    then: { set_capacity: { rule: Default, capacities: { messaging: 5 } } }
`,
  },
]);
const MONDAY_10 = Date.parse('2026-11-23T09:00:00Z'); // 10:00 in Berlin
const MONDAY_20 = Date.parse('2026-11-23T19:00:00Z');
const SAM = { id: 1, groups: [1] };

describe('RuleEvaluator', () => {
  const evaluator = new RuleEvaluator(SET);

  it('matches rules and explains every condition', async () => {
    const results = await evaluator.evaluateAgent(
      SAM,
      { 'messaging.status': 'online', idleMinutes: 20, 'status.name': 'online' },
      MONDAY_10,
    );
    const idle = results.find((r) => r.rule.name === 'idle-away')!;
    expect(idle).toMatchObject({ applies: true, matched: true });
    expect(idle.explanation).toEqual({
      kind: 'all',
      passed: true,
      children: [
        {
          kind: 'fact',
          fact: 'messaging.status',
          operator: 'equal',
          expected: 'online',
          actual: 'online',
          passed: true,
        },
        {
          kind: 'fact',
          fact: 'idleMinutes',
          operator: 'atLeastDuration',
          expected: '15m',
          actual: 20,
          passed: true,
        },
      ],
    });
    expect(results.find((r) => r.rule.name === 'after-hours-offline')!.matched).toBe(false);
  });

  it('explains why not, with missing facts shown as missing', async () => {
    const [idle, , talk] = await evaluator.evaluateAgent(
      SAM,
      { 'messaging.status': 'away', idleMinutes: 3 },
      MONDAY_10,
    );
    expect(idle!.matched).toBe(false);
    expect(formatExplanation(idle!.explanation)).toEqual([
      '✗ all of:',
      '    ✗ messaging.status equal "online" (was "away")',
      expect.stringMatching(/^ {4}[✗·] idleMinutes atLeastDuration "15m"/),
    ]);
    expect(talk!.matched).toBe(false);
    expect(formatExplanation(talk!.explanation)[0]).toContain('(was missing)');
  });

  it('compares a fact with another fact and reports both values', async () => {
    const [, , talk] = await evaluator.evaluateAgent(
      SAM,
      { 'talk.workItems': 1, 'talk.maxCapacity': 1 },
      MONDAY_10,
    );
    expect(talk!.matched).toBe(true);
    expect(talk!.explanation).toMatchObject({ kind: 'fact', expected: 1, actual: 1, passed: true });
  });

  it('uses local time and calendars in the rule set zone', async () => {
    const facts = { 'status.name': 'online' };
    const day = await evaluator.evaluateAgent(SAM, facts, MONDAY_10);
    const night = await evaluator.evaluateAgent(SAM, facts, MONDAY_20);
    expect(day.find((r) => r.rule.name === 'after-hours-offline')!.matched).toBe(false);
    expect(night.find((r) => r.rule.name === 'after-hours-offline')!.matched).toBe(true);
    expect(evaluator.timeFacts(MONDAY_20)).toMatchObject({
      'localTime.time': '20:00',
      'localTime.weekday': 'mon',
      'calendar.business-hours': false,
    });
  });

  it('leaves agents outside a rule scope alone', async () => {
    const [idle] = await evaluator.evaluateAgent(
      { id: 2, groups: [99] },
      { 'messaging.status': 'online', idleMinutes: 60 },
      MONDAY_10,
    );
    expect(idle).toMatchObject({ applies: false, matched: false });
  });

  it('evaluates account rules with parameterised facts', async () => {
    const agentsOnline = (params: { group: number; channel: string }) =>
      params.group === 1 && params.channel === 'messaging' ? 1 : 9;
    const [thin] = await evaluator.evaluateAccount({ 'group.agentsOnline': agentsOnline }, MONDAY_10);
    expect(thin).toMatchObject({
      matched: true,
      explanation: { kind: 'fact', actual: 1, params: { group: 1, channel: 'messaging' } },
    });
  });

  it('never lets concurrent evaluations skip rules', async () => {
    const runs = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        evaluator.evaluateAgent(
          { id: i, groups: [1] },
          { 'messaging.status': 'online', idleMinutes: i % 30, 'status.name': 'online' },
          MONDAY_20,
        ),
      ),
    );
    const wrong = runs.filter((results, i) => {
      const byName = Object.fromEntries(results.map((r) => [r.rule.name, r.matched]));
      return (
        byName['idle-away'] !== i % 30 >= 15 ||
        byName['after-hours-offline'] !== true ||
        results.some((r) => r.explanation === null)
      );
    });
    expect(wrong).toEqual([]);
  });
});
