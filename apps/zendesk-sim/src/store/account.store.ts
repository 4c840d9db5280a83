import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { SimClock } from '../clock/sim.clock';
import {
  CAPACITY_CHANNEL_OF,
  CHANNELS,
  type Agent,
  type AgentChange,
  type AgentChannel,
  type AgentEvent,
  type CapacityChannel,
  type CapacityRule,
  type ChannelName,
  type ChannelState,
  type Group,
  type Identity,
  type StatusReason,
  type UnifiedStatus,
  type WorkItem,
  type WorkItemReason,
} from './account.model';
import { Prng, ulid } from './prng';

/** Why the store refused a change; the API layer turns it into the right status and body. */
export class StoreError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Everything that makes up one simulated Zendesk account. */
export interface AccountData {
  accountId: number;
  omnichannelRouting: boolean;
  groups: Group[];
  statuses: UnifiedStatus[];
  capacityRules: CapacityRule[];
  /** Sorted by id. */
  agents: Agent[];
  identities: Identity[];
  nextWorkItemId: number;
}

export interface CapacityRuleInput {
  name?: string;
  description?: string;
  capacities?: Partial<Record<CapacityChannel, number>>;
  agentIds?: number[];
  isDefault?: boolean;
}

/**
 * The account's state and the only place it changes. Every change to an agent bumps its
 * `version` by one and emits exactly one event carrying that version, so a consumer can tell a
 * missed event from a duplicate.
 */
@Injectable()
export class AccountStore {
  private data: AccountData = {
    accountId: 0,
    omnichannelRouting: true,
    groups: [],
    statuses: [],
    capacityRules: [],
    agents: [],
    identities: [],
    nextWorkItemId: 1,
  };
  private agentIndex = new Map<number, Agent>();
  private readonly events = new Subject<AgentEvent>();
  private readonly idPrng = new Prng(0x5eed);

  /** Agent changes in the order they happened. */
  readonly events$: Observable<AgentEvent> = this.events.asObservable();

  constructor(private readonly clock: SimClock) {}

  /** Replaces the whole account (seeding and reset); emits no events. */
  load(data: AccountData): void {
    this.data = data;
    this.data.agents.sort((a, b) => a.id - b.id);
    this.agentIndex = new Map(data.agents.map((agent) => [agent.id, agent]));
  }

  get accountId(): number {
    return this.data.accountId;
  }

  get omnichannelRouting(): boolean {
    return this.data.omnichannelRouting;
  }

  setOmnichannelRouting(enabled: boolean): void {
    this.data.omnichannelRouting = enabled;
  }

  identities(): readonly Identity[] {
    return this.data.identities;
  }

  groups(): readonly Group[] {
    return this.data.groups;
  }

  /** Agents in ascending id order. Callers must not mutate them. */
  agents(): readonly Agent[] {
    return this.data.agents;
  }

  agent(id: number): Agent | undefined {
    return this.agentIndex.get(id);
  }

  requireAgent(id: number): Agent {
    const agent = this.agentIndex.get(id);
    if (!agent) throw new StoreError('not_found', `Agent availability for agent ${id} was not found`);
    return agent;
  }

  statuses(): readonly UnifiedStatus[] {
    return this.data.statuses;
  }

  status(id: number): UnifiedStatus | undefined {
    return this.data.statuses.find((s) => s.id === id);
  }

  statusName(id: number): string {
    return this.status(id)?.name ?? 'unknown';
  }

  capacityRules(): readonly CapacityRule[] {
    return this.data.capacityRules;
  }

  capacityRule(id: string): CapacityRule | undefined {
    return this.data.capacityRules.find((r) => r.id === id);
  }

  defaultCapacityRule(): CapacityRule {
    const rule = this.data.capacityRules.find((r) => r.isDefault);
    if (!rule) throw new Error('The account has no default capacity rule');
    return rule;
  }

  /** The max capacity of an agent's channel, from the agent's capacity rule. */
  maxCapacity(agent: Agent, channel: ChannelName): number {
    const rule = this.capacityRule(agent.capacityRuleId) ?? this.defaultCapacityRule();
    return rule.capacities[CAPACITY_CHANNEL_OF[channel]];
  }

  // ---- agent changes -------------------------------------------------------------------------

  /**
   * Sets an agent's unified status; its channels follow the status' channel mapping.
   * Custom statuses restricted to groups are refused for agents outside them.
   */
  setUnifiedStatus(agentId: number, statusId: number, reason: StatusReason): Agent {
    const agent = this.requireAgent(agentId);
    const status = this.status(statusId);
    if (!status) throw new StoreError('invalid', `Agent status ${statusId} does not exist`);
    if (status.groupIds.length > 0 && !status.groupIds.some((g) => agent.groupIds.includes(g))) {
      throw new StoreError(
        'invalid',
        `Agent status ${statusId} is not available to agent ${agentId}'s groups`,
      );
    }
    const now = this.clock.now();
    const previous = { id: agent.status.id, name: this.statusName(agent.status.id) };
    agent.status = { id: status.id, reason, updatedAt: now };
    this.emit(agent, {
      type: 'unified_state_changed',
      previous,
      next: { id: status.id, name: status.name },
      reason,
    });
    for (const channel of agent.channels.values()) {
      this.changeChannelStatus(agent, channel, status.channels[channel.name]);
    }
    return agent;
  }

