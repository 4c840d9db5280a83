import { documentedExample } from '../../../test/support/documented-examples';
import {
  decodeAssigneePage,
  decodeAvailability,
  decodeAvailabilityPage,
  decodeCapacityRule,
  decodeCapacityRules,
  decodeSigningSecret,
  decodeStatusChange,
  decodeStatusJob,
  decodeStatusPage,
  decodeUser,
  decodeUsers,
  decodeWorkItemPage,
  errorMessageOf,
  type DecodeDrop,
} from './zendesk.decoder';
import { ZendeskError, ZendeskErrorCode } from './zendesk.errors';

const channel = (agent: number, name: string, workItems: number[], extra: object = {}) => ({
  id: `agent_availabilities|${agent}|channels|${name}`,
  type: 'channels',
  attributes: {
    name,
    status: 'online',
    updated_at: '2025-03-14T09:12:44.108230Z',
    work_item_count: workItems.length,
    max_capacity: 3,
    ...extra,
  },
  relationships: {
    work_items: {
      data: workItems.map((w) => ({
        id: `agent_availabilities|${agent}|channels|${name}|work_items|${w}`,
        type: 'work_items',
      })),
      meta: { has_more: false },
    },
  },
});
const workItem = (agent: number, name: string, id: number) => ({
  id: `agent_availabilities|${agent}|channels|${name}|work_items|${id}`,
  type: 'work_items',
  attributes: { added_at: '2025-03-14T09:13:02.551903901Z', reason: 'ACCEPTED' },
});
const agent = (id: number, channels: string[]) => ({
  id: `agent_availabilities|${id}`,
  type: 'agent_availabilities',
  attributes: {
    agent_id: id,
    agent_status: { id: 3, name: 'online', reason: 'PUBLIC_API' },
    group_ids: [7],
    skills: [{ id: 'sk-1' }],
    version: 58,
  },
  links: { self: `https://acme.zendesk.com/api/v2/agent_availabilities/${id}` },
  relationships: {
    channels: {
      data: channels.map((c) => ({ id: `agent_availabilities|${id}|channels|${c}`, type: 'channels' })),
    },
  },
});
const page = (agents: object[], included: object[]) => ({
  data: agents,
  included,
  links: {},
  meta: { has_more: false },
});

function invalid(fn: () => unknown): ZendeskError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZendeskError) return error;
    throw error;
  }
  throw new Error('expected INVALID_RESPONSE');
}

const AGENT = 360099123401;
const OTHER = 360099123402;

