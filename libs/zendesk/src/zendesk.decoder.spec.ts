import {
  decodeAvailability,
  decodeAvailabilityPage,
  decodeCapacityRule,
  decodeCapacityRules,
  decodeStatusPage,
  errorMessageOf,
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

function invalid(fn: () => unknown): ZendeskError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZendeskError) return error;
    throw error;
  }
  throw new Error('expected INVALID_RESPONSE');
}

describe('decoding Zendesk responses', () => {
  it('resolves included resources by (type, id), whatever their order', () => {
    const included = [
      workItem(1, 'messaging', 48121),
      channel(2, 'support', []),
      channel(1, 'messaging', [48121]),
      workItem(2, 'support', 1),
    ];
    const page = decodeAvailabilityPage({
      data: [agent(1, ['messaging']), agent(2, ['support'])],
      included: included.reverse(),
      links: {},
      meta: { has_more: false },
    });
    expect(page.next).toBeNull();
    expect(page.items[0]).toEqual({
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
    expect(page.items[1]!.channels[0]!.name).toBe('support');
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
      'a missing agent_id',
      (d: any) => delete d.data[0].attributes.agent_id,
      'body.data[0].attributes.agent_id must be an integer (got undefined)',
    ],
    [
      'a string version',
      (d: any) => (d.data[0].attributes.version = 'new'),
      'body.data[0].attributes.version must be an integer (got string)',
    ],
    [
      'a channel missing from included',
      (d: any) => (d.included = []),
      'body.data[0].relationships.channels.data[0] must be a reference to a channels resource in included',
    ],
    [
      'a channel without work_item_count',
      (d: any) => delete d.included[0].attributes.work_item_count,
      'body.included[0].attributes.work_item_count must be an integer',
    ],
    ['data that is not an array', (d: any) => (d.data = {}), 'body.data must be an array (got object)'],
    [
      'has_more without a next link',
      (d: any) => (d.meta.has_more = true),
      'body.links.next must be a URL when meta.has_more is true',
    ],
  ])('reports %s as INVALID_RESPONSE naming the member', (_case, spoil, message) => {
    const doc: any = {
      data: [agent(1, ['messaging'])],
      included: [channel(1, 'messaging', [])],
      links: {},
      meta: { has_more: false },
    };
    spoil(doc);
    const error = invalid(() => decodeAvailabilityPage(doc));
    expect(error.code).toBe(ZendeskErrorCode.INVALID_RESPONSE);
    expect(error.message).toContain(message);
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
    expect(invalid(() => decodeCapacityRules([{ name: 'x' }])).message).toContain('body[0].id must be an id');
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