  /** Sets one channel's status directly (agents without unified statuses, and the control API). */
  setChannelStatus(agentId: number, channelName: ChannelName, state: ChannelState): Agent {
    const agent = this.requireAgent(agentId);
    const channel = agent.channels.get(channelName);
    if (!channel) throw new StoreError('not_found', `Agent ${agentId} has no ${channelName} channel`);
    this.changeChannelStatus(agent, channel, state);
    return agent;
  }

  addChannel(agentId: number, channelName: ChannelName, state: ChannelState = 'offline'): Agent {
    const agent = this.requireAgent(agentId);
    if (agent.channels.has(channelName)) return agent;
    const channels = new Map(agent.channels);
    channels.set(channelName, {
      name: channelName,
      status: state,
      updatedAt: this.clock.now(),
      workItems: [],
    });
    agent.channels = new Map(CHANNELS.filter((c) => channels.has(c)).map((c) => [c, channels.get(c)!]));
    this.emit(agent, { type: 'channel_created', channel: channelName });
    return agent;
  }

  removeChannel(agentId: number, channelName: ChannelName): Agent {
    const agent = this.requireAgent(agentId);
    if (!agent.channels.delete(channelName)) return agent;
    this.emit(agent, { type: 'channel_deleted', channel: channelName });
    return agent;
  }

  /** Assigns a work item; `id` defaults to the account's next ticket/call number. */
  addWorkItem(
    agentId: number,
    channelName: ChannelName,
    item: { id?: number; reason?: WorkItemReason; addedAt?: number } = {},
  ): WorkItem {
    const agent = this.requireAgent(agentId);
    const channel = agent.channels.get(channelName);
    if (!channel) throw new StoreError('not_found', `Agent ${agentId} has no ${channelName} channel`);
    const id = item.id ?? this.data.nextWorkItemId++;
    if (item.id !== undefined) this.data.nextWorkItemId = Math.max(this.data.nextWorkItemId, item.id + 1);
    if (channel.workItems.some((w) => w.id === id)) {
      throw new StoreError(
        'invalid',
        `Work item ${id} is already assigned to agent ${agentId} on ${channelName}`,
      );
    }
    const workItem: WorkItem = {
      id,
      addedAt: item.addedAt ?? this.clock.now(),
      reason: item.reason ?? 'ASSIGNED',
    };
    channel.workItems.push(workItem);
    channel.workItems.sort((a, b) => a.addedAt - b.addedAt || a.id - b.id);
    this.emit(agent, {
      type: 'work_item_added',
      channel: channelName,
      workItemId: id,
      reason: workItem.reason,
    });
    return workItem;
  }

  updateWorkItem(
    agentId: number,
    channelName: ChannelName,
    workItemId: number,
    reason: WorkItemReason,
  ): WorkItem {
    const agent = this.requireAgent(agentId);
    const item = this.requireWorkItem(agent, channelName, workItemId);
    if (item.reason === reason) return item;
    const previousReason = item.reason;
    item.reason = reason;
    this.emit(agent, { type: 'work_item_updated', channel: channelName, workItemId, previousReason, reason });
    return item;
  }

  removeWorkItem(agentId: number, channelName: ChannelName, workItemId: number): void {
    const agent = this.requireAgent(agentId);
    const item = this.requireWorkItem(agent, channelName, workItemId);
    const channel = agent.channels.get(channelName)!;
    channel.workItems = channel.workItems.filter((w) => w !== item);
    this.emit(agent, { type: 'work_item_removed', channel: channelName, workItemId, reason: item.reason });
  }

  setGroups(agentId: number, groupIds: number[]): Agent {
    const agent = this.requireAgent(agentId);
    const unknown = groupIds.filter((id) => !this.data.groups.some((g) => g.id === id));
    if (unknown.length > 0) throw new StoreError('invalid', `Unknown group ids: ${unknown.join(', ')}`);
    const next = [...new Set(groupIds)].sort((a, b) => a - b);
    if (next.join() === agent.groupIds.join()) return agent;
    const previous = agent.groupIds;
    agent.groupIds = next;
    this.emit(agent, { type: 'groups_updated', previous, next });
    return agent;
  }

  // ---- capacity rules ------------------------------------------------------------------------

  createCapacityRule(input: CapacityRuleInput): CapacityRule {
    const name = input.name?.trim();
    if (!name) throw new StoreError('invalid', 'name is required');
    this.requireUniqueRuleName(name);
    this.requireKnownAgents(input.agentIds ?? []);
    const base = this.defaultCapacityRule().capacities;
    const now = this.clock.now();
    const rule: CapacityRule = {
      id: ulid(now, this.idPrng),
      name,
      description: input.description ?? '',
      isDefault: false,
      capacities: { ...base, ...input.capacities },
      createdAt: now,
      updatedAt: now,
    };
    this.data.capacityRules.push(rule);
    if (input.isDefault) this.makeDefault(rule);
    this.moveAgents(input.agentIds ?? [], rule);
    return rule;
  }

