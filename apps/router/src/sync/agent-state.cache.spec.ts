import type { AgentAvailability } from '@app/zendesk';
import { AgentStateCache, type AgentEventEnvelope } from './agent-state.cache';

const NOW = Date.parse('2026-11-23T10:00:00Z');

function anAgent(overrides: Partial<AgentAvailability> = {}): AgentAvailability {
  return {
    agentId: 7,
    status: { id: 3, name: 'online', reason: 'AGENT_STATUS_SWITCHER', updatedAt: new Date(NOW - 60_000) },
    groupIds: [1],
    skillIds: [],
    version: 10,
    channels: [
      {
        name: 'messaging',
        status: 'online',
        updatedAt: null,
        workItemCount: 1,
        maxCapacity: 3,
        workItems: [{ id: '100', addedAt: null, reason: 'ACCEPTED' }],
        hasMoreWorkItems: false,
      },
      {
        name: 'support',
        status: 'online',
        updatedAt: null,
        workItemCount: 0,
        maxCapacity: 10,
        workItems: [],
        hasMoreWorkItems: false,
      },
    ],
    ...overrides,
  };
}

function anEvent(
  type: string,
  version: number,
  event: Record<string, unknown>,
  agentId = 7,
): AgentEventEnvelope {
  return {
    id: `01J${version}`,
    type: `zen:event-type:agent.${type}`,
    detail: { agent_id: String(agentId), version: String(version) },
    event: { updated_at: '2026-11-23T10:00:00.123456789Z', ...event },
  };
}

describe('AgentStateCache', () => {
  let cache: AgentStateCache;
  beforeEach(() => {
    cache = new AgentStateCache();
    cache.applySnapshot(anAgent(), NOW);
  });

  it('keeps the newer of two snapshots and drops stale ones', () => {
    expect(cache.applySnapshot(anAgent({ version: 9, groupIds: [99] }), NOW)).toEqual({ kind: 'stale' });
    expect(cache.applySnapshot(anAgent({ version: 10, groupIds: [99] }), NOW)).toEqual({ kind: 'stale' });
    expect(cache.applySnapshot(anAgent({ version: 12, groupIds: [2] }), NOW).kind).toBe('applied');
    expect(cache.get(7)?.groupIds).toEqual([2]);
  });

  it('applies the next version of each event type as a delta', () => {
    const steps: Array<[string, Record<string, unknown>, (a: AgentAvailability) => unknown, unknown]> = [
      [
        'unified_state_changed',
        {
          previous_unified_state: { id: 3, name: 'online' },
          new_unified_state: { id: 4, name: 'away' },
          reason: 'PUBLIC_API',
        },
        (a) => [a.status?.name, a.status?.reason],
        ['away', 'PUBLIC_API'],
      ],
      [
        'state_changed',
        { channel: 'messaging', previous_state: 'online', new_state: 'away' },
        (a) => a.channels[0]?.status,
        'away',
      ],
      [
        'work_item_added',
        { channel: 'support', work_item_id: '200', reason: 'ASSIGNED' },
        (a) => [a.channels[1]?.workItemCount, a.channels[1]?.workItems.map((w) => w.id)],
        [1, ['200']],
      ],
      [
        'work_item_updated',
        { channel: 'support', work_item_id: '200', previous_reason: 'ASSIGNED', reason: 'ACCEPTED' },
        (a) => a.channels[1]?.workItems[0]?.reason,
        'ACCEPTED',
      ],
      [
        'work_item_removed',
        { channel: 'messaging', work_item_id: '100', reason: 'ACCEPTED' },
        (a) => a.channels[0]?.workItemCount,
        0,
      ],
      [
        'max_capacity_changed',
        { channel: 'messaging', previous_max_capacity: 3, new_max_capacity: 5 },
        (a) => a.channels[0]?.maxCapacity,
        5,
      ],
      ['groups_updated', { previous_group_ids: [1], new_group_ids: [1, 2] }, (a) => a.groupIds, [1, 2]],
      ['channel_deleted', { channel: 'support' }, (a) => a.channels.map((c) => c.name), ['messaging']],
    ];
    let version = 10;
    for (const [type, event, read, expected] of steps) {
      const outcome = cache.applyEvent(anEvent(type, ++version, event), NOW);
      expect([type, outcome.kind, read(cache.get(7)!)]).toEqual([type, 'applied', expected]);
    }
    expect(cache.get(7)?.version).toBe(version);
  });

  it('drops stale and duplicate versions', () => {
    expect(cache.applyEvent(anEvent('groups_updated', 10, { new_group_ids: [5] }), NOW)).toEqual({
      kind: 'stale',
    });
    expect(cache.applyEvent(anEvent('groups_updated', 3, { new_group_ids: [5] }), NOW)).toEqual({
      kind: 'stale',
    });
    expect(cache.get(7)?.groupIds).toEqual([1]);
  });

  it('asks for a read on a version gap, an unknown agent, or an event it cannot apply', () => {
    expect(cache.applyEvent(anEvent('groups_updated', 12, { new_group_ids: [5] }), NOW)).toEqual({
      kind: 'needs_read',
      agentId: 7,
      reason: 'missed versions 11–11',
    });
    expect(cache.applyEvent(anEvent('groups_updated', 1, { new_group_ids: [5] }, 8), NOW)).toEqual({
      kind: 'needs_read',
      agentId: 8,
      reason: 'unknown agent',
    });
    expect(cache.applyEvent(anEvent('channel_created', 11, { channel: 'talk' }), NOW)).toMatchObject({
      kind: 'needs_read',
      agentId: 7,
    });
    expect(
      cache.applyEvent(anEvent('state_changed', 11, { channel: 'fax', new_state: 'online' }), NOW),
    ).toMatchObject({ kind: 'needs_read' });
    expect(cache.get(7)?.version).toBe(10);
  });

  it('ignores events that are not agent events or lack their ids', () => {
    expect(
      cache.applyEvent({ ...anEvent('x', 11, {}), type: 'zen:event-type:ticket.created' }, NOW).kind,
    ).toBe('ignored');
    expect(
      cache.applyEvent(
        { ...anEvent('groups_updated', 11, {}), detail: { agent_id: 'seven', version: '11' } },
        NOW,
      ).kind,
    ).toBe('ignored');
  });

  it("remembers when an agent's last work ended, for idle time", () => {
    expect(cache.lastWorkEndedAt(7)).toBeNull();
    cache.applyEvent(
      anEvent('work_item_removed', 11, { channel: 'messaging', work_item_id: '100' }),
      NOW + 5_000,
    );
    expect(cache.lastWorkEndedAt(7)).toBe(NOW + 5_000);
  });

  it('forgets agents the full list no longer returns', () => {
    cache.applySnapshot(anAgent({ agentId: 8 }), NOW);
    expect(cache.retainOnly(new Set([8]))).toEqual([7]);
    expect(cache.size).toBe(1);
  });
});
