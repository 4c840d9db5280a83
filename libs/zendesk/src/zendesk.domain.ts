/** Availability channel names; other values Zendesk may add later pass through unchanged. */
export type ChannelName = 'messaging' | 'support' | 'talk' | (string & {});

/** A channel's status (section 1.2); unknown values pass through unchanged. */
export type ChannelStatus = 'online' | 'away' | 'transfers_only' | 'offline' | (string & {});

/** Capacity-rule channel names, which differ from availability channel names. */
export type CapacityChannel = 'email' | 'messaging' | 'voice';

/** An agent's unified status as the availability record reports it. */
export interface AgentStatusRef {
  id: number;
  name: string;
  /** Who or what set it (`PUBLIC_API`, `AGENT_STATUS_SWITCHER`, ...); null when not reported. */
  reason: string | null;
  updatedAt: Date | null;
}

/** One piece of work assigned to an agent on a channel. */
export interface WorkItem {
  /** The ticket or call id, as Zendesk prints it. */
  id: string;
  addedAt: Date | null;
  reason: string;
}

/** One channel of an agent. */
export interface AgentChannel {
  name: ChannelName;
  status: ChannelStatus | null;
  updatedAt: Date | null;
  workItemCount: number;
  /** Null when the account has no Omnichannel Contact Center. */
  maxCapacity: number | null;
  /** The work items read so far, oldest first (all of them when `hasMoreWorkItems` is false). */
  workItems: WorkItem[];
  hasMoreWorkItems: boolean;
}

/** An agent's availability: unified status, channels, work and groups, at one `version`. */
export interface AgentAvailability {
  agentId: number;
  /** Null when the account has no Omnichannel Contact Center. */
  status: AgentStatusRef | null;
  groupIds: number[];
  skillIds: string[];
  /** Increases with every change to the agent; compare only within one agent. */
  version: number;
  channels: AgentChannel[];
}

/** A unified status an agent can be put in. */
export interface UnifiedStatus {
  id: number;
  kind: 'default' | 'custom';
  name: string;
  description: string | null;
  /** What each channel becomes in this status; null for default statuses, which do not report it. */
  channels: Partial<Record<ChannelName, ChannelStatus>> | null;
  /** Groups allowed to use the status; empty means every agent. */
  groupIds: number[];
  updatedAt: Date | null;
}

/** An account capacity rule: how much work its agents take per channel. */
export interface CapacityRule {
  id: string;
  name: string;
  description: string | null;
  isDefault: boolean;
  capacities: Partial<Record<CapacityChannel, number>>;
  /** How many agents the rule has; null when not reported. */
  assigneeCount: number | null;
  /** A few of the rule's agents, as Zendesk samples them. */
  assigneeSample: Array<{ id: number; name: string }>;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** Which capacity rule an agent belongs to. */
export interface CapacityAssignee {
  agentId: number;
  capacityRuleId: string;
}

/** Changes to a capacity rule; absent fields stay as they are. */
export interface CapacityRuleUpdate {
  name?: string;
  description?: string;
  capacities?: Partial<Record<CapacityChannel, number>>;
  /** Agents to move into this rule. */
  agentIds?: number[];
}

/** The outcome of a bulk status update job. */
export interface StatusJob {
  id: string;
  status: 'queued' | 'working' | 'completed' | (string & {});
  total: number;
  progress: number;
  message: string | null;
  results: StatusJobResult[];
}

/** One agent's result in a bulk status update. */
export interface StatusJobResult {
  agentId: number;
  status: 'success' | 'failed' | (string & {});
  error: string | null;
  completedAt: Date | null;
}

/** What Zendesk answered to setting one agent's unified status. */
export interface AgentStatusChange {
  agentId: number;
  status: { id: number; name: string };
}

/** A Zendesk webhook subscribed to events. */
export interface Webhook {
  id: string;
  name: string;
  status: 'active' | 'inactive' | (string & {});
  endpoint: string;
  subscriptions: string[];
}

/** What to create or change a webhook to (event webhooks: always POST + JSON). */
export interface WebhookInput {
  name: string;
  endpoint: string;
  subscriptions: readonly string[];
  status?: 'active' | 'inactive';
  description?: string;
}

/** A Support user as the Users API gives it (section 13): who an agent id is. */
export interface ZendeskUser {
  id: number;
  name: string;
  /** The primary email; null when the account hides it or the user has none. */
  email: string | null;
  /** `end-user`, `agent` or `admin`; other values pass through unchanged. */
  role: 'end-user' | 'agent' | 'admin' | (string & {}) | null;
  active: boolean;
  /** The Rails zone name (`Berlin`); null when not reported. */
  timeZone: string | null;
  /** The IANA zone (`Europe/Berlin`); null when not reported. */
  ianaTimeZone: string | null;
}