  updateCapacityRule(id: string, input: CapacityRuleInput): CapacityRule {
    const rule = this.requireCapacityRule(id);
    const name = input.name?.trim();
    if (input.name !== undefined && !name) throw new StoreError('invalid', 'name must not be empty');
    if (name && name !== rule.name) this.requireUniqueRuleName(name);
    this.requireKnownAgents(input.agentIds ?? []);
    if (input.isDefault === false && rule.isDefault) {
      throw new StoreError('invalid', 'Make another rule the default instead of unsetting the default rule');
    }
    const before = this.snapshotCapacities(this.agentsOfRule(rule.id));
    if (name) rule.name = name;
    if (input.description !== undefined) rule.description = input.description;
    if (input.capacities) rule.capacities = { ...rule.capacities, ...input.capacities };
    if (input.isDefault) this.makeDefault(rule);
    rule.updatedAt = this.clock.now();
    this.emitCapacityChanges(before);
    this.moveAgents(input.agentIds ?? [], rule);
    return rule;
  }

  /** Deletes a rule; its agents move to the default rule. The default rule cannot be deleted. */
  deleteCapacityRule(id: string): void {
    const rule = this.requireCapacityRule(id);
    if (rule.isDefault) throw new StoreError('invalid', "The default capacity rule can't be deleted");
    const target = this.defaultCapacityRule();
    this.moveAgents(
      this.agentsOfRule(rule.id).map((a) => a.id),
      target,
    );
    this.data.capacityRules = this.data.capacityRules.filter((r) => r !== rule);
  }

  agentsOfRule(ruleId: string): Agent[] {
    return this.data.agents.filter((a) => a.capacityRuleId === ruleId);
  }

  requireCapacityRule(id: string): CapacityRule {
    const rule = this.capacityRule(id);
    if (!rule) throw new StoreError('not_found', 'Capacity rule not found');
    return rule;
  }

  // ---- internals -----------------------------------------------------------------------------

  private changeChannelStatus(agent: Agent, channel: AgentChannel, state: ChannelState): void {
    if (channel.status === state) return;
    const previous = channel.status;
    channel.status = state;
    channel.updatedAt = this.clock.now();
    this.emit(agent, { type: 'state_changed', channel: channel.name, previous, next: state });
  }

  private requireWorkItem(agent: Agent, channelName: ChannelName, workItemId: number): WorkItem {
    const channel = agent.channels.get(channelName);
    if (!channel) throw new StoreError('not_found', `Agent ${agent.id} has no ${channelName} channel`);
    const item = channel.workItems.find((w) => w.id === workItemId);
    if (!item)
      throw new StoreError('not_found', `Work item ${workItemId} is not assigned to agent ${agent.id}`);
    return item;
  }

  private requireUniqueRuleName(name: string): void {
    if (this.data.capacityRules.some((r) => r.name === name)) {
      throw new StoreError('invalid', `A capacity rule named "${name}" already exists`);
    }
  }

  private requireKnownAgents(agentIds: number[]): void {
    const unknown = agentIds.filter((id) => !this.agentIndex.has(id));
    if (unknown.length > 0) throw new StoreError('invalid', `Unknown agent ids: ${unknown.join(', ')}`);
  }

  private makeDefault(rule: CapacityRule): void {
    for (const other of this.data.capacityRules) other.isDefault = other === rule;
  }

  private moveAgents(agentIds: number[], rule: CapacityRule): void {
    const agents = agentIds.map((id) => this.requireAgent(id)).filter((a) => a.capacityRuleId !== rule.id);
    const before = this.snapshotCapacities(agents);
    for (const agent of agents) agent.capacityRuleId = rule.id;
    this.emitCapacityChanges(before);
  }

  private snapshotCapacities(agents: Agent[]): Array<{ agent: Agent; capacities: Map<ChannelName, number> }> {
    return agents.map((agent) => ({
      agent,
      capacities: new Map([...agent.channels.keys()].map((c) => [c, this.maxCapacity(agent, c)])),
    }));
  }

  private emitCapacityChanges(before: Array<{ agent: Agent; capacities: Map<ChannelName, number> }>): void {
    for (const { agent, capacities } of before) {
      for (const [channel, previous] of capacities) {
        const next = this.maxCapacity(agent, channel);
        if (next !== previous && agent.channels.has(channel)) {
          this.emit(agent, { type: 'max_capacity_changed', channel, previous, next });
        }
      }
    }
  }

  private emit(agent: Agent, change: AgentChange): void {
    agent.version += 1;
    this.events.next({ agentId: agent.id, version: agent.version, at: this.clock.now(), change });
  }
}
