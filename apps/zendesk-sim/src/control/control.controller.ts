import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { SimClock } from '../clock/sim.clock';
import {
  FAULT_TYPES,
  FaultInjector,
  type Fault,
  type FaultEffect,
  type FaultScope,
} from '../faults/fault.injector';
import { RateLimiter } from '../http/rate.limiter';
import { RequestLog } from '../http/request.log';
import { SimHttpError } from '../http/sim-http.error';
import {
  CHANNELS,
  CHANNEL_STATES,
  STATUS_REASONS,
  WORK_ITEM_REASONS,
  type Agent,
  type ChannelName,
} from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { BodyReader } from './body.reader';
import { Simulation } from './simulation';

/**
 * The control API for tests and demos (documented in the simulator's README). It sits outside
 * `/api/v2`: no authentication, no rate limit, no faults, and it is not in the request log.
 */
@Controller('sim')
export class ControlController {
  constructor(
    private readonly simulation: Simulation,
    private readonly clock: SimClock,
    private readonly store: AccountStore,
    private readonly limiter: RateLimiter,
    private readonly requests: RequestLog,
    private readonly faults: FaultInjector,
  ) {}

  @Get('state')
  state() {
    return {
      settings: this.simulation.settings(),
      clock: this.clockState(),
      omnichannel_routing: this.store.omnichannelRouting,
      agents: this.store.agents().length,
      rate_limit: { per_min: this.limiter.limitPerMin, used_in_window: this.limiter.used() },
      faults: this.faults.list().length,
      memory_mb: Math.round(process.memoryUsage().rss / 1_048_576),
    };
  }

  @Post('reset')
  @HttpCode(200)
  reset(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('seed', 'agents', 'activity', 'rate_limit_per_min');
    const settings = this.simulation.reset({
      seed: input.int('seed', 0, 2 ** 32 - 1),
      agentCount: input.int('agents', 1, 100_000),
      activity: input.bool('activity'),
      rateLimitPerMin: input.int('rate_limit_per_min', 1, 1_000_000),
    });
    return { settings };
  }

  // ---- clock ---------------------------------------------------------------------------------

  @Get('clock')
  getClock() {
    return this.clockState();
  }

  /** `{"frozen": true}` stops the clock, `{"now": "..."}` jumps (firing due timers), `{"frozen": false}` resumes. */
  @Put('clock')
  putClock(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('now', 'frozen');
    const now = input.time('now');
    const frozen = input.bool('frozen');
    if (frozen === true) this.clock.freeze();
    if (now !== undefined) this.clock.set(now);
    if (frozen === false) this.clock.resume();
    return this.clockState();
  }

  @Post('clock/advance')
  @HttpCode(200)
  advance(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('ms', 'seconds');
    const ms =
      input.int('ms', 0, 366 * 86_400_000) ?? (input.number('seconds', 0, 366 * 86_400) ?? NaN) * 1000;
    if (Number.isNaN(ms)) throw SimHttpError.badRequest('body.ms or body.seconds is required');
    this.clock.advance(ms);
    return this.clockState();
  }

  // ---- account -------------------------------------------------------------------------------

  @Put('rate_limit')
  putRateLimit(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('per_min');
    const perMin = input.int('per_min', 1, 1_000_000);
    if (perMin === undefined) throw SimHttpError.badRequest('body.per_min is required');
    this.simulation.setRateLimit(perMin);
    return { per_min: perMin, used_in_window: this.limiter.used() };
  }

  @Put('account')
  putAccount(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('omnichannel_routing');
    const enabled = input.bool('omnichannel_routing');
    if (enabled !== undefined) this.store.setOmnichannelRouting(enabled);
    return { omnichannel_routing: this.store.omnichannelRouting };
  }

  // ---- request log ---------------------------------------------------------------------------

  /** Requests to `/api/v2`, oldest first; `after` is the last `seq` already seen. */
  @Get('requests')
  listRequests(@Query('after') after?: string, @Query('limit') limit?: string) {
    const afterSeq = optionalQueryInt(after, 'after', 0);
    const max = optionalQueryInt(limit, 'limit', 1) ?? 100_000;
    const entries = this.requests.list(afterSeq ?? 0, max).map((e) => ({
      seq: e.seq,
      time: e.time,
      method: e.method,
      path: e.path,
      query: e.query,
      status: e.status,
      duration_ms: e.durationMs,
      identity: e.identity,
    }));
    return { requests: entries, last_seq: this.requests.lastSeq() };
  }

