import { Injectable } from '@nestjs/common';
import {
  CHANNELS,
  type Agent,
  type AgentChannel,
  type ChannelName,
  type WorkItem,
} from '../store/account.model';
import { AccountStore } from '../store/account.store';

/** ISO 8601 with microseconds, as the Omnichannel APIs print times (section 1). */
export function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface Resource {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  links?: Record<string, string>;
  relationships?: Record<string, unknown>;
}

export interface RenderOptions {
  baseUrl: string;
  /** Only this channel's data (`select_channel`). */
  channel: ChannelName | null;
  workItemsPerChannel: number;
}

/** Renders agents as JSON:API agent_availabilities compound documents (section 8.1). */
@Injectable()
export class AvailabilityPresenter {
  constructor(private readonly store: AccountStore) {}

  /** The agent resource plus, in `included`, its channels each followed by their first work items. */
  render(agent: Agent, options: RenderOptions): { data: Resource; included: Resource[] } {
    const channels = this.channelsOf(agent, options.channel);
    const included: Resource[] = [];
    for (const channel of channels) {
      const shown = channel.workItems.slice(0, options.workItemsPerChannel);
      included.push(this.channel(agent, channel, shown, options));
      for (const item of shown) included.push(this.workItem(agent, channel.name, item));
    }
    const attributes: Record<string, unknown> = { agent_id: agent.id };
    if (this.store.omnichannelRouting) {
      attributes.agent_status = {
        id: agent.status.id,
        name: this.store.statusName(agent.status.id),
        reason: agent.status.reason,
        updated_at: isoMicros(agent.status.updatedAt),
      };
    }
    attributes.group_ids = agent.groupIds;
    attributes.skills = agent.skills.map((id) => ({ id }));
    attributes.version = agent.version;
    return {
      data: {
        id: `agent_availabilities|${agent.id}`,
        type: 'agent_availabilities',
        attributes,
        links: { self: `${options.baseUrl}/api/v2/agent_availabilities/${agent.id}` },
        relationships: {
          channels: { data: channels.map((c) => ({ id: channelId(agent.id, c.name), type: 'channels' })) },
        },
      },
      included,
    };
  }

  workItem(agent: Agent, channel: ChannelName, item: WorkItem): Resource {
    return {
      id: `${channelId(agent.id, channel)}|work_items|${item.id}`,
      type: 'work_items',
      attributes: { added_at: isoMicros(item.addedAt), reason: item.reason },
    };
  }

  private channelsOf(agent: Agent, only: ChannelName | null): AgentChannel[] {
    return CHANNELS.filter((c) => only === null || c === only)
      .map((c) => agent.channels.get(c))
      .filter((c): c is AgentChannel => c !== undefined);
  }

  private channel(agent: Agent, channel: AgentChannel, shown: WorkItem[], options: RenderOptions): Resource {
    const attributes: Record<string, unknown> = {
      name: channel.name,
      status: channel.status,
      updated_at: isoMicros(channel.updatedAt),
      work_item_count: channel.workItems.length,
    };
    if (this.store.omnichannelRouting) attributes.max_capacity = this.store.maxCapacity(agent, channel.name);
    const hasMore = channel.workItems.length > shown.length;
    const last = shown[shown.length - 1];
    const workItems: Record<string, unknown> = {
      data: shown.map((item) => ({
        id: `${channelId(agent.id, channel.name)}|work_items|${item.id}`,
        type: 'work_items',
      })),
      meta: { has_more: hasMore },
    };
    if (hasMore && last) {
      workItems.links = {
        next: `${options.baseUrl}/api/v2/agent_availabilities/${agent.id}/channels/${channel.name}/relationships/work_items?page%5Bafter%5D=${last.id}`,
      };
    }
    return {
      id: channelId(agent.id, channel.name),
      type: 'channels',
      attributes,
      relationships: { work_items: workItems },
    };
  }
}

function channelId(agentId: number, channel: ChannelName): string {
  return `agent_availabilities|${agentId}|channels|${channel}`;
}
