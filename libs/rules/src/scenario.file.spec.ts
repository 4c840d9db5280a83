import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuleSetError, formatProblem } from './rule-set.errors';
import { readRuleFiles } from './rule-set.loader';
import type { RuleSet } from './rule-set.model';
import { parseRuleSet } from './rule-set.parser';
import { canonical, readScenarioFile } from './scenario.file';

const SHIPPED = join(__dirname, '..', '..', '..', 'rules');
const BROKEN = join(__dirname, '..', 'fixtures', 'broken-scenarios');

/** A small rule set of its own, so these specs do not move when the shipped rules do. */
const SET = parseRuleSet([
  {
    path: 'rules.yaml',
    text: `timezone: Europe/Berlin
statuses: [Lunch]
calendars:
  shift:
    weekly: [{ days: [mon, tue, wed, thu, fri], from: "08:00", to: "17:00" }]
rules:
  - name: idle-away
    for: 5m
    when: { fact: idleMinutes, operator: atLeastDuration, value: 15m }
    then: { set_status: away }
  - name: lunch-overrun
    priority: 5
    mode: shadow
    when: { fact: status.name, operator: equal, value: Lunch }
    then: { set_status: online }
  - name: surge
    when: { fact: account.messaging.utilization, operator: greaterThan, value: 0.8 }
    then: { set_capacity: { rule: Default, capacities: { messaging: 5 } } }
`,
  },
]);

