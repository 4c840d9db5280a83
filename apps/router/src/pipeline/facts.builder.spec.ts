import { AGENT_CHANNELS, FACTS, LOCAL_TIME_FACTS, RuleEvaluator, parseRuleSet } from '@app/rules';
import type { AgentAvailability, AgentChannel } from '@app/zendesk';
import { accountFacts, agentFacts } from './facts.builder';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const ago = (minutes: number) => new Date(NOW - minutes * 60_000);

function aChannel(overrides: Partial<AgentChannel> = {}): AgentChannel {
  return {
    name: 'messaging',
    status: 'online',
    updatedAt: ago(30),
    workItemCount: 0,
    maxCapacity: 3,
    workItems: [],
    hasMoreWorkItems: false,
    ...overrides,
  };
}

function anAgent(overrides: Partial<AgentAvailability> = {}): AgentAvailability {
  return {
    agentId: 1,
    status: { id: 3, name: 'online', reason: 'AGENT_STATUS_SWITCHER', updatedAt: ago(40) },
    groupIds: [7],
    skillIds: ['sk'],
    version: 5,
    channels: [
      aChannel(),
      aChannel({
        name: 'support',
        workItemCount: 2,
        maxCapacity: 10,
        workItems: [{ id: '9', addedAt: ago(25), reason: 'ASSIGNED' }],
      }),
    ],
    ...overrides,
  };
}

describe('agent facts', () => {
  it('turns an availability record into catalogue facts', () => {
    const facts = agentFacts(anAgent(), { routerSetStatus: false, lastWorkEndedAt: null }, NOW);
    expect(facts).toEqual({
      'agent.id': 1,
      'agent.groups': [7],
      'agent.skills': ['sk'],
      'status.id': 3,
      'status.name': 'online',
      'status.minutes': 40,
      'status.reason': 'AGENT_STATUS_SWITCHER',
      'status.setBy': 'human',
      'messaging.status': 'online',
      'messaging.minutesInStatus': 30,
      'messaging.workItems': 0,
      'messaging.maxCapacity': 3,
      'messaging.utilization': 0,
      'messaging.oldestWorkItemMinutes': 0,
      'support.status': 'online',
      'support.minutesInStatus': 30,
      'support.workItems': 2,
      'support.maxCapacity': 10,
      'support.utilization': 0.2,
      'support.oldestWorkItemMinutes': 25,
      workItems: 2,
      idleMinutes: 0,
    });
  });

  it('produces every agent fact of the catalogue for a fully populated agent (time facts come from the clock)', () => {
    const full = anAgent({
      channels: AGENT_CHANNELS.map((name) =>
        aChannel({ name, workItemCount: 1, workItems: [{ id: name, addedAt: ago(5), reason: 'ASSIGNED' }] }),
      ),
    });
    const facts = agentFacts(full, { routerSetStatus: false, lastWorkEndedAt: null }, NOW);
    const agentCatalogue = FACTS.filter((f) => f.scope === 'agent' && !LOCAL_TIME_FACTS.includes(f));
    expect(Object.keys(facts).sort()).toEqual(agentCatalogue.map((f) => f.name).sort());
  });

  it('only produces facts the catalogue knows', () => {
    const names = new Set(FACTS.map((f) => f.name));
    const facts = agentFacts(anAgent(), { routerSetStatus: false, lastWorkEndedAt: null }, NOW);
    expect(Object.keys(facts).filter((k) => !names.has(k))).toEqual([]);
  });

  it('counts idle time from the later of going online and the last work ending', () => {
    const idle = anAgent({ channels: [aChannel()] });
    expect(agentFacts(idle, { routerSetStatus: false, lastWorkEndedAt: null }, NOW).idleMinutes).toBe(40);
    expect(
      agentFacts(idle, { routerSetStatus: false, lastWorkEndedAt: NOW - 12 * 60_000 }, NOW).idleMinutes,
    ).toBe(12);
    const away = anAgent({
      channels: [aChannel()],
      status: { id: 4, name: 'away', reason: 'PUBLIC_API', updatedAt: ago(50) },
    });
    expect(agentFacts(away, { routerSetStatus: false, lastWorkEndedAt: null }, NOW).idleMinutes).toBe(0);
  });

  it('says who set the status: the router, a person, or Zendesk itself', () => {
    const by = (reason: string, routerSetStatus = false) =>
      agentFacts(
        anAgent({ status: { id: 4, name: 'away', reason, updatedAt: ago(1) } }),
        { routerSetStatus, lastWorkEndedAt: null },
        NOW,
      )['status.setBy'];
    expect(by('PUBLIC_API', true)).toBe('router');
    expect(by('AGENT_STATUS_SWITCHER')).toBe('human');
    expect(by('AGENT_IDLE_TIMEOUT')).toBe('zendesk');
    expect(by('AGENT_LOGOUT')).toBe('zendesk');
  });

  it('leaves out what an account without Omnichannel Contact Center does not report', () => {
    const bare = anAgent({ status: null, channels: [aChannel({ maxCapacity: null })] });
    const facts = agentFacts(bare, { routerSetStatus: false, lastWorkEndedAt: null }, NOW);
    expect(facts['status.name']).toBeUndefined();
    expect(facts['messaging.maxCapacity']).toBeUndefined();
    expect(facts['messaging.workItems']).toBe(0);
  });
});

describe('account facts', () => {
  const agents = [
    anAgent({ agentId: 1, groupIds: [7], channels: [aChannel({ workItemCount: 3 })] }),
    anAgent({ agentId: 2, groupIds: [7, 8], channels: [aChannel({ workItemCount: 1 })] }),
    anAgent({ agentId: 3, groupIds: [8], channels: [aChannel({ status: 'away', workItemCount: 2 })] }),
  ];
  const rules = [
    {
      id: 'r1',
      name: 'Default capacity',
      description: null,
      isDefault: true,
      capacities: { email: 10, messaging: 3, voice: 1 },
      assigneeCount: 3,
      assigneeSample: [],
      createdAt: null,
      updatedAt: null,
    },
  ];

  it('produces every account fact of the catalogue', () => {
    const facts = accountFacts(agents, rules);
    const accountCatalogue = FACTS.filter((f) => f.scope === 'account');
    expect(Object.keys(facts).sort()).toEqual(accountCatalogue.map((f) => f.name).sort());
  });

  it('aggregates per channel over the agents online', () => {
    const facts = accountFacts(agents, rules);
    expect(facts['account.messaging.agentsOnline']).toBe(2);
    expect(facts['account.messaging.workItems']).toBe(6);
    expect(facts['account.messaging.utilization']).toBe(0.67);
    expect(facts['account.messaging.agentsAtCapacity']).toBe(1);
    expect(facts['account.talk.agentsOnline']).toBe(0);
  });

  it('answers parameterised facts through the rules engine', async () => {
    const set = parseRuleSet([
      {
        path: 'r.yaml',
        text: `rules:
  - name: thin-group-8
    when:
      all:
        - { fact: group.agentsOnline, operator: lessThan, value: 2, params: { group: 8, channel: messaging } }
        - { fact: capacityRule.capacity, operator: equal, value: 3, params: { rule: Default capacity, channel: messaging } }
    then: { set_capacity: { rule: Default capacity, capacities: { messaging: 5 } } }
`,
      },
    ]);
    const [result] = await new RuleEvaluator(set).evaluateAccount(accountFacts(agents, rules), NOW);
    expect(result).toMatchObject({ matched: true });
  });
});
