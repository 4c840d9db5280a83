import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AllowedFor, callerOf } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import {
  CHANNELS,
  CHANNEL_STATES,
  type Agent,
  type ChannelName,
  type ChannelState,
} from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { AvailabilityPresenter, type Resource } from './availability.presenter';
import {
  baseUrlOf,
  decodeCursor,
  encodeCursor,
  idList,
  pageLink,
  pageOf,
  pageRequest,
  queryParams,
  type PageRequest,
} from './query';

const LIST_PATH = '/api/v2/agent_availabilities';

/** The Agent Availability API (section 8). */
@Controller('api/v2/agent_availabilities')
export class AgentAvailabilityController {
  constructor(
    private readonly store: AccountStore,
    private readonly presenter: AvailabilityPresenter,
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
  ) {}

  /** 8.3: every agent matching the filters, ascending by agent id, cursor-paginated. */
  @Get()
  @AllowedFor('admins')
  list(@Req() req: Request) {
    const params = queryParams(req);
    const page = pageRequest(params, 100);
    const filter = parseFilters(params);
    const all = this.store.agents();
    const filtered =
      filter.agentIds || filter.statusId !== null || filter.channelStatus || filter.remainingCapacity;
    const selected = filtered ? all.filter((agent) => this.matches(agent, filter)) : all;
    const cursor = (raw: string | null, name: string) => (raw === null ? null : cursorAgentId(raw, name));
    const slice = pageOf(
      selected,
      (a) => a.id,
      (a, b) => a - b,
      {
        size: page.size,
        after: cursor(page.after, 'page[after]'),
        before: cursor(page.before, 'page[before]'),
      },
    );
    const base = baseUrlOf(req, this.config.publicUrl);
    const data: Resource[] = [];
    const included: Resource[] = [];
    for (const agent of slice.items) {
      const doc = this.presenter.render(agent, {
        baseUrl: base,
        channel: filter.selectChannel,
        workItemsPerChannel: this.config.workItemsPerChannel,
      });
      data.push(doc.data);
      included.push(...doc.included);
    }
    const first = slice.items[0];
    const last = slice.items[slice.items.length - 1];
    const links: Record<string, string> = {};
    if (slice.hasNext && last) {
      links.next = pageLink(base, LIST_PATH, params, {
        name: 'page[after]',
        value: encodeCursor(String(last.id)),
      });
    }
    if (slice.hasPrev && first) {
      links.prev = pageLink(base, LIST_PATH, params, {
        name: 'page[before]',
        value: encodeCursor(String(first.id)),
      });
    }
    return { data, included, links, meta: { has_more: slice.hasNext } };
  }

  /** 8.4: the caller's own availability. */
  @Get('me')
  @AllowedFor('agents')
  me(@Req() req: Request) {
    return this.show(req, this.callerAgentId(req));
  }

  @Get('me/channels/:channel/relationships/work_items')
  @AllowedFor('agents')
  myWorkItems(@Req() req: Request, @Param('channel') channel: string) {
    return this.workItems(req, this.callerAgentId(req), channel);
  }

  /** 8.2: one agent. A non-numeric id is an unknown route, as in Rails. */
  @Get(':agentId')
  @AllowedFor('admins')
  one(@Req() req: Request, @Param('agentId') agentId: string) {
    return this.show(req, parseAgentId(agentId));
  }

  /** 8.5: a channel's work items, oldest first, paged by work item id. */
  @Get(':agentId/channels/:channel/relationships/work_items')
  @AllowedFor('admins')
  channelWorkItems(
    @Req() req: Request,
    @Param('agentId') agentId: string,
    @Param('channel') channel: string,
  ) {
    return this.workItems(req, parseAgentId(agentId), channel);
  }

  private show(req: Request, agentId: number) {
    const agent = this.store.requireAgent(agentId);
    return this.presenter.render(agent, {
      baseUrl: baseUrlOf(req, this.config.publicUrl),
      channel: null,
      workItemsPerChannel: this.config.workItemsPerChannel,
    });
  }

  private workItems(req: Request, agentId: number, channelName: string) {
    const agent = this.store.requireAgent(agentId);
    const channel = isChannel(channelName) ? agent.channels.get(channelName) : undefined;
    if (!channel)
      throw SimHttpError.notFound(`Agent ${agentId} has no channel named ${JSON.stringify(channelName)}`);
    const params = queryParams(req);
    const page: PageRequest = pageRequest(params, 100);
    const items = channel.workItems;
    const position = (raw: string, name: string): number => {
      if (!/^\d+$/.test(raw)) throw SimHttpError.badRequest(`${name} must be a work item id`);
      const id = Number(raw);
      const at = items.findIndex((w) => w.id === id);
      return at >= 0 ? at : items.findIndex((w) => w.id > id);
    };
    let start: number;
    let end: number;
    if (page.before !== null) {
      const at = position(page.before, 'page[before]');
      end = at < 0 ? items.length : at;
      start = Math.max(0, end - page.size);
    } else {
      const at = page.after === null ? -1 : position(page.after, 'page[after]');
      start =
        page.after === null ? 0 : at < 0 ? items.length : items[at]?.id === Number(page.after) ? at + 1 : at;
      end = Math.min(items.length, start + page.size);
    }
    const shown = items.slice(start, end);
    const base = baseUrlOf(req, this.config.publicUrl);
    const path = `/api/v2/agent_availabilities/${req.path.includes('/me/') ? 'me' : agentId}/channels/${channel.name}/relationships/work_items`;
    const links: Record<string, string> = {};
    const first = shown[0];
    const last = shown[shown.length - 1];
    if (end < items.length && last)
      links.next = pageLink(base, path, params, { name: 'page[after]', value: String(last.id) });
    if (start > 0 && first)
      links.prev = pageLink(base, path, params, { name: 'page[before]', value: String(first.id) });
    return {
      data: shown.map((item) => this.presenter.workItem(agent, channel.name, item)),
      links,
      meta: { has_more: end < items.length },
    };
  }

