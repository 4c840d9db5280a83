import { parseRuleSet } from './rule-set.parser';
import { runScenario } from './scenario.runner';

const SET = parseRuleSet([
  {
    path: 'rules.yaml',
    text: `timezone: Europe/Berlin
statuses: [Lunch]
calendars:
  shift:
    weekly: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "08:00", to: "17:00" }]
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
  - name: end-of-shift
    priority: 30
    when:
      all:
        - { fact: status.name, operator: notEqual, value: offline }
        - { fact: calendar.shift, operator: equal, value: false }
    then: { set_status: offline }
  - name: lunch-overrun
    mode: shadow
    when: { fact: status.name, operator: equal, value: Lunch }
    then: { set_status: online }
  - name: surge
    for: 5m
    when: { fact: account.messaging.utilization, operator: greaterThan, value: 0.8 }
    then: { set_capacity: { rule: Default, capacities: { messaging: 5 } } }
`,
  },
]);

const run = (text: string) => runScenario(SET, 'test.yaml', text);

describe('scenario tests', () => {
  it('fires after `for`, then waits out the cooldown', async () => {
    const result = await run(`name: idle
start: 2026-11-23T10:00:00+01:00
agents: { sam: { id: 1, groups: [1] } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 15 } }
expect:
  - { at: 9m, agent: sam, actions: [] }
  - { at: 10m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
  - { at: 39m, agent: sam, actions: [] }
  - { at: 40m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
`);
    expect(result).toEqual({ file: 'test.yaml', name: 'idle', passed: true, failures: [] });
  });

  it('lets the higher priority win, and restarts `for` when the condition breaks', async () => {
    const result = await run(`name: priority
start: 2026-11-23T10:00:00+01:00
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 45 } }
  - { at: 5m, agent: sam, facts: { idleMinutes: 0 } }
  - { at: 6m, agent: sam, facts: { idleMinutes: 20 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: very-idle-offline, set_status: offline }] }
  - { at: 10m, agent: sam, actions: [] }
  - { at: 16m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('follows the calendar across a DST change', async () => {
    // Saturday 2026-03-28 is CET (UTC+1), Sunday 2026-03-29 is CEST (UTC+2): 17:00 local moves an hour in UTC.
    const result = await run(`name: dst
start: 2026-03-28T15:59:00Z
step: 1m
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online } }
expect:
  - { at: 0m, agent: sam, actions: [] }
  - { at: 1m, agent: sam, actions: [{ rule: end-of-shift, set_status: offline }] }
  - { at: 23h, agent: sam, actions: [] }
  - { at: 23h1m, agent: sam, actions: [{ rule: end-of-shift, set_status: offline }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('reports shadow rules without letting them act or outrank', async () => {
    const result = await run(`name: shadow
start: 2026-11-23T10:00:00+01:00
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: Lunch, idleMinutes: 50 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: lunch-overrun, set_status: online, shadow: true }, { rule: very-idle-offline, set_status: offline }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('raises capacity while busy and reverts it after', async () => {
    const result = await run(`name: surge
start: 2026-11-23T10:00:00+01:00
timeline:
  - { at: 0m, account: { account.messaging.utilization: 0.9 } }
  - { at: 20m, account: { account.messaging.utilization: 0.5 } }
expect:
  - { at: 4m, account: true, actions: [] }
  - { at: 5m, account: true, actions: [{ rule: surge, set_capacity: { rule: Default, capacities: { messaging: 5 } } }] }
  - { at: 20m, account: true, actions: [{ revert: Default }] }
  - { at: 21m, account: true, actions: [] }
`);
    expect(result.failures).toEqual([]);
  });

  it('prints expected and actual actions with the explanation when it fails', async () => {
    const result = await run(`name: wrong
start: 2026-11-23T10:00:00+01:00
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 5 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
`);
    expect(result.passed).toBe(false);
    expect(result.failures[0]!.split('\n')).toEqual([
      'at +0m for agent sam:',
      '    expected: {"rule":"idle-away","set_status":"away"}',
      '    actual:   no action',
      '    rule idle-away (did not match):',
      '      ✗ idleMinutes atLeastDuration "15m" (was 5)',
    ]);
  });

  it('says what is wrong with a malformed scenario', async () => {
    const result = await run(`name: broken
start: yesterday
`);
    expect(result).toMatchObject({
      passed: false,
      failures: ['start must be an ISO 8601 time with its offset, such as 2026-11-23T09:00:00+01:00'],
    });
  });
});
