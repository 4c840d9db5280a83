import { Body, Controller, Get, Inject, Param, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AllowedFor, callerOf } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import type { Agent, UnifiedStatus } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { StatusJobRegistry } from '../store/status-job.registry';
import { baseUrlOf, decodeCursor, encodeCursor, idList, pageLink, pageRequest, queryParams } from './query';
import { agentStatusJson, jobStatusJson, orderStatuses, statusJson } from './unified-status.presenter';

const STATUSES_PATH = '/api/v2/agent_availabilities/agent_statuses';
const PAGE_SIZE_DEFAULT = 100;
const MAX_BULK_IDS = 100;
const BODY_SHAPE =
  'send {"id": <status id>} or {"data": {"type": "agent_status", "attributes": {"agent_status_id": "<id>"}}}';

/**
 * The Unified Agent Status API (section 10). Every request is checked in full before the store is
 * touched, in the order path (404), body (400), meaning (422), so a refused request never changes
 * an agent. Writes to the status list itself have no route and get Nest's 404 (10.1).
 */
@Controller('api/v2/agent_availabilities/agent_statuses')
export class UnifiedAgentStatusController {
  constructor(
    private readonly store: AccountStore,
    private readonly jobs: StatusJobRegistry,
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
  ) {}

  /** 10.3: default and custom statuses, each sorted by name, paginated over the merged list. */
  @Get()
  @AllowedFor('admins')
  list(@Req() req: Request) {
    this.requireOmnichannel();
    return this.page(req, this.store.statuses(), STATUSES_PATH);
  }

  /** 10.3: the statuses the calling agent may take; custom ones are limited by group. */
  @Get('me')
  @AllowedFor('agents')
  mine(@Req() req: Request) {
    this.requireOmnichannel();
    const agent = this.store.requireAgent(callerAgentId(req));
    const usable = this.store.statuses().filter((status) => usableBy(status, agent));
    return this.page(req, usable, `${STATUSES_PATH}/me`);
  }

  /** 10.6: queues a bulk update. Declared before `agents/:agentId` so `update_many` is not an id. */
  @Put('agents/update_many')
  @AllowedFor('admins')
  updateMany(@Req() req: Request, @Body() body: unknown) {
    this.requireOmnichannel();
    const rawIds = queryParams(req).get('ids');
    if (rawIds === undefined)
      throw SimHttpError.badRequest('ids is required: a comma-separated list of agent ids');
    const ids = idList(rawIds, 'ids');
    if (ids.length > MAX_BULK_IDS)
      throw SimHttpError.badRequest(`ids accepts at most ${MAX_BULK_IDS} agent ids (got ${ids.length})`);
    // Agents are checked per item when the job runs (10.6 results); only the status is shared.
    const status = this.requireStatus(statusIdOf(body));
    const job = this.jobs.create(ids, status.id);
    return jobStatusJson(job, this.jobUrl(req, job.id));
  }

  /** 10.5: the caller's own status. */
  @Put('agents/me')
  @AllowedFor('agents')
  updateMine(@Req() req: Request, @Body() body: unknown) {
    this.requireOmnichannel();
    return this.update(callerAgentId(req), body);
  }

  /** 10.5: one agent's status; the agent's channels follow the status' mapping. */
  @Put('agents/:agentId')
  @AllowedFor('admins')
  updateOne(@Param('agentId') agentId: string, @Body() body: unknown) {
    this.requireOmnichannel();
    if (!/^\d+$/.test(agentId))
      throw SimHttpError.notFound(`No route matches agent id ${JSON.stringify(agentId)}`);
    return this.update(Number(agentId), body);
  }

  /** 10.6: a bulk update job, kept for a day after creation. */
  @Get('job_statuses/:jobId')
  @AllowedFor('admins')
  job(@Req() req: Request, @Param('jobId') jobId: string) {
    this.requireOmnichannel();
    const job = this.jobs.poll(jobId);
    if (!job) throw SimHttpError.notFound(`Job status ${jobId} was not found or has expired`);
    return jobStatusJson(job, this.jobUrl(req, job.id));
  }

