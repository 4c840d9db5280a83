import type { AgentChange, AgentEvent } from '../store/account.model';
import {
  AGENT_EVENT_TYPE_NAMES,
  agentEventEnvelope,
  agentEventTypeOf,
  isoNanos,
} from './agent-event.envelope';

const AT = Date.UTC(2025, 2, 14, 9, 12, 44, 108);
const anEvent = (change: AgentChange, overrides: Partial<AgentEvent> = {}): AgentEvent => ({
  agentId: 360_099_123_401,
  version: 58,
  at: AT,
  change,
  ...overrides,
});
const envelope = (change: AgentChange) =>
  agentEventEnvelope(8_810_442, '01JPAX7Q3M2V9K5D8H4T6WBRZC', anEvent(change));

describe('agentEventEnvelope', () => {
  it('builds the documented state_changed envelope (section 11.4)', () => {
    const body = envelope({ type: 'state_changed', channel: 'support', previous: 'offline', next: 'online' });
    expect(body).toEqual({
      account_id: 8_810_442,
      detail: { account_id: '8810442', agent_id: '360099123401', version: '58' },
      event: {
        updated_at: '2025-03-14T09:12:44.108000000Z',
        previous_state: 'offline',
        new_state: 'online',
        channel: 'support',
      },
      id: '01JPAX7Q3M2V9K5D8H4T6WBRZC',
      subject: 'zen:agent:360099123401',
      time: '2025-03-14T09:12:44.108000000Z',
      type: 'zen:event-type:agent.state_changed',
      zendesk_event_version: '2022-11-06',
    });
  });

  it.each<[AgentChange, Record<string, unknown>]>([
    [
      {
        type: 'unified_state_changed',
        previous: { id: 3, name: 'online' },
        next: { id: 4, name: 'away' },
        reason: 'AGENT_STATUS_SWITCHER',
      },
      {
        previous_unified_state: { id: 3, name: 'online' },
        new_unified_state: { id: 4, name: 'away' },
        reason: 'AGENT_STATUS_SWITCHER',
      },
    ],
    [
      { type: 'work_item_added', channel: 'messaging', workItemId: 48_130, reason: 'ASSIGNED' },
      { channel: 'messaging', work_item_id: '48130', reason: 'ASSIGNED' },
    ],
    [
      {
        type: 'work_item_updated',
        channel: 'messaging',
        workItemId: 48_130,
        previousReason: 'OFFERED',
        reason: 'ACCEPTED',
      },
      { channel: 'messaging', work_item_id: '48130', previous_reason: 'OFFERED', reason: 'ACCEPTED' },
    ],
    [
      { type: 'work_item_removed', channel: 'talk', workItemId: 7, reason: 'ASSIGNED' },
      { channel: 'talk', work_item_id: '7', reason: 'ASSIGNED' },
    ],
    [
      { type: 'max_capacity_changed', channel: 'messaging', previous: 3, next: 5 },
      { channel: 'messaging', previous_max_capacity: 3, new_max_capacity: 5 },
    ],
    [{ type: 'channel_created', channel: 'talk' }, { channel: 'talk' }],
    [{ type: 'channel_deleted', channel: 'talk' }, { channel: 'talk' }],
    [
      { type: 'groups_updated', previous: [360_001_000_001], next: [360_001_000_001, 360_001_000_004] },
      { previous_group_ids: [360_001_000_001], new_group_ids: [360_001_000_001, 360_001_000_004] },
    ],
  ])('maps %o to the event members of section 11.5', (change, members) => {
    const body = envelope(change);
    expect(body.type).toBe(`zen:event-type:agent.${change.type}`);
    expect(body.event).toEqual({ updated_at: '2025-03-14T09:12:44.108000000Z', ...members });
  });

  it('keeps detail members as strings and the subject on the agent', () => {
    const body = agentEventEnvelope(
      1,
      'X',
      anEvent({ type: 'channel_created', channel: 'support' }, { agentId: 5, version: 1 }),
    );
    expect(body.detail).toEqual({ account_id: '1', agent_id: '5', version: '1' });
    expect(body.subject).toBe('zen:agent:5');
  });
});

describe('isoNanos', () => {
  it('prints nine fractional digits', () => {
    expect(isoNanos(Date.UTC(2023, 3, 5, 23, 30, 58, 642))).toBe('2023-04-05T23:30:58.642000000Z');
  });
});

describe('agent event type names', () => {
  it('lists the nine types of section 11.2 and maps only those back', () => {
    expect(AGENT_EVENT_TYPE_NAMES).toHaveLength(9);
    for (const name of AGENT_EVENT_TYPE_NAMES) expect(agentEventTypeOf(name)).toBe(name.split('.')[1]);
    expect(agentEventTypeOf('zen:event-type:ticket.created')).toBeUndefined();
    expect(agentEventTypeOf('zen:event-type:agent.nope')).toBeUndefined();
    expect(agentEventTypeOf('conditional_ticket_events')).toBeUndefined();
  });
});