function problemsOf(text: string, ruleSet: RuleSet = SET, file = 'test.yaml'): string[] {
  try {
    readScenarioFile(ruleSet, file, text);
  } catch (error) {
    if (error instanceof RuleSetError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

/** Problems as `line:column: message`, for a file named test.yaml. */
const problems = (text: string) => problemsOf(text).map((p) => p.replace(/^test\.yaml:/, ''));
const messages = (text: string) => problems(text).map((p) => p.replace(/^\d+:\d+: /, ''));
const read = (text: string) => readScenarioFile(SET, 'test.yaml', text);

/** A valid scenario; each part can be replaced (the text after its key) or left out with null. */
function aScenario(parts: Partial<Record<string, string | null>> = {}): string {
  const defaults: Record<string, string | null> = {
    name: 'a scenario',
    start: '2026-11-23T10:00:00+01:00',
    step: null,
    agents: '{ sam: { id: 1, groups: [10] } }',
    safety: null,
    timeline: '[{ at: 0m, agent: sam, facts: { status.name: online, idleMinutes: 15 } }]',
    expect: '[{ at: 5m, agent: sam, actions: [{ rule: idle-away, set_status: away }] }]',
  };
  return Object.entries({ ...defaults, ...parts })
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('');
}
const timeline = (entries: string) => aScenario({ timeline: `[${entries}]` });
const expectations = (entries: string) => aScenario({ expect: `[${entries}]` });
const facts = (given: string) => timeline(`{ at: 0m, agent: sam, facts: ${given} }`);
const accountFacts = (given: string) => timeline(`{ at: 0m, account: ${given} }`);

describe('reading a scenario file', () => {
  describe('broken scenarios', () => {
    const fixtures = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));
    let shipped: RuleSet;
    beforeAll(async () => {
      shipped = parseRuleSet(await readRuleFiles(SHIPPED));
    });

    it('are all here', () => expect(fixtures.length).toBeGreaterThanOrEqual(20));

    it.each(fixtures)('%s reports exactly the problem its first line expects', (name) => {
      const text = readFileSync(join(BROKEN, name), 'utf8');
      const expected = /^# expect: (.*)$/m.exec(text)![1]!;
      expect(problemsOf(text, shipped, name)).toEqual([`${name}:${expected}`]);
    });

    it('report every problem of a file at once, in file order, JSON included', () => {
      const name = 'several-problems.json';
      expect(problemsOf(readFileSync(join(BROKEN, name), 'utf8'), shipped, name)).toEqual([
        `${name}:3:12: start 2026-11-23T10:00:00 has no offset: add "Z" for UTC or the local offset, such as "+01:00" (without one the instant is ambiguous)`,
        `${name}:6:71: unknown fact "idelMinutes" (did you mean "idleMinutes"?)`,
        `${name}:6:90: calendar.business-hours is computed from the time and the rule set's calendars; it cannot be given`,
        `${name}:7:29: paused must be true or false (got "no")`,
        `${name}:10:57: unknown rule "messaging-idle-awy" (did you mean "messaging-idle-away"?): no rule of the rule set has this name`,
        `${name}:11:13: at 99999d is more than 31 days after start; a scenario covers at most 31 days`,
      ]);
    });

    it('throw one RuleSetError whose message lists every problem as file:line:column', () => {
      const thrown = (() => {
        try {
          read('name: x\n');
        } catch (error) {
          return error;
        }
        return null;
      })();
      expect(thrown).toBeInstanceOf(RuleSetError);
      expect((thrown as RuleSetError).message).toBe(
        [
          'The rule set has 3 problems:',
          'test.yaml:1:1: a scenario needs start: the instant it begins, such as 2026-11-23T09:00:00+01:00',
          'test.yaml:1:1: a scenario needs timeline: a list of { at, agent, facts }, { at, account } or { at, paused }',
          'test.yaml:1:1: a scenario needs expect: a list of { at, agent or account: true, actions }',
        ].join('\n'),
      );
    });
  });

  describe('the shipped scenarios', () => {
    const files = readdirSync(join(SHIPPED, 'tests')).filter((f) => f.endsWith('.test.yaml'));
    let shipped: RuleSet;
    beforeAll(async () => {
      shipped = parseRuleSet(await readRuleFiles(SHIPPED));
    });

    it('are all here', () => expect(files.length).toBeGreaterThan(0));

    it.each(files)('%s reads without problems against the rules in rules/', (name) => {
      const path = join(SHIPPED, 'tests', name);
      expect(problemsOf(readFileSync(path, 'utf8'), shipped, path)).toEqual([]);
    });

    it('idle.test.yaml reads as the runner needs it', () => {
      const path = join(SHIPPED, 'tests', 'idle.test.yaml');
      const spec = readScenarioFile(shipped, path, readFileSync(path, 'utf8'));
      expect(spec.name).toBe('an idle messaging agent goes away after 15 idle minutes held for 5 more');
      expect(spec.start).toBe(Date.parse('2026-11-23T09:00:00Z'));
      expect(spec.stepMs).toBe(60_000);
      expect([...spec.agents]).toEqual([
        ['sam', { id: 360099100001, groups: [360001000001] }],
        ['vic', { id: 360099100002, groups: [360001000004] }],
      ]);
      expect(spec.events[0]).toEqual({
        kind: 'agent',
        at: 0,
        agent: 'sam',
        facts: { 'status.name': 'online', 'messaging.status': 'online', idleMinutes: 15, workItems: 0 },
        source: { file: path, line: 9, column: 5 },
      });
      expect(spec.expectations.map((e) => [e.at, e.target, e.label, e.actions, e.source.line])).toEqual([
        [240_000, 'agent:sam', 'agent sam', [], 17],
        [300_000, 'agent:sam', 'agent sam', ['{"rule":"messaging-idle-away","set_status":"away"}'], 18],
        [900_000, 'agent:sam', 'agent sam', [], 20],
        [2_040_000, 'agent:sam', 'agent sam', [], 21],
        [2_100_000, 'agent:sam', 'agent sam', ['{"rule":"messaging-idle-away","set_status":"away"}'], 22],
        [300_000, 'agent:vic', 'agent vic', [], 23],
      ]);
      expect(spec.safety).toEqual({ humanHoldS: 600, maxChangesPerMin: 60, minOnlinePerGroup: 0 });
    });

    it('capacity.test.yaml gives capacity changes and reverts with sorted keys, as the runner prints them', () => {
      const path = join(SHIPPED, 'tests', 'capacity.test.yaml');
      const spec = readScenarioFile(shipped, path, readFileSync(path, 'utf8'));
      expect(spec.agents.size).toBe(0);
      expect(spec.events.map((e) => e.kind)).toEqual(['account', 'account']);
      expect(spec.expectations.flatMap((e) => e.actions)).toEqual([
        '{"rule":"messaging-surge","set_capacity":{"capacities":{"messaging":5},"rule":"Default capacity"}}',
        '{"revert":"Default capacity"}',
      ]);
    });

    it('end-of-shift-dst.test.yaml keeps its UTC start and 15-minute step', () => {
      const path = join(SHIPPED, 'tests', 'end-of-shift-dst.test.yaml');
      const spec = readScenarioFile(shipped, path, readFileSync(path, 'utf8'));
      expect(spec.start).toBe(Date.UTC(2026, 9, 23, 16));
      expect(spec.stepMs).toBe(900_000);
      expect(spec.expectations.at(-1)!.at).toBe((73 * 60 + 15) * 60_000);
    });
  });

  describe('start', () => {
    it.each([
      ['2026-11-23T10:00:00+01:00', Date.UTC(2026, 10, 23, 9)],
      ["'2026-11-23T10:00:00+01:00'", Date.UTC(2026, 10, 23, 9)],
      ['2026-11-23T09:00:00Z', Date.UTC(2026, 10, 23, 9)],
      ['2026-11-23T09:00Z', Date.UTC(2026, 10, 23, 9)],
      ['2026-11-23T04:30:00.500-05:00', Date.UTC(2026, 10, 23, 9, 30, 0, 500)],
      ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ])('reads %s as an instant', (start, epoch) => {
      expect(read(aScenario({ start })).start).toBe(epoch);
    });

    it.each(['2026-11-23T10:00:00', "'2026-11-23T10:00:00'", '2026-11-23T10:00'])(
      'refuses %s: without an offset the time is not an instant',
      (start) => {
        expect(problems(aScenario({ start }))).toEqual([
          `2:8: start ${start.replace(/'/g, '')} has no offset: add "Z" for UTC or the local offset, such as "+01:00" (without one the instant is ambiguous)`,
        ]);
      },
    );

    it('reads the text as written even where YAML 1.1 makes a date of it', () => {
      expect(read(`%YAML 1.1\n---\n${aScenario()}`).start).toBe(Date.UTC(2026, 10, 23, 9));
      expect(messages(`%YAML 1.1\n---\n${aScenario({ start: '2026-11-23T10:00:00' })}`)).toEqual([
        'start 2026-11-23T10:00:00 has no offset: add "Z" for UTC or the local offset, such as "+01:00" (without one the instant is ambiguous)',
      ]);
    });

    it.each([
      ['2026-11-23', '"2026-11-23"'],
      ['2026-11-23 10:00:00+01:00', '"2026-11-23 10:00:00+01:00"'],
      ['2026-11-23T24:00:00Z', '"2026-11-23T24:00:00Z"'],
      ['2026-02-29T10:00:00Z', '"2026-02-29T10:00:00Z"'],
      ['2026-11-23T10:00:00+0100', '"2026-11-23T10:00:00+0100"'],
      ['next monday', '"next monday"'],
      ['1795424400000', '"1795424400000"'],
      ['[2026]', '[2026]'],
    ])('refuses %s', (start, got) => {
      expect(messages(aScenario({ start }))).toEqual([
        `start must be an ISO 8601 time with its offset, such as 2026-11-23T09:00:00+01:00 (got ${got})`,
      ]);
    });
  });

  describe('step and times', () => {
    it('steps a minute by default, or as given', () => {
      expect(read(aScenario()).stepMs).toBe(60_000);
      expect(read(aScenario({ step: '15s' })).stepMs).toBe(15_000);
      expect(read(aScenario({ step: '1h30m', expect: '[{ at: 3h, agent: sam, actions: [] }]' })).stepMs).toBe(
        5_400_000,
      );
    });

    it('refuses a step that is not a duration or is zero', () => {
      expect(problems(aScenario({ step: '0m' }))).toEqual(['3:7: step must be longer than 0s']);
      expect(messages(aScenario({ step: '15' }))).toEqual([
        'step must be a duration such as "1m" or "15m" (got 15)',
      ]);
      expect(messages(aScenario({ step: 'fast' }))).toEqual([
        'step must be a duration such as "1m" or "15m" (got "fast")',
      ]);
    });

    it('reads at as a duration after start; a bare 0 is start itself', () => {
      const spec = read(
        aScenario({
          timeline: '[{ at: 0, agent: sam, facts: { idleMinutes: 1 } }, { at: 1h30m, paused: true }]',
          expect: '[{ at: 2d, agent: sam, actions: [] }]',
        }),
      );
      expect(spec.events.map((e) => e.at)).toEqual([0, 5_400_000]);
      expect(spec.expectations[0]!.at).toBe(2 * 86_400_000);
    });

    it('refuses times that are not durations, and entries without one', () => {
      expect(
        messages(timeline('{ at: 5, paused: true }, { at: -5m, paused: true }, { at: soon, paused: true }')),
      ).toEqual([
        'at must be a time after start such as "0m", "15m" or "1h30m" (got 5)',
        'at must be a time after start such as "0m", "15m" or "1h30m" (got "-5m")',
        'at must be a time after start such as "0m", "15m" or "1h30m" (got "soon")',
      ]);
      expect(problems(timeline('{ paused: true }'))).toEqual([
        '4:12: a timeline entry needs at: a time after start such as "0m", "15m" or "1h30m"',
      ]);
      expect(problems(expectations('{ agent: sam, actions: [] }'))).toEqual([
        '5:10: an expectation needs at: a time after start such as "0m", "15m" or "1h30m"',
      ]);
    });

    it('allows 31 days after start, and no more', () => {
      expect(problems(expectations('{ at: 31d, agent: sam, actions: [] }'))).toEqual([]);
      expect(problems(expectations('{ at: 31d1m, agent: sam, actions: [] }'))).toEqual([
        '5:16: at 31d1m is more than 31 days after start; a scenario covers at most 31 days',
      ]);
      expect(messages(timeline('{ at: 99999d, paused: true }'))).toEqual([
        'at 99999d is more than 31 days after start; a scenario covers at most 31 days',
      ]);
    });

    it('allows 100,000 steps, and no more, reported once at the latest time', () => {
      const at = (steps: number) => `${steps * 15}s`;
      expect(
        problems(aScenario({ step: '15s', expect: `[{ at: ${at(99_999)}, agent: sam, actions: [] }]` })),
      ).toEqual([]);
      expect(
        problems(
          aScenario({
            step: '15s',
            expect: `[{ at: ${at(100_000)}, agent: sam, actions: [] }, { at: ${at(100_000)}, account: true, actions: [] }]`,
          }),
        ),
      ).toEqual([
        '6:16: at 1500000s takes 100,001 steps of 15s; a scenario runs at most 100,000 (use a longer step)',
      ]);
    });

    it('refuses times between two steps', () => {
      expect(messages(aScenario({ step: '15m', expect: '[{ at: 20m, agent: sam, actions: [] }]' }))).toEqual([
        'at 20m is not a multiple of step (15m): no evaluation happens then',
      ]);
      expect(
        messages(
          aScenario({
            step: '15m',
            timeline: '[{ at: 1m, paused: true }]',
            expect: '[{ at: 0m, agent: sam, actions: [] }]',
          }),
        ),
      ).toEqual(['at 1m is not a multiple of step (15m): no evaluation happens then']);
    });
  });

  describe('agents', () => {
    it('are optional, and groups default to none', () => {
      const spec = read(
        aScenario({
          agents: null,
          timeline: '[{ at: 0m, account: { account.messaging.utilization: 0.9 } }]',
          expect: '[{ at: 0m, account: true, actions: [] }]',
        }),
      );
      expect(spec.agents.size).toBe(0);
      expect([...read(aScenario({ agents: '{ sam: { id: 7 } }' })).agents]).toEqual([
        ['sam', { id: 7, groups: [] }],
      ]);
    });

    it('need their own Zendesk id and group ids', () => {
      expect(
        problems(
          `name: agents
start: 2026-11-23T10:00:00+01:00
agents:
  sam: { id: 1, groups: [10] }
  ana: { id: 1 }
  vic: { groups: [10] }
  kim: { id: "2", groups: 10 }
  lou: { id: 3, group: [10] }
  max: 4
timeline: []
expect: [{ at: 0m, agent: sam, actions: [] }]
`,
        ),
      ).toEqual([
        "5:14: id 1 is also agent sam's: each agent needs its own id",
        '6:8: agent vic needs id: its Zendesk user id',
        '7:14: id must be a Zendesk user id, a whole number above 0 (got "2")',
        '7:27: groups must be a list of Zendesk group ids (got 10)',
        '8:17: unknown key "group" in agents.lou (did you mean "groups"?)',
        '9:8: agent max must be { id, groups } (got 4)',
      ]);
      expect(messages(aScenario({ agents: '[sam]' }))).toEqual([
        'agents must be a mapping of names to { id, groups }, such as sam: { id: 360099100001 }',
      ]);
      expect(messages(aScenario({ agents: '{ sam: { id: 0, groups: [1.5] } }' }))).toEqual([
        'id must be a Zendesk user id, a whole number above 0 (got 0)',
        'groups must be a list of Zendesk group ids (got [1.5])',
      ]);
    });

    it('are the only agents timeline and expectations may name', () => {
      expect(messages(timeline('{ at: 0m, agent: ana, facts: {} }'))).toEqual([
        'unknown agent "ana"; declare it under agents',
      ]);
      expect(
        messages(expectations('{ at: 0m, agent: sma, actions: [] }, { at: 0m, agent: 1, actions: [] }')),
      ).toEqual([
        'unknown agent "sma" (did you mean "sam"?); declare it under agents',
        'agent must name an agent declared under agents (got 1)',
      ]);
    });
  });

  describe('the timeline', () => {
    it('gives agent facts, account facts and the pause, in file order, each with its position', () => {
      const spec = read(`name: all kinds
start: 2026-11-23T10:00:00+01:00
agents: { sam: { id: 1 } }
timeline:
  - { at: 10m, paused: true }
  - { at: 0m, agent: sam, facts: { status.name: Lunch, agent.skills: [a, b], status.setBy: human } }
  - at: 5m
    account: { account.messaging.utilization: 0.9, account.talk.agentsOnline: 3 }
  - { at: 20m, paused: false }
expect: [{ at: 0m, agent: sam, actions: [] }]
`);
      expect(spec.events).toEqual([
        { kind: 'pause', at: 600_000, paused: true, source: { file: 'test.yaml', line: 5, column: 5 } },
        {
          kind: 'agent',
          at: 0,
          agent: 'sam',
          facts: { 'status.name': 'Lunch', 'agent.skills': ['a', 'b'], 'status.setBy': 'human' },
          source: { file: 'test.yaml', line: 6, column: 5 },
        },
        {
          kind: 'account',
          at: 300_000,
          facts: { 'account.messaging.utilization': 0.9, 'account.talk.agentsOnline': 3 },
          source: { file: 'test.yaml', line: 7, column: 5 },
        },
        { kind: 'pause', at: 1_200_000, paused: false, source: { file: 'test.yaml', line: 9, column: 5 } },
      ]);
    });

    it('may be empty', () => {
      expect(read(aScenario({ timeline: '[]' })).events).toEqual([]);
    });

    it('has entries of exactly one kind', () => {
      expect(
        messages(
          timeline(
            [
              '{ at: 0m }',
              '{ at: 0m, agent: sam, facts: {}, paused: true }',
              '{ at: 0m, account: {}, facts: {} }',
              '{ at: 0m, agent: sam }',
              '{ at: 0m, agent: sam, fact: {} }',
              'paused',
            ].join(', '),
          ),
        ),
      ).toEqual([
        'a timeline entry needs agent (with facts), account or paused',
        'a timeline entry sets one thing: agent facts, account facts or the pause (got agent and paused)',
        'facts belong to an agent: name it with agent, or give account facts under account',
        'a timeline entry for an agent needs facts: its facts from this time on',
        // Entry 4: its own position comes before that of the misspelt key.
        'a timeline entry for an agent needs facts: its facts from this time on',
        'unknown key "fact" in timeline[4] (did you mean "facts"?)',
        'a timeline entry must be a mapping: { at, agent, facts }, { at, account: {...} } or { at, paused }',
      ]);
      expect(messages(aScenario({ timeline: '{ at: 0m, paused: true }' }))).toEqual([
        'timeline must be a list of { at, agent, facts }, { at, account } or { at, paused }',
      ]);
    });

    it('takes facts as mappings', () => {
      expect(messages(facts('[status.name, online]'))).toEqual([
        'facts must be a mapping of fact names to values, such as { status.name: online } (got ["status.name","online"])',
      ]);
      expect(messages(accountFacts('0.9'))).toEqual([
        'account must be a mapping of account facts to values, such as { account.messaging.utilization: 0.9 } (got 0.9)',
      ]);
    });
  });

  describe('timeline facts, against the fact catalogue', () => {
    it('must be known, reported at the name', () => {
      expect(problems(facts('{ idelMinutes: 20, nothingLike: 1 }'))).toEqual([
        '4:43: unknown fact "idelMinutes" (did you mean "idleMinutes"?)',
        '4:60: unknown fact "nothingLike"',
      ]);
    });

    it('may not be computed ones: calendars and local time come from the clock', () => {
      expect(
        messages(
          facts(
            '{ calendar.shift: true, calendar.nowhere: false, localTime.hour: 9, localTime.weekday: mon }',
          ),
        ),
      ).toEqual([
        "calendar.shift is computed from the time and the rule set's calendars; it cannot be given",
        "calendar.nowhere is computed from the time and the rule set's calendars; it cannot be given",
        "localTime.hour is computed from the time and the rule set's time zone; it cannot be given",
        "localTime.weekday is computed from the time and the rule set's time zone; it cannot be given",
      ]);
      expect(messages(accountFacts('{ localTime.time: "10:00" }'))).toEqual([
        "localTime.time is computed from the time and the rule set's time zone; it cannot be given",
      ]);
    });

    it('may not be the identity the agents block gives', () => {
      expect(messages(facts('{ agent.id: 2, agent.groups: [3] }'))).toEqual([
        'agent.id comes with the agent (its id and groups); it cannot be given as a fact',
        'agent.groups comes with the agent (its id and groups); it cannot be given as a fact',
      ]);
    });

    it('belong to their scope: agent facts for an agent, account facts for the account', () => {
      expect(messages(facts('{ account.messaging.utilization: 0.9 }'))).toEqual([
        "account.messaging.utilization describes the account: give it with the account's facts, not an agent's",
      ]);
      expect(messages(accountFacts('{ idleMinutes: 3, status.name: online }'))).toEqual([
        "idleMinutes describes one agent: give it with an agent's facts, not the account's",
        "status.name describes one agent: give it with an agent's facts, not the account's",
      ]);
    });

    it('with params cannot be given as a plain value', () => {
      expect(messages(accountFacts('{ group.agentsOnline: 2, capacityRule.capacity: 3 }'))).toEqual([
        'group.agentsOnline depends on params (group, channel) and cannot be given as one value',
        'capacityRule.capacity depends on params (rule, channel) and cannot be given as one value',
      ]);
    });

    it('have the catalogue type, reported at the value', () => {
      expect(problems(facts('{ idleMinutes: 15m }'))).toEqual([
        '4:56: idleMinutes must be a number of minutes (got "15m")',
      ]);
      expect(
        messages(
          facts(
            '{ status.id: "3", status.name: 3, messaging.utilization: "90%", agent.skills: [1], workItems: .inf, status.reason: null }',
          ),
        ),
      ).toEqual([
        'status.id must be a number (got "3")',
        'status.name must be a string (got 3)',
        'messaging.utilization must be a ratio such as 0.85 (got "90%")',
        'agent.skills must be a list of strings (got [1])',
        'workItems must be a number (got null)',
        'status.reason must be a string (got null)',
      ]);
      expect(messages(accountFacts('{ account.talk.agentsOnline: [3] }'))).toEqual([
        'account.talk.agentsOnline must be a number (got [3])',
      ]);
    });

    it("stay within the fact's range, with a hint for a ratio written as a percentage", () => {
      expect(problems(accountFacts('{ account.messaging.utilization: 92 }'))).toEqual([
        '4:64: account.messaging.utilization is never 92: it ranges from 0 to 10; write 0.92 for 92%',
      ]);
      expect(messages(facts('{ workItems: -1, idleMinutes: -5, messaging.utilization: 150 }'))).toEqual([
        'workItems is never -1: it ranges from 0 up',
        'idleMinutes is never -5: it ranges from 0 up',
        'messaging.utilization is never 150: it ranges from 0 to 10',
      ]);
      expect(
        read(facts('{ workItems: 0, messaging.utilization: 1.5, idleMinutes: 100000 }')).events,
      ).toHaveLength(1);
    });

    it('take only the values of a closed list, and statuses the account has', () => {
      expect(
        messages(
          facts('{ messaging.status: onlin, status.setBy: robot, status.name: Lnuch, talk.status: away }'),
        ),
      ).toEqual([
        '"onlin" is never a value of messaging.status (one of online, away, transfers_only, offline); did you mean "online"?',
        '"robot" is never a value of status.setBy (one of human, router, zendesk)',
        'unknown status "Lnuch" (did you mean "Lunch"?); declare your account\'s custom statuses under "statuses"',
      ]);
      expect(
        read(facts('{ status.name: transfers_only, status.reason: ANYTHING_ZENDESK_SAYS }')).events,
      ).toHaveLength(1);
    });
  });

  describe('the pause', () => {
    it('is on or off', () => {
      expect(
        messages(timeline('{ at: 0m, paused: "true" }, { at: 1m, paused: 1 }, { at: 2m, paused: yes }')),
      ).toEqual([
        'paused must be true or false (got "true")',
        'paused must be true or false (got 1)',
        'paused must be true or false (got "yes")',
      ]);
    });
  });

  describe('safety', () => {
    it("defaults to the router's limits", () => {
      expect(read(aScenario()).safety).toEqual({
        humanHoldS: 600,
        maxChangesPerMin: 60,
        minOnlinePerGroup: 1,
      });
    });

    it('takes a hold as a duration and the counts as whole numbers', () => {
      expect(
        read(aScenario({ safety: '{ humanHold: 1h30m, maxChangesPerMin: 5, minOnlinePerGroup: 0 }' })).safety,
      ).toEqual({
        humanHoldS: 5400,
        maxChangesPerMin: 5,
        minOnlinePerGroup: 0,
      });
      expect(read(aScenario({ safety: '{ humanHold: 0 }' })).safety.humanHoldS).toBe(0);
      expect(read(aScenario({ safety: '{ humanHold: 0s, minOnlinePerGroup: 3 }' })).safety).toEqual({
        humanHoldS: 0,
        maxChangesPerMin: 60,
        minOnlinePerGroup: 3,
      });
    });

    it('refuses what the router would refuse', () => {
      expect(
        problems(
          aScenario({
            safety: '{ humanHold: 600, maxChangesPerMin: 0, minOnlinePerGroup: -1, maxChangesPerMinute: 1 }',
          }),
        ),
      ).toEqual([
        '4:22: humanHold must be a duration such as "10m" or "0s" (got 600)',
        "4:45: maxChangesPerMin must be a whole number from 1 to 10,000, as the router's MAX_CHANGES_PER_MIN (got 0)",
        "4:67: minOnlinePerGroup must be a whole number from 0 to 10,000, as the router's MIN_ONLINE_PER_GROUP (got -1)",
        '4:71: unknown key "maxChangesPerMinute" in safety (did you mean "maxChangesPerMin"?)',
      ]);
      expect(
        messages(aScenario({ safety: '{ humanHold: 2d, maxChangesPerMin: 1.5, minOnlinePerGroup: "1" }' })),
      ).toEqual([
        "humanHold of 2d is longer than a day, the router's longest (HUMAN_HOLD_S)",
        "maxChangesPerMin must be a whole number from 1 to 10,000, as the router's MAX_CHANGES_PER_MIN (got 1.5)",
        'minOnlinePerGroup must be a whole number from 0 to 10,000, as the router\'s MIN_ONLINE_PER_GROUP (got "1")',
      ]);
      expect(messages(aScenario({ safety: 'strict' }))).toEqual([
        'safety must be a mapping: { humanHold, maxChangesPerMin, minOnlinePerGroup }',
      ]);
    });
  });

  describe('expectations', () => {
    it('give each action as canonical JSON, whatever the key order, without a written shadow: false', () => {
      const spec = read(
        aScenario({
          expect: `
  - { at: 5m, agent: sam, actions: [{ set_status: away, rule: idle-away, shadow: false }, { shadow: true, rule: lunch-overrun, set_status: online }] }
  - { at: 5m, account: true, actions: [{ set_capacity: { capacities: { messaging: 5 }, rule: Default }, rule: surge }, { revert: Default }] }
  - { at: 6m, agent: sam, actions: [] }`,
        }),
      );
      expect(spec.expectations).toEqual([
        {
          at: 300_000,
          target: 'agent:sam',
          label: 'agent sam',
          actions: [
            '{"rule":"idle-away","set_status":"away"}',
            '{"rule":"lunch-overrun","set_status":"online","shadow":true}',
          ],
          source: { file: 'test.yaml', line: 6, column: 5 },
        },
        {
          at: 300_000,
          target: 'account',
          label: 'the account',
          actions: [
            '{"rule":"surge","set_capacity":{"capacities":{"messaging":5},"rule":"Default"}}',
            '{"revert":"Default"}',
          ],
          source: { file: 'test.yaml', line: 7, column: 5 },
        },
        { at: 360_000, target: 'agent:sam', label: 'agent sam', actions: [], source: expect.anything() },
      ]);
    });

    it('are for one agent or for the account', () => {
      expect(
        messages(
          expectations(
            '{ at: 0m, actions: [] }, { at: 0m, agent: sam, account: true, actions: [] }, { at: 0m, account: false, actions: [] }, { at: 0m, acount: true, actions: [] }, 5m',
          ),
        ),
      ).toEqual([
        'an expectation needs agent: <name> or account: true',
        'an expectation is for one agent or for the account, not both',
        'account must be true: the expectation is about the account (got false)',
        'an expectation needs agent: <name> or account: true',
        'unknown key "acount" in expect[3] (did you mean "account"?)',
        'an expectation must be a mapping: { at, agent, actions } or { at, account: true, actions }',
      ]);
    });

    it('list their actions, [] for none', () => {
      expect(messages(expectations('{ at: 0m, agent: sam }, { at: 0m, agent: sam, actions: none }'))).toEqual(
        [
          'an expectation needs actions: the actions decided at this time ([] for none)',
          'actions must be a list such as [{ rule: messaging-idle-away, set_status: away }] ([] for none) (got "none")',
        ],
      );
      expect(messages(aScenario({ expect: '[]' }))).toEqual([
        'expect is empty: a scenario that checks nothing cannot fail',
      ]);
      expect(messages(aScenario({ expect: '{ at: 0m }' }))).toEqual([
        'expect must be a list of { at, agent or account: true, actions }',
      ]);
    });

    it('name rules of the rule set, reported at the name', () => {
      expect(
        problems(expectations('{ at: 5m, agent: sam, actions: [{ rule: idle-awya, set_status: away }] }')),
      ).toEqual([
        '5:50: unknown rule "idle-awya" (did you mean "idle-away"?): no rule of the rule set has this name',
      ]);
      expect(
        messages(
          expectations(
            '{ at: 5m, agent: sam, actions: [{ rule: nothing-like-it, set_status: away }, { rule: 3, set_status: away }] }',
          ),
        ),
      ).toEqual([
        'unknown rule "nothing-like-it": no rule of the rule set has this name',
        'rule must name a rule of the rule set (got 3)',
      ]);
    });

    it('have actions shaped as the runner describes decisions', () => {
      expect(
        messages(
          expectations(
            `{ at: 5m, agent: sam, actions: [
              away,
              { set_status: away },
              { rule: idle-away },
              { rule: idle-away, set_status: away, set_capacity: { rule: Default, capacities: { messaging: 1 } } },
              { rule: idle-away, set_status: [away] },
              { rule: idle-away, set_status: away, shadow: yes },
              { rule: idle-away, status: away }
            ] }`,
          ),
        ),
      ).toEqual([
        'an expected action must be a mapping: { rule, set_status }, { rule, set_capacity } (with shadow: true for shadow rules) or { revert: <capacity rule> } (got "away")',
        'an expected action names its rule: { rule: <name>, set_status: ... }',
        'an expected action has exactly one of set_status or set_capacity (or is { revert: <capacity rule> })',
        'an expected action has exactly one of set_status or set_capacity (or is { revert: <capacity rule> })',
        'set_status must be a status name or id (got ["away"])',
        'shadow must be true or false (got "yes")',
        'an expected action has exactly one of set_status or set_capacity (or is { revert: <capacity rule> })',
        'unknown key "status" in expect[0].actions[6]',
      ]);
    });

    it('check capacity changes like a rule file does', () => {
      expect(
        messages(
          expectations(
            `{ at: 5m, account: true, actions: [
              { rule: surge, set_capacity: 5 },
              { rule: surge, set_capacity: { capacities: { messaging: 5 } } },
              { rule: surge, set_capacity: { rule: Default } },
              { rule: surge, set_capacity: { rule: Default, capacities: { chat: 5, messaging: -1 } } }
            ] }`,
          ),
        ),
      ).toEqual([
        'set_capacity must be { rule: <capacity rule>, capacities: { messaging: 5 } } (got 5)',
        'set_capacity.rule must name the capacity rule to change',
        'set_capacity.capacities needs at least one of email, messaging, voice',
        'unknown key "chat" in expect[0].actions[3].set_capacity.capacities',
        'capacities.messaging must be a whole number >= 0 (got -1)',
      ]);
    });

    it('match the rule: agent rules for agents and statuses, capacity rules for the account and capacities', () => {
      expect(
        messages(
          expectations(`{ at: 5m, agent: sam, actions: [{ rule: surge, set_capacity: { rule: Default, capacities: { messaging: 5 } } }] },
    { at: 5m, account: true, actions: [{ rule: idle-away, set_status: away }] },
    { at: 5m, agent: sam, actions: [{ rule: idle-away, set_capacity: { rule: Default, capacities: { messaging: 5 } } }] },
    { at: 5m, account: true, actions: [{ rule: surge, set_status: away }] }`),
        ),
      ).toEqual([
        'rule surge changes a capacity rule: expect its actions with account: true',
        'rule idle-away sets agent statuses: expect its actions for an agent (agent: <name>)',
        'rule idle-away sets agent statuses; it never does set_capacity',
        'rule surge changes a capacity rule; it never does set_status',
      ]);
    });

    it('expect reverts of capacity rules that some rule changes, for the account', () => {
      expect(
        messages(
          expectations(
            '{ at: 5m, account: true, actions: [{ revert: Defualt }, { revert: Elsewhere }, { revert: Default, rule: surge }, { revert: 3 }] }, { at: 5m, agent: sam, actions: [{ revert: Default }] }',
          ),
        ),
      ).toEqual([
        'no rule changes capacity rule "Defualt", so it is never reverted (did you mean "Default"?)',
        'no rule changes capacity rule "Elsewhere", so it is never reverted',
        'a revert names only its capacity rule: { revert: <capacity rule> } (also got rule)',
        'revert must name the capacity rule restored to its baseline (got 3)',
        'capacity reverts happen to the account: expect them with account: true',
      ]);
    });
  });

  describe('the file as a whole', () => {
    it('reports missing parts at the top, all at once', () => {
      expect(problems('description: nothing else\n')).toEqual([
        '1:1: a scenario needs name: a line saying what it shows',
        '1:1: a scenario needs start: the instant it begins, such as 2026-11-23T09:00:00+01:00',
        '1:1: a scenario needs timeline: a list of { at, agent, facts }, { at, account } or { at, paused }',
        '1:1: a scenario needs expect: a list of { at, agent or account: true, actions }',
      ]);
    });

    it('refuses unknown keys at the top with a guess, and names that are not text', () => {
      expect(problems(`expcet: []\n${aScenario({ name: '[1]', description: '3' })}`)).toEqual([
        '1:1: unknown key "expcet" in the scenario (did you mean "expect"?)',
        '2:7: name must be a line of text (got [1])',
        '7:14: description must be text (got 3)',
      ]);
    });

    it('must be a mapping, and valid YAML with unique keys', () => {
      expect(problems('- name: a list\n')).toEqual([
        '1:1: a scenario file must be a mapping with name, start, timeline and expect',
      ]);
      expect(problems('')).toEqual([
        '1:1: a scenario file must be a mapping with name, start, timeline and expect',
      ]);
      expect(problems(`${aScenario()}name: again\n`)).toEqual(['6:1: YAML: Map keys must be unique']);
    });
  });
});

describe('canonical', () => {
  it('sorts keys at every depth and keeps list order', () => {
    expect(canonical({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}',
    );
    expect(canonical({ set_status: 'away', rule: 'r' })).toBe(canonical({ rule: 'r', set_status: 'away' }));
  });
});