  private callerAgentId(req: Request): number {
    const caller = callerOf(req);
    if (caller.agentId === null) {
      throw SimHttpError.notFound(`${caller.email} has no agent availability record`);
    }
    return caller.agentId;
  }

  private matches(agent: Agent, filter: Filters): boolean {
    if (filter.agentIds && !filter.agentIds.has(agent.id)) return false;
    if (filter.statusId !== null && (!this.store.omnichannelRouting || agent.status.id !== filter.statusId))
      return false;
    if (
      filter.channelStatus &&
      agent.channels.get(filter.channelStatus.channel)?.status !== filter.channelStatus.state
    ) {
      return false;
    }
    if (filter.remainingCapacity) {
      const { channel, atLeast } = filter.remainingCapacity;
      const ch = agent.channels.get(channel);
      if (!ch || !this.store.omnichannelRouting) return false;
      if (this.store.maxCapacity(agent, channel) - ch.workItems.length < atLeast) return false;
    }
    return true;
  }
}

interface Filters {
  agentIds: Set<number> | null;
  statusId: number | null;
  channelStatus: { channel: ChannelName; state: ChannelState } | null;
  remainingCapacity: { channel: ChannelName; atLeast: number } | null;
  selectChannel: ChannelName | null;
}

/** The filters of section 8.3; a malformed value is a 400 naming the parameter. */
function parseFilters(params: Map<string, string>): Filters {
  const channelStatus = params.get('filter[channel_status]');
  const statusId = params.get('filter[agent_status_id]');
  const agentIds = params.get('filter[agent_id]');
  const remaining = params.get('filter[remaining_capacity]');
  const select = params.get('select_channel') ?? params.get('filter[select_channel]');
  return {
    agentIds: agentIds === undefined ? null : new Set(idList(agentIds, 'filter[agent_id]')),
    statusId: statusId === undefined ? null : integer(statusId, 'filter[agent_status_id]'),
    channelStatus:
      channelStatus === undefined
        ? null
        : (() => {
            const [channel, state] = pair(channelStatus, 'filter[channel_status]', '<channel>:<status>');
            if (!(CHANNEL_STATES as readonly string[]).includes(state)) {
              throw SimHttpError.badRequest(
                `filter[channel_status] status must be one of ${CHANNEL_STATES.join(', ')} (got ${JSON.stringify(state)})`,
              );
            }
            return { channel, state: state as ChannelState };
          })(),
    remainingCapacity:
      remaining === undefined
        ? null
        : (() => {
            const [channel, n] = pair(remaining, 'filter[remaining_capacity]', '<channel>:<count>');
            return { channel, atLeast: integer(n, 'filter[remaining_capacity] count') };
          })(),
    selectChannel: select === undefined ? null : channelName(select, 'select_channel'),
  };
}

function pair(raw: string, name: string, shape: string): [ChannelName, string] {
  const at = raw.indexOf(':');
  if (at < 0) throw SimHttpError.badRequest(`${name} must look like ${shape} (got ${JSON.stringify(raw)})`);
  return [channelName(raw.slice(0, at), name), raw.slice(at + 1)];
}

function channelName(raw: string, name: string): ChannelName {
  if (!isChannel(raw)) {
    throw SimHttpError.badRequest(
      `${name} channel must be one of ${CHANNELS.join(', ')} (got ${JSON.stringify(raw)})`,
    );
  }
  return raw;
}

function isChannel(raw: string): raw is ChannelName {
  return (CHANNELS as readonly string[]).includes(raw);
}

function integer(raw: string, name: string): number {
  if (!/^\d+$/.test(raw))
    throw SimHttpError.badRequest(`${name} must be a non-negative integer (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

function parseAgentId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw SimHttpError.notFound(`No route matches agent id ${JSON.stringify(raw)}`);
  return Number(raw);
}

function cursorAgentId(cursor: string, name: string): number {
  const key = decodeCursor(cursor, name);
  if (!/^\d+$/.test(key)) throw SimHttpError.badRequest(`${name} is not a valid cursor`);
  return Number(key);
}
