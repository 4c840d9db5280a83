/** Availability channel names (section 1.1): the same set as the unified-status channel mapping. */
export const CHANNELS = ['messaging', 'support', 'talk'] as const;
export type ChannelName = (typeof CHANNELS)[number];

export const CHANNEL_STATES = ['online', 'away', 'transfers_only', 'offline'] as const;
export type ChannelState = (typeof CHANNEL_STATES)[number];

/** Capacity-rule channel names differ from availability channel names (section 1.1). */
export const CAPACITY_CHANNELS = ['email', 'messaging', 'voice'] as const;
export type CapacityChannel = (typeof CAPACITY_CHANNELS)[number];

export const CAPACITY_CHANNEL_OF: Readonly<Record<ChannelName, CapacityChannel>> = {
  messaging: 'messaging',
  support: 'email',
  talk: 'voice',
};

export const STATUS_REASONS = [
  'UNKNOWN',
  'AGENT_STATUS_SWITCHER',
  'AGENT_LOGOUT',
  'AGENT_STATUS_DELETED',
  'AGENT_DISCONNECTED',
  'AGENT_IDLE_TIMEOUT',
  'SWITCHER_AUTO_RECONNECT',
  'OMNICHANNEL_ROUTING_ENABLED',
  'PUBLIC_API',
  'INTERNAL_TEST',
  'EXPLORE_TAKE_AN_ACTION',
  'WFM_STATUS_UPDATE',
  'MONITORING_ASSISTANT_UPDATE',
] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

export const WORK_ITEM_REASONS = [
  'UNKNOWN_ADD',
  'ASSIGNED',
  'OFFERED',
  'ACCEPTED',
  'MANUAL_ASSIGNED',
  'REOPENED',
  'ASSIGNED_TRANSFER',
  'CHANNEL_CHANGE',
  'OFFER_MISSED',
  'OFFER_OBSOLETED',
] as const;
export type WorkItemReason = (typeof WORK_ITEM_REASONS)[number];

/** Default unified status ids (section 10.1). */
export const DEFAULT_STATUS = { offline: 2, online: 3, away: 4, transfers_only: 5 } as const;

export interface WorkItem {
  /** The ticket id (support, messaging) or call id (talk); also the page cursor. */
  readonly id: number;
  readonly addedAt: number;
  reason: WorkItemReason;
}

export interface AgentChannel {
  readonly name: ChannelName;
  status: ChannelState;
  updatedAt: number;
  /** Oldest first. */
  workItems: WorkItem[];
}

export interface Agent {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  /** The user's zone as the Users API gives it: a Rails name and its IANA name (section 13). */
  readonly timeZone: { readonly rails: string; readonly iana: string };
  groupIds: number[];
  skills: string[];
  version: number;
  status: { id: number; reason: StatusReason; updatedAt: number };
  channels: Map<ChannelName, AgentChannel>;
  capacityRuleId: string;
}

export interface UnifiedStatus {
  readonly id: number;
  readonly kind: 'default' | 'custom';
  readonly name: string;
  readonly description: string;
  /** What each channel becomes when an agent takes this status. */
  readonly channels: Readonly<Record<ChannelName, ChannelState>>;
  /** Groups allowed to use a custom status; empty means everyone. */
  readonly groupIds: readonly number[];
  readonly updatedAt: number;
}

export interface CapacityRule {
  readonly id: string;
  name: string;
  description: string;
  isDefault: boolean;
  capacities: Record<CapacityChannel, number>;
  readonly createdAt: number;
  updatedAt: number;
}

export interface Group {
  readonly id: number;
  readonly name: string;
}

export type UserRole = 'admin' | 'agent' | 'end-user';

/** A credential holder the simulator authenticates. */
export interface Identity {
  readonly email: string;
  readonly role: UserRole;
  readonly apiToken: string;
  /** The agent record of this user, when the user is an agent. */
  readonly agentId: number | null;
}

/** Agent events the store emits, one per version step (section 11.2 / 11.5). */
export type AgentChange =
  | { type: 'state_changed'; channel: ChannelName; previous: ChannelState; next: ChannelState }
  | {
      type: 'unified_state_changed';
      previous: { id: number; name: string };
      next: { id: number; name: string };
      reason: StatusReason;
    }
  | { type: 'work_item_added'; channel: ChannelName; workItemId: number; reason: WorkItemReason }
  | {
      type: 'work_item_updated';
      channel: ChannelName;
      workItemId: number;
      previousReason: WorkItemReason;
      reason: WorkItemReason;
    }
  | { type: 'work_item_removed'; channel: ChannelName; workItemId: number; reason: WorkItemReason }
  | { type: 'max_capacity_changed'; channel: ChannelName; previous: number; next: number }
  | { type: 'channel_created'; channel: ChannelName }
  | { type: 'channel_deleted'; channel: ChannelName }
  | { type: 'groups_updated'; previous: number[]; next: number[] };

export type AgentEventType = AgentChange['type'];

export const AGENT_EVENT_TYPES: readonly AgentEventType[] = [
  'state_changed',
  'work_item_added',
  'work_item_updated',
  'work_item_removed',
  'max_capacity_changed',
  'unified_state_changed',
  'channel_created',
  'channel_deleted',
  'groups_updated',
];

/** A change to one agent, stamped with the version it produced and when it happened. */
export interface AgentEvent {
  readonly agentId: number;
  readonly version: number;
  readonly at: number;
  readonly change: AgentChange;
}
