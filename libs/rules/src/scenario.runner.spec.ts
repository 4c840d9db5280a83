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
  - name: voice-surge
    keepFor: 10m
    when: { fact: account.talk.utilization, operator: greaterThan, value: 0.8 }
    then: { set_capacity: { rule: Voice, capacities: { voice: 2 } } }
  - name: email-surge
    when: { fact: account.support.workItems, operator: greaterThan, value: 100 }
    release: { fact: account.support.workItems, operator: lessThan, value: 20 }
    then: { set_capacity: { rule: Email, capacities: { email: 9 } } }
`,
  },
]);

const run = (text: string) => runScenario(SET, 'test.yaml', text);

/** No group minimum: these scenarios have one agent per group. */
const NO_GROUP_MINIMUM = 'safety: { minOnlinePerGroup: 0 }';

describe('scenario tests', () => {
  it('fires after `for`, waits out the cooldown, and counts minute facts on with the clock', async () => {
    const result = await run(`name: idle
start: 2026-11-23T10:00:00+01:00
${NO_GROUP_MINIMUM}
agents: { sam: { id: 1, groups: [1] } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 5 } }
  # The router set sam away at 20m; sam comes back and idles again.
  - { at: 30m, agent: sam, facts: { status.name: online, idleMinutes: 15 } }
expect:
  # 5 idle minutes at 0m are 15 at 10m: the condition starts, and holds its 10m \`for\` at 20m.
  - { at: 19m, agent: sam, actions: [] }
  - { at: 20m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
  # Matching again from 30m, held for its \`for\` at 40m, but in cooldown until 50m.
  - { at: 40m, agent: sam, actions: [] }
  - { at: 49m, agent: sam, actions: [] }
  - { at: 50m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
`);
    expect(result).toEqual({ file: 'test.yaml', name: 'idle', passed: true, failures: [] });
  });

  it('restarts minute facts when what they count from changes, as the router counts them', async () => {
    const result = await run(`name: restarts
start: 2026-11-23T10:00:00+01:00
${NO_GROUP_MINIMUM}
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 15, workItems: 0 } }
  # The router sets sam away at 10m; sam comes back online at 20m: idle time counts from then.
  - { at: 20m, agent: sam, facts: { status.name: online } }
  # Work arrives and ends: idle time counts from the end of the work.
  - { at: 30m, agent: sam, facts: { workItems: 1 } }
  - { at: 31m, agent: sam, facts: { workItems: 0 } }