  @Delete('requests')
  @HttpCode(204)
  clearRequests(): void {
    this.requests.clear();
  }

  // ---- faults --------------------------------------------------------------------------------

  @Get('faults')
  listFaults() {
    return { faults: this.faults.list().map(faultJson) };
  }

  @Post('faults')
  addFault(@Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys(
      'type',
      'ms',
      'jitter_ms',
      'status',
      'hold_ms',
      'mode',
      'retry_after_s',
      'count',
      'duration_ms',
      'path_prefix',
      'method',
      'probability',
    );
    const type = input.oneOf('type', FAULT_TYPES);
    if (!type) throw SimHttpError.badRequest(`body.type is required: one of ${FAULT_TYPES.join(', ')}`);
    const effect = faultEffect(type, input);
    const duration = input.int('duration_ms', 1, 86_400_000);
    const scope: FaultScope = {
      pathPrefix: input.string('path_prefix') ?? null,
      method: input.oneOf('method', ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'] as const) ?? null,
      probability: input.number('probability', 0, 1) ?? 1,
      remaining: input.int('count', 1, 1_000_000) ?? null,
      until: duration === undefined ? null : this.clock.now() + duration,
    };
    return { fault: faultJson(this.faults.add(effect, scope)) };
  }

  @Delete('faults')
  @HttpCode(204)
  clearFaults(): void {
    this.faults.clear();
  }

  @Delete('faults/:id')
  @HttpCode(204)
  removeFault(@Param('id') id: string): void {
    if (!this.faults.remove(Number(id)))
      throw SimHttpError.notFound(`No fault with id ${JSON.stringify(id)}`);
  }

  // ---- agents --------------------------------------------------------------------------------

  /**
   * Sets an agent's state as if the agent or Zendesk had done it: `status_id` (with `reason`,
   * default AGENT_STATUS_SWITCHER), per-channel `channels`, `group_ids`.
   */
  @Put('agents/:agentId')
  putAgent(@Param('agentId') agentId: string, @Body() body: unknown) {
    const id = agentIdOf(agentId);
    this.store.requireAgent(id);
    const input = new BodyReader(body).onlyKeys('status_id', 'reason', 'channels', 'group_ids');
    const statusId = input.int('status_id', 0, Number.MAX_SAFE_INTEGER);
    const reason = input.oneOf('reason', STATUS_REASONS) ?? 'AGENT_STATUS_SWITCHER';
    const channels = input.object('channels');
    const states = new Map<ChannelName, (typeof CHANNEL_STATES)[number]>();
    for (const key of channels?.keys() ?? []) {
      if (!(CHANNELS as readonly string[]).includes(key)) {
        throw SimHttpError.badRequest(
          `body.channels.${key} is not a channel (known: ${CHANNELS.join(', ')})`,
        );
      }
      states.set(key as ChannelName, channels!.oneOf(key, CHANNEL_STATES)!);
    }
    const groupIds = input.intArray('group_ids');
    if (statusId !== undefined && !this.store.status(statusId)) {
      throw SimHttpError.badRequest(`body.status_id ${statusId} is not a status of this account`);
    }
    if (groupIds) this.store.setGroups(id, groupIds);
    if (statusId !== undefined) this.store.setUnifiedStatus(id, statusId, reason);
    for (const [channel, state] of states) this.store.setChannelStatus(id, channel, state);
    return { agent: agentJson(this.store, this.store.requireAgent(id)) };
  }

  @Get('agents/:agentId')
  getAgent(@Param('agentId') agentId: string) {
    return { agent: agentJson(this.store, this.store.requireAgent(agentIdOf(agentId))) };
  }

  @Post('agents/:agentId/work_items')
  addWorkItem(@Param('agentId') agentId: string, @Body() body: unknown) {
    const input = new BodyReader(body).onlyKeys('channel', 'id', 'reason', 'added_at');
    const channel = input.oneOf('channel', CHANNELS);
    if (!channel) throw SimHttpError.badRequest(`body.channel is required: one of ${CHANNELS.join(', ')}`);
    const item = this.store.addWorkItem(agentIdOf(agentId), channel, {
      id: input.int('id', 1, Number.MAX_SAFE_INTEGER),
      reason: input.oneOf('reason', WORK_ITEM_REASONS),
      addedAt: input.time('added_at'),
    });
    return {
      work_item: {
        id: item.id,
        channel,
        reason: item.reason,
        added_at: new Date(item.addedAt).toISOString(),
      },
    };
  }

  @Put('agents/:agentId/work_items/:channel/:itemId')
  updateWorkItem(
    @Param('agentId') agentId: string,
    @Param('channel') channel: string,
    @Param('itemId') itemId: string,
    @Body() body: unknown,
  ) {
    const reason = new BodyReader(body).onlyKeys('reason').oneOf('reason', WORK_ITEM_REASONS);
    if (!reason)
      throw SimHttpError.badRequest(`body.reason is required: one of ${WORK_ITEM_REASONS.join(', ')}`);
    const item = this.store.updateWorkItem(agentIdOf(agentId), channelOf(channel), Number(itemId), reason);
    return {
      work_item: {
        id: item.id,
        channel,
        reason: item.reason,
        added_at: new Date(item.addedAt).toISOString(),
      },
    };
  }

  @Delete('agents/:agentId/work_items/:channel/:itemId')
  @HttpCode(204)
  removeWorkItem(
    @Param('agentId') agentId: string,
    @Param('channel') channel: string,
    @Param('itemId') itemId: string,
  ) {
    this.store.removeWorkItem(agentIdOf(agentId), channelOf(channel), Number(itemId));
  }

  @Post('agents/:agentId/channels/:channel')
  addChannel(@Param('agentId') agentId: string, @Param('channel') channel: string) {
    return { agent: agentJson(this.store, this.store.addChannel(agentIdOf(agentId), channelOf(channel))) };
  }

  @Delete('agents/:agentId/channels/:channel')
  removeChannel(@Param('agentId') agentId: string, @Param('channel') channel: string) {
    return { agent: agentJson(this.store, this.store.removeChannel(agentIdOf(agentId), channelOf(channel))) };
  }

  private clockState() {
    return { now: new Date(this.clock.now()).toISOString(), frozen: this.clock.isFrozen() };
  }
}

function faultEffect(type: (typeof FAULT_TYPES)[number], input: BodyReader): FaultEffect {
  switch (type) {
    case 'latency':
      return {
        type,
        ms: input.int('ms', 0, 600_000) ?? 1000,
        jitterMs: input.int('jitter_ms', 0, 600_000) ?? 0,
      };
    case 'error':
      return { type, status: input.int('status', 500, 599) ?? 500 };
    case 'timeout':
      return { type, holdMs: input.int('hold_ms', 1, 600_000) ?? 60_000 };
    case 'outage':
      return { type, mode: input.oneOf('mode', ['reset', 'unavailable'] as const) ?? 'reset' };
    case 'rate_limit':
      return { type, retryAfterS: input.int('retry_after_s', 1, 3600) ?? 30 };
    case 'drop_webhooks':
      return { type };
  }
}

function faultJson(fault: Fault) {
  const { effect, scope } = fault;
  return {
    id: fault.id,
    ...effect,
    path_prefix: scope.pathPrefix,
    method: scope.method,
    probability: scope.probability,
    remaining: scope.remaining,
    until: scope.until === null ? null : new Date(scope.until).toISOString(),
    hits: fault.hits,
  };
}

function agentJson(store: AccountStore, agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    email: agent.email,
    time_zone: agent.timeZone.iana,
    version: agent.version,
    group_ids: agent.groupIds,
    status: { id: agent.status.id, name: store.statusName(agent.status.id), reason: agent.status.reason },
    capacity_rule_id: agent.capacityRuleId,
    channels: Object.fromEntries(
      [...agent.channels.values()].map((c) => [
        c.name,
        { status: c.status, work_items: c.workItems.map((w) => ({ id: w.id, reason: w.reason })) },
      ]),
    ),
  };
}

function agentIdOf(raw: string): number {
  if (!/^\d+$/.test(raw)) throw SimHttpError.notFound(`No agent with id ${JSON.stringify(raw)}`);
  return Number(raw);
}

function channelOf(raw: string): ChannelName {
  if (!(CHANNELS as readonly string[]).includes(raw)) {
    throw SimHttpError.notFound(`No channel named ${JSON.stringify(raw)} (known: ${CHANNELS.join(', ')})`);
  }
  return raw as ChannelName;
}

function optionalQueryInt(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw SimHttpError.badRequest(`${name} must be an integer >= ${min}`);
  return Number(raw);
}