  private update(agentId: number, body: unknown) {
    const agent = this.store.requireAgent(agentId);
    const status = this.requireStatus(statusIdOf(body));
    if (!usableBy(status, agent)) {
      throw SimHttpError.unprocessable(
        `Agent status ${status.id} is not available to agent ${agentId}'s groups`,
      );
    }
    this.store.setUnifiedStatus(agentId, status.id, 'PUBLIC_API');
    return agentStatusJson(agent, status);
  }

  private requireStatus(id: number): UnifiedStatus {
    const status = this.store.status(id);
    if (!status) throw SimHttpError.unprocessable(`Agent status ${id} does not exist`);
    return status;
  }

  private page(req: Request, statuses: readonly UnifiedStatus[], path: string) {
    const params = queryParams(req);
    const request = pageRequest(params, PAGE_SIZE_DEFAULT);
    const ordered = orderStatuses(statuses);
    // The cursor names the status rather than its position, so a link stays on the same status.
    const key = (s: UnifiedStatus) => `${s.kind}:${s.id}`;
    const position = (cursor: string, name: 'page[after]' | 'page[before]') => {
      const target = decodeCursor(cursor, name);
      const at = ordered.findIndex((s) => key(s) === target);
      if (at < 0) throw SimHttpError.badRequest(`${name} does not point at a status of this list`);
      return at;
    };
    let start: number;
    let end: number;
    if (request.before !== null) {
      end = position(request.before, 'page[before]');
      start = Math.max(0, end - request.size);
    } else {
      start = request.after === null ? 0 : position(request.after, 'page[after]') + 1;
      end = Math.min(ordered.length, start + request.size);
    }
    const shown = ordered.slice(start, end);
    const base = baseUrlOf(req, this.config.publicUrl);
    const links: Record<string, string> = {};
    const first = shown[0];
    const last = shown[shown.length - 1];
    if (end < ordered.length && last)
      links.next = pageLink(base, path, params, { name: 'page[after]', value: encodeCursor(key(last)) });
    if (start > 0 && first)
      links.prev = pageLink(base, path, params, { name: 'page[before]', value: encodeCursor(key(first)) });
    return {
      default: shown.filter((s) => s.kind === 'default').map(statusJson),
      custom: shown.filter((s) => s.kind === 'custom').map(statusJson),
      links,
      meta: { has_more: end < ordered.length },
    };
  }

  private jobUrl(req: Request, jobId: string): string {
    return `${baseUrlOf(req, this.config.publicUrl)}${STATUSES_PATH}/job_statuses/${jobId}`;
  }

  private requireOmnichannel(): void {
    if (!this.store.omnichannelRouting) {
      throw SimHttpError.forbidden(
        'Omnichannel routing is not enabled for this account',
        'OmnichannelRoutingDisabled',
      );
    }
  }
}

/** A custom status limited to groups is for their members only; empty `group_ids` is everyone (10.2). */
function usableBy(status: UnifiedStatus, agent: Agent): boolean {
  return status.groupIds.length === 0 || status.groupIds.some((g) => agent.groupIds.includes(g));
}

function callerAgentId(req: Request): number {
  const caller = callerOf(req);
  if (caller.agentId === null)
    throw SimHttpError.notFound(`${caller.email} has no agent availability record`);
  return caller.agentId;
}

/** The status id of either body form of 10.5, as a string or a number; anything else is a 400. */
function statusIdOf(body: unknown): number {
  if (!isRecord(body)) throw SimHttpError.badRequest(`The body must be a JSON object: ${BODY_SHAPE}`);
  let raw: unknown;
  let field: string;
  if ('data' in body) {
    const data = body.data;
    if (!isRecord(data)) throw SimHttpError.badRequest(`data must be an object: ${BODY_SHAPE}`);
    if (data.type !== undefined && data.type !== 'agent_status') {
      throw SimHttpError.badRequest(`data.type must be "agent_status" (got ${JSON.stringify(data.type)})`);
    }
    if (!isRecord(data.attributes))
      throw SimHttpError.badRequest(`data.attributes must be an object: ${BODY_SHAPE}`);
    raw = data.attributes.agent_status_id;
    field = 'data.attributes.agent_status_id';
  } else {
    raw = body.id;
    field = 'id';
  }
  if (raw === undefined || raw === null) throw SimHttpError.badRequest(`${field} is missing: ${BODY_SHAPE}`);
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1)
    throw SimHttpError.badRequest(
      `${field} must be a positive integer status id (got ${JSON.stringify(raw)})`,
    );
  return id;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