describe("Zendesk's documented examples (docs/zendesk-api.md), verbatim", () => {
  it('8.2: one agent, its channels and work items', () => {
    const drops: DecodeDrop[] = [];
    expect(decodeAvailability(documentedExample('8.2'), drops)).toEqual({
      agentId: AGENT,
      status: {
        id: 3,
        name: 'online',
        reason: 'AGENT_STATUS_SWITCHER',
        updatedAt: new Date('2025-03-14T09:12:44.108Z'),
      },
      groupIds: [360001112233],
      skillIds: ['5b0c9a2e-7d41-4f0e-9a53-2c1f8e6b7d10'],
      version: 58,
      channels: [
        {
          name: 'messaging',
          status: 'online',
          updatedAt: new Date('2025-03-14T09:12:44.108Z'),
          workItemCount: 1,
          maxCapacity: 3,
          workItems: [{ id: '48121', addedAt: new Date('2025-03-14T09:13:02.551Z'), reason: 'ACCEPTED' }],
          hasMoreWorkItems: false,
        },
        {
          name: 'support',
          status: 'online',
          updatedAt: new Date('2025-03-14T09:12:44.108Z'),
          workItemCount: 0,
          maxCapacity: 10,
          workItems: [],
          hasMoreWorkItems: false,
        },
      ],
    });
    expect(drops).toEqual([]);
  });

  it('8.2 as the object page shows it: the bare resource, its channels counted as missing', () => {
    const drops: DecodeDrop[] = [];
    const agent = decodeAvailability(documentedExample('8.2').data, drops);
    expect(agent).toMatchObject({ agentId: AGENT, version: 58, status: { id: 3 }, channels: [] });
    expect(drops.map((d) => [d.kind, d.channel, d.path])).toEqual([
      ['missing_channel', 'messaging', 'body.relationships.channels.data[0]'],
      ['missing_channel', 'support', 'body.relationships.channels.data[1]'],
    ]);
  });

  it('8.3: a page of two agents and the link to the next', () => {
    const drops: DecodeDrop[] = [];
    const listed = decodeAvailabilityPage(documentedExample('8.3'), drops);
    expect(
      listed.items.map((a) => [a.agentId, a.status?.name, a.version, a.channels.map((c) => c.status)]),
    ).toEqual([
      [AGENT, 'online', 58, ['online']],
      [OTHER, 'away', 112, ['offline']],
    ]);
    expect(listed.next).toBe(
      'https://acme.zendesk.com/api/v2/agent_availabilities?page%5Bafter%5D=MzYwMDk5MTIzNDAy&page%5Bsize%5D=2&select_channel=messaging',
    );
    expect(drops).toEqual([]);
  });

  it('8.4: an account without Omnichannel Contact Center (no agent_status)', () => {
    expect(decodeAvailability(documentedExample('8.4'))).toEqual({
      agentId: OTHER,
      status: null,
      groupIds: [],
      skillIds: [],
      version: 112,
      channels: [],
    });
  });

  it('8.5: a page of one channel’s work items', () => {
    expect(decodeWorkItemPage(documentedExample('8.5'))).toEqual({
      items: [{ id: '48177', addedAt: new Date('2025-03-14T09:30:10.000Z'), reason: 'ASSIGNED' }],
      next: null,
    });
  });

  it('8.1.6: a channel and a work item missing from included keep the agent with the rest', () => {
    const drops: DecodeDrop[] = [];
    const listed = decodeAvailabilityPage(documentedExample('8.1.6'), drops);
    expect(listed.items.map((a) => a.agentId)).toEqual([AGENT, OTHER]);
    const [partial, complete] = listed.items;
    expect(partial).toMatchObject({ agentId: AGENT, version: 61, status: { id: 3, name: 'online' } });
    expect(partial!.channels).toEqual([
      {
        name: 'messaging',
        status: 'online',
        updatedAt: new Date('2025-03-14T09:12:44.108Z'),
        workItemCount: 3,
        maxCapacity: 3,
        workItems: [
          { id: '48121', addedAt: new Date('2025-03-14T09:13:02.551Z'), reason: 'ACCEPTED' },
          { id: '48123', addedAt: new Date('2025-03-14T09:21:40.030Z'), reason: 'ASSIGNED' },
        ],
        // Not all of them are here: whoever needs all of them reads the channel's pages.
        hasMoreWorkItems: true,
      },
    ]);
    expect(complete!.channels.map((c) => c.name)).toEqual(['messaging']);
    expect(drops).toEqual([
      {
        kind: 'missing_work_item',
        path: 'body.included[0].relationships.work_items.data[1]',
        agentId: AGENT,
        channel: 'messaging',
        reason: `references work_items agent_availabilities|${AGENT}|channels|messaging|work_items|48122, which included does not carry`,
        pattern:
          'references work_items agent_availabilities|*|channels|messaging|work_items|*, which included does not carry',
      },
      {
        kind: 'missing_channel',
        path: 'body.data[0].relationships.channels.data[1]',
        agentId: AGENT,
        channel: 'talk',
        reason: `references channels agent_availabilities|${AGENT}|channels|talk, which included does not carry`,
        pattern: 'references channels agent_availabilities|*|channels|talk, which included does not carry',
      },
    ]);
  });

  it('9.2 and A.3: the capacity rules, as a bare array and one rule bare', () => {
    const drops: DecodeDrop[] = [];
    expect(decodeCapacityRules(documentedExample('9.2'), drops)).toEqual([
      {
        id: '01JP9ZK3TQ0V6M8N2C4R5S7W1X',
        name: 'Default capacity',
        description: 'Applies to everyone not in another rule',
        isDefault: true,
        capacities: { email: 10, messaging: 3, voice: 1 },
        assigneeCount: 1,
        assigneeSample: [{ id: OTHER, name: 'lee@acme.example' }],
        createdAt: new Date('2024-11-02T08:00:00.000Z'),
        updatedAt: new Date('2025-02-20T16:45:12.000Z'),
      },
      expect.objectContaining({ id: '01JPA0C8DE2F4G6H8J0K2M4N6P', isDefault: false }),
    ]);
    expect(drops).toEqual([]);
    expect(decodeCapacityRule(documentedExample('Appendix A'))).toMatchObject({
      id: '01JPA0C8DE2F4G6H8J0K2M4N6P',
      name: 'New starters',
      capacities: { email: 4, messaging: 1, voice: 0 },
      assigneeSample: [{ id: AGENT, name: 'sam@acme.example' }],
    });
  });

  it('9.5: a page of capacity assignees', () => {
    expect(decodeAssigneePage(documentedExample('9.5'))).toEqual({
      items: [
        { agentId: AGENT, capacityRuleId: '01JPA0C8DE2F4G6H8J0K2M4N6P' },
        { agentId: OTHER, capacityRuleId: '01JP9ZK3TQ0V6M8N2C4R5S7W1X' },
      ],
      next: null,
    });
  });

  it('10.3: the default and custom unified statuses', () => {
    const drops: DecodeDrop[] = [];
    const listed = decodeStatusPage(documentedExample('10.3'), drops);
    expect(listed.items.map((s) => [s.id, s.kind, s.name])).toEqual([
      [4, 'default', 'away'],
      [2, 'default', 'offline'],
      [3, 'default', 'online'],
      [5, 'default', 'transfers_only'],
      [9001, 'custom', 'Coaching'],
    ]);
    expect(listed.items[4]).toEqual({
      id: 9001,
      kind: 'custom',
      name: 'Coaching',
      description: '1:1 with team lead',
      channels: { messaging: 'offline', support: 'away', talk: 'offline' },
      groupIds: [],
      updatedAt: new Date('2025-02-01T10:00:00Z'),
    });
    expect(listed.next).toBeNull();
    expect(drops).toEqual([]);
  });

  it('10.5: the answer to a status change, wrapped in data and bare', () => {
    const wrapped = documentedExample('10.5', 0);
    const bare = documentedExample('10.5', 1);
    expect(wrapped).toHaveProperty('data');
    expect(bare).not.toHaveProperty('data');
    for (const answer of [wrapped, bare]) {
      expect(decodeStatusChange(answer)).toEqual({ agentId: AGENT, status: { id: 4, name: 'away' } });
    }
  });

  it('10.6: a queued and a completed bulk status job', () => {
    expect(decodeStatusJob(documentedExample('10.6', 0))).toEqual({
      id: '01JPB3W5YV7X9Z1B3D5F7H9K1M',
      status: 'queued',
      total: 2,
      progress: 0,
      message: null,
      results: [],
    });
    expect(decodeStatusJob(documentedExample('10.6', 1)).results).toEqual([
      { agentId: AGENT, status: 'success', error: null, completedAt: new Date('2025-03-14T10:00:02Z') },
      {
        agentId: 999,
        status: 'failed',
        error: 'AgentNotFound: agent 999 does not exist',
        completedAt: new Date('2025-03-14T10:00:03Z'),
      },
    ]);
  });

  it('11.8 and 6: a signing secret and a JSON:API error body', () => {
    expect(decodeSigningSecret(documentedExample('11.8'))).toBe('...');
    expect(errorMessageOf(documentedExample('6'))).toBe('Agent availability for agent 999 was not found');
  });
});

