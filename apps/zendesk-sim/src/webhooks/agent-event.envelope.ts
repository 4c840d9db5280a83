import {
  AGENT_EVENT_TYPES,
  type AgentChange,
  type AgentEvent,
  type AgentEventType,
} from '../store/account.model';

/** Prefix of every agent event type name on the wire (section 11.2). */
export const AGENT_EVENT_TYPE_PREFIX = 'zen:event-type:agent.';

/** `zendesk_event_version` of agent events; other domains use `2022-06-20` (section 11.3). */
export const AGENT_EVENT_VERSION = '2022-11-06';

/** A wire event type name such as `zen:event-type:agent.state_changed`. */
export type AgentEventTypeName = `${typeof AGENT_EVENT_TYPE_PREFIX}${AgentEventType}`;

/** The nine agent event type names a webhook may subscribe to, in the order of section 11.2. */
export const AGENT_EVENT_TYPE_NAMES: readonly AgentEventTypeName[] = AGENT_EVENT_TYPES.map(eventTypeName);

/** The wire name of an agent event type. */
export function eventTypeName(type: AgentEventType): AgentEventTypeName {
  return `${AGENT_EVENT_TYPE_PREFIX}${type}`;
}

/** The agent event type a wire name stands for, or undefined for any other string. */
export function agentEventTypeOf(name: string): AgentEventType | undefined {
  if (!name.startsWith(AGENT_EVENT_TYPE_PREFIX)) return undefined;
  const type = name.slice(AGENT_EVENT_TYPE_PREFIX.length);
  return AGENT_EVENT_TYPES.find((t) => t === type);
}

/**
 * ISO 8601 with nanoseconds, as webhook payloads print times (section 1). The simulator clock has
 * millisecond resolution, so the sub-millisecond digits are zeros rather than invented.
 */
export function isoNanos(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** An agent event as Zendesk posts it to a webhook (sections 11.3–11.5); wire names, snake_case. */
export interface AgentEventEnvelope {
  account_id: number;
  detail: { account_id: string; agent_id: string; version: string };
  event: { updated_at: string } & Record<string, unknown>;
  id: string;
  subject: `zen:agent:${number}`;
  time: string;
  type: AgentEventTypeName;
  zendesk_event_version: typeof AGENT_EVENT_VERSION;
}

/**
 * Wraps one store event in the webhook envelope. `time` is when the event was produced, which in
 * the simulator is the instant of the change itself, so it equals `event.updated_at`.
 */
export function agentEventEnvelope(
  accountId: number,
  eventId: string,
  event: AgentEvent,
): AgentEventEnvelope {
  const at = isoNanos(event.at);
  return {
    account_id: accountId,
    detail: {
      account_id: String(accountId),
      agent_id: String(event.agentId),
      version: String(event.version),
    },
    event: { updated_at: at, ...eventMembers(event.change) },
    id: eventId,
    subject: `zen:agent:${event.agentId}`,
    time: at,
    type: eventTypeName(event.change.type),
    zendesk_event_version: AGENT_EVENT_VERSION,
  };
}

/** The type-specific `event` members: 11.4 for `state_changed`, the ASSUME shapes of 11.5 otherwise. */
function eventMembers(change: AgentChange): Record<string, unknown> {
  switch (change.type) {
    case 'state_changed':
      return { previous_state: change.previous, new_state: change.next, channel: change.channel };
    case 'unified_state_changed':
      return {
        previous_unified_state: { id: change.previous.id, name: change.previous.name },
        new_unified_state: { id: change.next.id, name: change.next.name },
        reason: change.reason,
      };
    case 'work_item_added':
    case 'work_item_removed':
      return { channel: change.channel, work_item_id: String(change.workItemId), reason: change.reason };
    case 'work_item_updated':
      return {
        channel: change.channel,
        work_item_id: String(change.workItemId),
        previous_reason: change.previousReason,
        reason: change.reason,
      };
    case 'max_capacity_changed':
      return {
        channel: change.channel,
        previous_max_capacity: change.previous,
        new_max_capacity: change.next,
      };
    case 'channel_created':
    case 'channel_deleted':
      return { channel: change.channel };
    case 'groups_updated':
      return { previous_group_ids: [...change.previous], new_group_ids: [...change.next] };
  }
}