expect:
  - { at: 10m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
  # Idle 15 minutes again at 46m, held for its 10m \`for\` at 56m.
  - { at: 55m, agent: sam, actions: [] }
  - { at: 56m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('lets the higher priority win, and restarts `for` when the condition breaks', async () => {
    const result = await run(`name: priority
start: 2026-11-23T10:00:00+01:00
${NO_GROUP_MINIMUM}
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
${NO_GROUP_MINIMUM}
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online } }
  - { at: 22h, agent: sam, facts: { status.name: online } }
expect:
  - { at: 0m, agent: sam, actions: [] }
  - { at: 1m, agent: sam, actions: [{ rule: end-of-shift, set_status: offline }] }
  - { at: 23h, agent: sam, actions: [] }
  - { at: 23h1m, agent: sam, actions: [{ rule: end-of-shift, set_status: offline }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('reports shadow rules without letting them act or outrank', async () => {
    const result = await run(`name: shadow and enforce
start: 2026-11-23T10:00:00+01:00
${NO_GROUP_MINIMUM}
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: Lunch, idleMinutes: 50 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: lunch-overrun, set_status: online, shadow: true }, { rule: very-idle-offline, set_status: offline }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('reports a shadow rule once while the agent stays as it is', async () => {
    const result = await run(`name: shadow
start: 2026-11-23T10:00:00+01:00
${NO_GROUP_MINIMUM}
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: Lunch, idleMinutes: 0 } }
  - { at: 20m, agent: sam, facts: { workItems: 0 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: lunch-overrun, set_status: online, shadow: true }] }
  - { at: 1m, agent: sam, actions: [] }
  - { at: 19m, agent: sam, actions: [] }
  # The agent changed (a new event): what shadow would do is news again.
  - { at: 20m, agent: sam, actions: [{ rule: lunch-overrun, set_status: online, shadow: true }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('holds a rule while a person’s change is recent, once, and acts when the hold ends', async () => {
    const result = await run(`name: human hold
start: 2026-11-23T10:00:00+01:00
safety: { humanHold: 10m, minOnlinePerGroup: 0 }
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, status.setBy: human, status.minutes: 0, idleMinutes: 45 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: very-idle-offline, set_status: offline, held: true }] }
  - { at: 5m, agent: sam, actions: [] }
  - { at: 10m, agent: sam, actions: [{ rule: very-idle-offline, set_status: offline }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('keeps a group’s last agent online', async () => {
    const result = await run(`name: group minimum
start: 2026-11-23T10:00:00+01:00
agents: { sam: { id: 1, groups: [7] }, ana: { id: 2, groups: [7] } }
timeline:
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 45 } }
  - { at: 0m, agent: ana, facts: { status.name: online, idleMinutes: 45 } }
expect:
  - { at: 0m, agent: sam, actions: [{ rule: very-idle-offline, set_status: offline }] }
  - { at: 0m, agent: ana, actions: [{ rule: very-idle-offline, set_status: offline, held: true }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('holds everything while paused and acts once resumed, without spending `for` or cooldown', async () => {
    const result = await run(`name: pause
start: 2026-11-23T10:00:00+01:00
${NO_GROUP_MINIMUM}
agents: { sam: { id: 1 } }
timeline:
  - { at: 0m, paused: true }
  - { at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 15 } }
  - { at: 15m, paused: false }
expect:
  - { at: 10m, agent: sam, actions: [{ rule: idle-away, set_status: away, held: true }] }
  - { at: 14m, agent: sam, actions: [] }
  - { at: 15m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('raises capacity while busy and puts it back after', async () => {
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

  it('keeps a change for keepFor after its condition ends, and a dip inside it does not flap', async () => {
    const result = await run(`name: keep for
start: 2026-11-23T10:00:00+01:00
timeline:
  - { at: 0m, account: { account.talk.utilization: 0.9 } }
  - { at: 5m, account: { account.talk.utilization: 0.5 } }
  - { at: 10m, account: { account.talk.utilization: 0.9 } }
  - { at: 12m, account: { account.talk.utilization: 0.5 } }
expect:
  - { at: 0m, account: true, actions: [{ rule: voice-surge, set_capacity: { rule: Voice, capacities: { voice: 2 } } }] }
  - { at: 5m, account: true, actions: [] }
  - { at: 10m, account: true, actions: [] }
  - { at: 21m, account: true, actions: [] }
  - { at: 22m, account: true, actions: [{ revert: Voice }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('keeps a change with a release condition until it matches', async () => {
    const result = await run(`name: release
start: 2026-11-23T10:00:00+01:00
timeline:
  - { at: 0m, account: { account.support.workItems: 150 } }
  - { at: 5m, account: { account.support.workItems: 50 } }
  - { at: 30m, account: { account.support.workItems: 10 } }
expect:
  - { at: 0m, account: true, actions: [{ rule: email-surge, set_capacity: { rule: Email, capacities: { email: 9 } } }] }
  - { at: 5m, account: true, actions: [] }
  - { at: 29m, account: true, actions: [] }
  - { at: 30m, account: true, actions: [{ revert: Email }] }
`);
    expect(result.failures).toEqual([]);
  });

  it('prints where the expectation is, expected and actual actions, and the rule’s standing and conditions', async () => {
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
      'test.yaml:7: at +0m for agent sam:',
      '    expected: {"rule":"idle-away","set_status":"away"}',
      '    actual:   no action',
      '    rule idle-away (does not match):',
      '      ✗ idleMinutes atLeastDuration "15m" (was 5)',
    ]);
  });

  it('says what is wrong with a malformed scenario, with file, line and column', async () => {
    const result = await run(`name: broken
start: yesterday
timeline: []
expect: [{ at: 0m, account: true, actions: [] }]
`);
    expect(result).toMatchObject({
      passed: false,
      failures: [
        'test.yaml:2:8: start must be an ISO 8601 time with its offset, such as 2026-11-23T09:00:00+01:00 (got "yesterday")',
      ],
    });
  });
});