describe('decoding Zendesk responses', () => {
  it('resolves included resources by (type, id), whatever their order', () => {
    const included = [
      workItem(1, 'messaging', 48121),
      channel(2, 'support', []),
      channel(1, 'messaging', [48121]),
      workItem(2, 'support', 1),
    ];
    const decoded = decodeAvailabilityPage(
      page([agent(1, ['messaging']), agent(2, ['support'])], included.reverse()),
    );
    expect(decoded.next).toBeNull();
    expect(decoded.items[0]).toEqual({
      agentId: 1,
      status: { id: 3, name: 'online', reason: 'PUBLIC_API', updatedAt: null },
      groupIds: [7],
      skillIds: ['sk-1'],
      version: 58,
      channels: [
        {
          name: 'messaging',
          status: 'online',
          updatedAt: new Date('2025-03-14T09:12:44.108Z'),
          workItemCount: 1,
          maxCapacity: 3,
          workItems: [{ id: '48121', addedAt: new Date('2025-03-14T09:13:02.551Z'), reason: 'ACCEPTED' }],
          hasMoreWorkItems: false,
        },
      ],
    });
    expect(decoded.items[1]!.channels[0]!.name).toBe('support');
  });

  it('tolerates unknown members and absent optional ones (no Omnichannel Contact Center)', () => {
    const bare = {
      data: {
        id: 'agent_availabilities|5',
        type: 'agent_availabilities',
        attributes: { agent_id: 5, version: 1, shiny_new_field: true },
        links: {},
      },
      included: [],
      brand_new_top_level: {},
    };
    expect(decodeAvailability(bare)).toEqual({
      agentId: 5,
      status: null,
      groupIds: [],
      skillIds: [],
      version: 1,
      channels: [],
    });
  });

  it.each([
    [
      'a status id that is not an integer',
      (a: any) => (a.attributes.agent_status.id = 'online'),
      'body.data[1].attributes.agent_status.id must be an integer (got string)',
    ],
    [
      'an agent id below one',
      (a: any) => (a.attributes.agent_id = -2),
      'body.data[1].attributes.agent_id must be a positive integer (got number)',
    ],
    [
      'a status id of zero',
      (a: any) => (a.attributes.agent_status.id = 0),
      'body.data[1].attributes.agent_status.id must be a positive integer (got number)',
    ],
    [
      'a missing agent_id',
      (a: any) => delete a.attributes.agent_id,
      'body.data[1].attributes.agent_id must be an integer (got undefined)',
    ],
    [
      'a string version',
      (a: any) => (a.attributes.version = 'new'),
      'body.data[1].attributes.version must be an integer (got string)',
    ],
    [
      'a group id that is not an integer',
      (a: any) => (a.attributes.group_ids = ['tier 1']),
      'body.data[1].attributes.group_ids[0] must be an integer (got string)',
    ],
    [
      'channel references that are not an array',
      (a: any) => (a.relationships.channels.data = {}),
      'body.data[1].relationships.channels.data must be an array (got object)',
    ],
  ])('leaves an agent with %s out of the page, and keeps the others', (_case, spoil, reason) => {
    const broken = agent(2, ['messaging']);
    spoil(broken);
    const drops: DecodeDrop[] = [];
    const decoded = decodeAvailabilityPage(
      page(
        [agent(1, ['messaging']), broken, agent(3, [])],
        [channel(1, 'messaging', []), channel(2, 'messaging', [])],
      ),
      drops,
    );
    expect(decoded.items.map((a) => a.agentId)).toEqual([1, 3]);
    expect(drops).toEqual([
      {
        kind: 'malformed_agent',
        path: 'body.data[1]',
        agentId: 2,
        channel: null,
        reason,
        pattern: reason.replace(/\[\d+\]/g, '[]'),
      },
    ]);
  });

  it('forgets what a skipped agent had dropped: it is reported once, as malformed', () => {
    const broken = agent(2, ['talk']);
    broken.attributes.version = 'new' as never;
    const drops: DecodeDrop[] = [];
    decodeAvailabilityPage(page([broken], []), drops);
    expect(drops.map((d) => d.kind)).toEqual(['malformed_agent']);
  });

  it('fails a single read of an agent that does not decode: it is never acted on', () => {
    const doc = { data: agent(2, []), included: [] };
    doc.data.attributes.agent_status.id = 'away' as never;
    expect(invalid(() => decodeAvailability(doc)).message).toBe(
      'Zendesk response: body.data.attributes.agent_status.id must be an integer (got string)',
    );
  });

  it('keeps an agent without a channel that does not decode, and without an unusable included resource', () => {
    const drops: DecodeDrop[] = [];
    const broken = channel(1, 'support', []);
    delete (broken.attributes as { work_item_count?: number }).work_item_count;
    const decoded = decodeAvailabilityPage(
      page(
        [agent(1, ['messaging', 'support'])],
        [channel(1, 'messaging', [48121]), broken, { type: 'work_items' }],
      ),
      drops,
    );
    expect(decoded.items[0]!.channels.map((c) => c.name)).toEqual(['messaging']);
    expect(drops.map((d) => [d.kind, d.path, d.agentId, d.channel])).toEqual([
      ['malformed_included', 'body.included[2]', null, null],
      ['missing_work_item', 'body.included[0].relationships.work_items.data[0]', 1, 'messaging'],
      ['malformed_included', 'body.included[1]', 1, 'support'],
    ]);
    expect(drops[2]!.reason).toBe(
      'body.included[1].attributes.work_item_count must be an integer (got undefined)',
    );
  });

  it('gives the same pattern to the same missing thing of different agents', () => {
    const drops: DecodeDrop[] = [];
    decodeAvailabilityPage(page([agent(1, ['talk']), agent(22, ['talk'])], []), drops);
    expect(drops.map((d) => d.agentId)).toEqual([1, 22]);
    expect(new Set(drops.map((d) => d.pattern)).size).toBe(1);
    expect(new Set(drops.map((d) => d.reason)).size).toBe(2);
  });

  it.each([
    ['data that is not an array', (d: any) => (d.data = {}), 'body.data must be an array (got object)'],
    [
      'has_more without a next link',
      (d: any) => (d.meta.has_more = true),
      'body.links.next must be a URL when meta.has_more is true',
    ],
    ['included that is not an array', (d: any) => (d.included = {}), 'body.included must be an array'],
  ])('fails a page with %s as INVALID_RESPONSE naming the member', (_case, spoil, message) => {
    const doc: any = page([agent(1, ['messaging'])], [channel(1, 'messaging', [])]);
    spoil(doc);
    const error = invalid(() => decodeAvailabilityPage(doc));
    expect(error.code).toBe(ZendeskErrorCode.INVALID_RESPONSE);
    expect(error.message).toContain(message);
  });

  it('refuses a status change answer whose agent or status id is not an integer', () => {
    const answer = documentedExample('10.5', 1);
    answer.attributes.agent_status.id = 'away';
    expect(invalid(() => decodeStatusChange(answer)).message).toContain(
      'body.attributes.agent_status.id must be an integer',
    );
    expect(invalid(() => decodeStatusChange({ data: { attributes: {} } })).message).toContain(
      'body.data.attributes.agent_id must be an integer (got undefined)',
    );
  });

  it('reads statuses in each of the spellings callers have seen', () => {
    const online = {
      id: 3,
      type: 'agent_status',
      attributes: { name: 'online', description: 'Can receive work' },
    };
    const lunch = {
      id: 9001,
      type: 'agent_status',
      updated_at: '2025-02-01T10:00:00Z',
      attributes: { name: 'Lunch', channels: { messaging: 'offline' }, group_ids: [] },
    };
    for (const body of [
      { default: [online], custom: [lunch] },
      { default_statuses: [online], custom_statuses: [lunch] },
      { data: [online, lunch] },
    ]) {
      expect(decodeStatusPage(body).items.map((s) => [s.id, s.kind, s.channels])).toEqual([
        [3, 'default', null],
        [9001, 'custom', { messaging: 'offline' }],
      ]);
    }
    expect(invalid(() => decodeStatusPage({ statuses: [] })).message).toContain('body.default');
  });

  it('leaves a status or capacity rule that does not decode out of its list', () => {
    const statuses = documentedExample('10.3');
    statuses.custom[0].id = 'coaching';
    const drops: DecodeDrop[] = [];
    expect(decodeStatusPage(statuses, drops).items.map((s) => s.id)).toEqual([4, 2, 3, 5]);
    const rules = documentedExample('9.2');
    delete rules[0].id;
    expect(decodeCapacityRules(rules, drops).map((r) => r.id)).toEqual(['01JPA0C8DE2F4G6H8J0K2M4N6P']);
    expect(drops.map((d) => [d.kind, d.path, d.reason])).toEqual([
      ['malformed_status', 'body.custom[0]', 'body.custom[0].id must be an integer (got string)'],
      ['malformed_capacity_rule', 'body[0]', 'body[0].id must be an id (got undefined)'],
    ]);
  });

  it('reads capacity rules bare or wrapped', () => {
    const rule = {
      id: '01JPA0C8DE2F4G6H8J0K2M4N6P',
      name: 'New starters',
      default: false,
      capacities: { email: 4, messaging: 1, voice: 0 },
      assignees: { agents_sample: [{ id: 1, name: 'sam@acme.example' }], count: 1 },
      created_at: '2025-01-10T12:00:00.000Z',
      last_updated_at: '2025-01-10T12:00:00.000Z',
    };
    for (const body of [[rule], { data: [rule] }, { capacity_rules: [rule] }]) {
      expect(decodeCapacityRules(body)[0]).toMatchObject({
        id: rule.id,
        isDefault: false,
        capacities: { email: 4, messaging: 1, voice: 0 },
        assigneeCount: 1,
      });
    }
    expect(decodeCapacityRule({ data: rule }).name).toBe('New starters');
    expect(invalid(() => decodeCapacityRule({ name: 'x' })).message).toContain('body.id must be an id');
  });

  it('finds the human message of every error body format', () => {
    expect(
      errorMessageOf({
        errors: [{ status: '404', code: 'NotFound', title: 'Not Found', detail: 'Agent 9 was not found' }],
      }),
    ).toBe('Agent 9 was not found');
    expect(errorMessageOf({ errors: [{ title: 'Not Found' }] })).toBe('Not Found');
    expect(errorMessageOf({ error: 'Forbidden', description: 'You do not have access' })).toBe(
      'You do not have access',
    );
    expect(errorMessageOf({ error: 'Capacity rule not found' })).toBe('Capacity rule not found');
    expect(errorMessageOf('<html>Too Many Requests</html>')).toBe('<html>Too Many Requests</html>');
    expect(errorMessageOf(null)).toBeNull();
  });
});

