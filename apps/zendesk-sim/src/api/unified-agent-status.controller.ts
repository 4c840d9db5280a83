import { Body, Controller, Get, Inject, Param, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { AllowedFor, callerOf } from '../http/allowed-for.guard';
import { SimHttpError } from '../http/sim-http.error';
import type { UnifiedStatus } from '../store/account.model';
import { AccountStore } from '../store/account.store';
import { StatusJobRegistry, type StatusJob } from '../store/status-job.registry';
import { isoMicros } from './availability.presenter';
import { baseUrlOf, decodeCursor, encodeCursor, idList, pageLink, pageRequest, queryParams } from './query';

const STATUSES_PATH = '/api/v2/agent_availabilities/agent_statuses';
const MAX_BULK_IDS = 100;

/** The Unified Agent Status API (section 10). */
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

  /** The statuses the calling agent may use: custom ones are limited by group. */
  @Get('me')
  @AllowedFor('agents')
  mine(@Req() req: Request) {
    this.requireOmnichannel();
    const agent = this.store.requireAgent(this.callerAgentId(req));
    const usable = this.store
      .statuses()
      .filter((s) => s.groupIds.length === 0 || s.groupIds.some((g) => agent.groupIds.includes(g)));
    return this.page(req, usable, `${STATUSES_PATH}/me`);
  }

  /** 10.6: a bulk update job. Route declared before `agents/:agentId` so `update_many` is not an id. */
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
    const statusId = this.requireStatusId(body);
    return { job_status: this.jobJson(req, this.jobs.create(ids, statusId)) };
  }

  @Put('agents/me')
  @AllowedFor('agents')
  updateMine(@Req() req: Request, @Body() body: unknown) {
    this.requireOmnichannel();
    return this.update(this.callerAgentId(req), body);
  }

  /** 10.5: one agent's status; the channels follow the status' mapping. */
  @Put('agents/:agentId')
  @AllowedFor('admins')
  updateOne(@Param('agentId') agentId: string, @Body() body: unknown) {
    this.requireOmnichannel();
    if (!/^\d+$/.test(agentId))
      throw SimHttpError.notFound(`No route matches agent id ${JSON.stringify(agentId)}`);
    return this.update(Number(agentId), body);
  }

  @Get('job_statuses/:jobId')
  @AllowedFor('admins')
  job(@Req() req: Request, @Param('jobId') jobId: string) {
    this.requireOmnichannel();
    const job = this.jobs.poll(jobId);
    if (!job) throw SimHttpError.notFound(`Job status ${jobId} was not found or has expired`);
    return { job_status: this.jobJson(req, job) };
  }

  private update(agentId: number, body: unknown) {
    const statusId = this.requireStatusId(body);
    const agent = this.store.requireAgent(agentId);
    const status = this.store.status(statusId)!;
    if (status.groupIds.length > 0 && !status.groupIds.some((g) => agent.groupIds.includes(g))) {
      throw SimHttpError.unprocessable(
        `Agent status ${statusId} is not available to agent ${agentId}'s groups`,
      );
    }
    this.store.setUnifiedStatus(agentId, statusId, 'PUBLIC_API');
    return {
      data: {
        id: `agent_availabilities|${agentId}`,
        type: 'agent_availabilities',
        attributes: {
          agent_id: agentId,
          agent_status: {
            id: status.id,
            name: status.name,
            reason: agent.status.reason,
            updated_at: isoMicros(agent.status.updatedAt),
          },
        },
      },
    };
  }

  /** Reads `{"id": n}` or `{"data": {"attributes": {"agent_status_id": "n"}}}` (10.5) and checks the status exists. */
  private requireStatusId(body: unknown): number {
    const shape =
      'send {"id": <status id>} or {"data": {"type": "agent_status", "attributes": {"agent_status_id": "<id>"}}}';
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw SimHttpError.badRequest(`The body must be a JSON object: ${shape}`);
    }
    const record = body as Record<string, unknown>;
    let raw: unknown;
    let field: string;
    if ('data' in record) {
      const data = record.data as { attributes?: Record<string, unknown> } | null;
      raw = typeof data === 'object' && data !== null ? data.attributes?.agent_status_id : undefined;
      field = 'data.attributes.agent_status_id';
    } else {
      raw = record.id;
      field = 'id';
    }
    if (raw === undefined) throw SimHttpError.badRequest(`The status id is missing: ${shape}`);
    const id =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || id < 0)
      throw SimHttpError.badRequest(`${field} must be a status id (got ${JSON.stringify(raw)})`);
    if (!this.store.status(id)) throw SimHttpError.unprocessable(`Agent status ${id} does not exist`);
    return id;
  }

  private page(req: Request, statuses: readonly UnifiedStatus[], path: string) {
    const params = queryParams(req);
    const request = pageRequest(params, 100);
    const byName = (a: UnifiedStatus, b: UnifiedStatus) =>
      a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id - b.id;
    const merged = [
      ...statuses.filter((s) => s.kind === 'default').sort(byName),
      ...statuses.filter((s) => s.kind === 'custom').sort(byName),
    ];
    const key = (s: UnifiedStatus) => `${s.kind}:${s.id}`;
    const position = (cursor: string, name: string) => {
      const at = merged.findIndex((s) => key(s) === decodeCursor(cursor, name));
      if (at < 0) throw SimHttpError.badRequest(`${name} does not point at a status of this account`);
      return at;
    };
    let start: number;
    let end: number;
    if (request.before !== null) {
      end = position(request.before, 'page[before]');
      start = Math.max(0, end - request.size);
    } else {
      start = request.after === null ? 0 : position(request.after, 'page[after]') + 1;
      end = Math.min(merged.length, start + request.size);
    }
    const shown = merged.slice(start, end);
    const base = baseUrlOf(req, this.config.publicUrl);
    const links: Record<string, string> = {};
    const first = shown[0];
    const last = shown[shown.length - 1];
    if (end < merged.length && last)
      links.next = pageLink(base, path, params, { name: 'page[after]', value: encodeCursor(key(last)) });
    if (start > 0 && first)
      links.prev = pageLink(base, path, params, { name: 'page[before]', value: encodeCursor(key(first)) });
    return {
      default: shown.filter((s) => s.kind === 'default').map(statusJson),
      custom: shown.filter((s) => s.kind === 'custom').map(statusJson),
      links,
      meta: { has_more: end < merged.length },
    };
  }

  private jobJson(req: Request, job: StatusJob) {
    return {
      id: job.id,
      url: `${baseUrlOf(req, this.config.publicUrl)}${STATUSES_PATH}/job_statuses/${job.id}`,
      status: job.status,
      message:
        job.completedAt === null
          ? null
          : `Completed at ${new Date(job.completedAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
      total: job.agentIds.length,
      progress: job.results.length,
      results: job.results.map((r) => ({
        action: 'update',
        agent_id: r.agentId,
        status: r.status,
        completed_at: new Date(r.completedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(r.error === null ? {} : { error: r.error }),
      })),
    };
  }

  private callerAgentId(req: Request): number {
    const caller = callerOf(req);
    if (caller.agentId === null)
      throw SimHttpError.notFound(`${caller.email} has no agent availability record`);
    return caller.agentId;
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

/** Default statuses show no channel mapping in the API (10.1); custom ones do (10.2). */
function statusJson(status: UnifiedStatus) {
  if (status.kind === 'default') {
    return {
      id: status.id,
      type: 'agent_status',
      attributes: { name: status.name, description: status.description },
    };
  }
  return {
    id: status.id,
    type: 'agent_status',
    updated_at: new Date(status.updatedAt).toISOString(),
    attributes: {
      name: status.name,
      description: status.description,
      channels: { ...status.channels },
      group_ids: [...status.groupIds],
    },
  };
}