describe('users (section 13)', () => {
  const user = {
    id: 360099100001,
    url: 'https://acme.zendesk.com/api/v2/users/360099100001.json',
    name: 'Sam Agent',
    email: 'sam@acme.example',
    role: 'agent',
    active: true,
    time_zone: 'Berlin',
    iana_time_zone: 'Europe/Berlin',
    photo: null,
    user_fields: { shift: 'early' },
  };

  it('reads what the router relies on and ignores the rest', () => {
    expect(decodeUser({ user })).toEqual({
      id: 360099100001,
      name: 'Sam Agent',
      email: 'sam@acme.example',
      role: 'agent',
      active: true,
      timeZone: 'Berlin',
      ianaTimeZone: 'Europe/Berlin',
    });
  });

  it('takes absent optional members as unknown', () => {
    expect(decodeUser({ user: { id: 7, name: 'Lee' } })).toEqual({
      id: 7,
      name: 'Lee',
      email: null,
      role: null,
      active: true,
      timeZone: null,
      ianaTimeZone: null,
    });
  });

  it('fails one user whose id or name is missing or mistyped, naming the member', () => {
    expect(() => decodeUser({ user: { id: 7, name: 3 } })).toThrow(
      new ZendeskError(
        ZendeskErrorCode.INVALID_RESPONSE,
        'Zendesk response: body.user.name must be a string (got number)',
      ),
    );
    expect(() => decodeUser({ user: { name: 'Lee' } })).toThrow('body.user.id must be an integer');
    expect(() => decodeUser({ users: [] })).toThrow('body.user must be an object');
  });

  it('leaves a user that does not decode out of a batch, as one drop naming it', () => {
    const drops: DecodeDrop[] = [];
    const users = decodeUsers({ users: [user, { id: 8, email: 'x@y.z' }, 'nonsense'] }, drops);
    expect(users.map((u) => u.id)).toEqual([360099100001]);
    expect(drops).toEqual([
      expect.objectContaining({ kind: 'malformed_user', path: 'body.users[1]', agentId: 8 }),
      expect.objectContaining({ kind: 'malformed_user', path: 'body.users[2]', agentId: null }),
    ]);
    expect(drops[0]!.reason).toBe('body.users[1].name must be a string (got undefined)');
    expect(() => decodeUsers({ user })).toThrow('body.users must be an array');
  });
});
