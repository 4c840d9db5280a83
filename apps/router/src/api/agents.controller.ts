import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AgentAvailability } from '@app/zendesk';
import { AgentActivity, type AgentDecisionRef } from '../audit/agent-activity';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import type { PendingTimer } from '../pipeline/evaluation.pass';
import { AgentDirectory } from '../sync/agent-directory';
import { AgentStateCache } from '../sync/agent-state.cache';
import { ApiTokenGuard } from './api-token.guard';
import { AgentsPageJson, AgentsQuery, type AgentRowJson, type AgentSort } from './agents.dto';

const DEFAULT_LIMIT = 100;

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** An agent with what the list filters and sorts it by, before it is turned into JSON. */
interface AgentRow {
  agent: AgentAvailability;
  name: string | null;
  statusSince: number | null;
}

/**
 * Every agent in the router's view, for the dashboard: who it is (Users API), where it is
 * (unified and channel statuses, work and capacity), and what the router did or waits to do
 * about it. Answered from memory — the cache, the agent directory, the last decision of each
 * agent and the planner — so a page costs the same at 10,000 agents whatever the audit log holds.
 */
@Controller('api')
@ApiTags('router')
@ApiBearerAuth()
@UseGuards(ApiTokenGuard)
export class AgentsController {
  constructor(
    private readonly cache: AgentStateCache,
    private readonly directory: AgentDirectory,
    private readonly activity: AgentActivity,
    private readonly pipeline: PipelineRunner,
  ) {}

  /**
   * A page of agents, filtered by group, unified status name, the rule that last acted on them
   * and whether the router changed them recently; sorted by id, name, status or time in status.
   */
  @Get('agents')
  @ApiOkResponse({ type: AgentsPageJson, description: 'One page of agents and how many match' })
  @ApiBadRequestResponse({ description: 'A query parameter is not valid; the message names it' })
  async agents(@Query() query: AgentsQuery): Promise<AgentsPageJson> {
    await this.activity.ready();
    const now = Date.now();
    const status = query.status?.toLowerCase();
    const changedAfter = query.changed_within_s === undefined ? null : now - query.changed_within_s * 1000;
    const rows: AgentRow[] = [];
    for (const agent of this.cache.all()) {
      if (query.group_id !== undefined && !agent.groupIds.includes(query.group_id)) continue;
      if (status !== undefined && agent.status?.name.toLowerCase() !== status) continue;
      if (query.rule !== undefined || changedAfter !== null) {
        const seen = this.activity.of(agent.agentId, now);
        if (query.rule !== undefined && seen.lastAction?.rule !== query.rule) continue;
        if (changedAfter !== null && !(seen.lastChange && seen.lastChange.time >= changedAfter)) continue;
      }
      rows.push({
        agent,
        name: this.directory.get(agent.agentId)?.name ?? null,
        statusSince: agent.status?.updatedAt?.getTime() ?? null,
      });
    }
    rows.sort(comparator(query.sort ?? 'id'));
    const offset = query.offset ?? 0;
    const limit = query.limit ?? DEFAULT_LIMIT;
    const page = rows.slice(offset, offset + limit);
    const timers = this.pipeline.evaluation().pendingTimers(now);
    return {
      total: rows.length,
      offset,
      limit,
      nextOffset: offset + limit < rows.length ? offset + limit : null,
      namesPending: this.directory.counts().unknown,
      agents: page.map((row) => this.rowJson(row, now, timers.get(row.agent.agentId) ?? [])),
    };
  }

  private rowJson(row: AgentRow, now: number, timers: readonly PendingTimer[]): AgentRowJson {
    const { agent } = row;
    const identity = this.directory.get(agent.agentId);
    const seen = this.activity.of(agent.agentId, now);
    return {
      id: agent.agentId,
      name: identity?.name ?? null,
      email: identity?.email ?? null,
      timeZone: identity?.timeZone ?? null,
      groupIds: agent.groupIds,
      status: agent.status?.name ?? null,
      statusId: agent.status?.id ?? null,
      statusSince: row.statusSince === null ? null : new Date(row.statusSince).toISOString(),
      timeInStatusS:
        row.statusSince === null ? null : Math.max(0, Math.floor((now - row.statusSince) / 1000)),
      channels: agent.channels.map((c) => ({
        name: c.name,
        status: c.status,
        updatedAt: c.updatedAt?.toISOString() ?? null,
        workItems: c.workItemCount,
        capacity: c.maxCapacity,
      })),
      lastAction: decisionJson(seen.lastAction),
      lastChange: decisionJson(seen.lastChange),
      hold: decisionJson(seen.hold),
      pending: timers.map((t) => ({
        rule: t.rule,
        since: new Date(t.since).toISOString(),
        firesAt: new Date(t.firesAt).toISOString(),
      })),
    };
  }
}

function decisionJson(ref: AgentDecisionRef | null) {
  if (!ref) return null;
  return {
    rule: ref.rule,
    outcome: ref.outcome,
    time: new Date(ref.time).toISOString(),
    reason: ref.reason,
    until: ref.until === null ? null : new Date(ref.until).toISOString(),
  };
}

/**
 * The order of `sort`; ties (and agents without the sorted value, which go last either way) by id.
 * Time in status ascending is the newest status first.
 */
function comparator(sort: AgentSort): (a: AgentRow, b: AgentRow) => number {
  const descending = sort.startsWith('-');
  const key = descending ? sort.slice(1) : sort;
  const byId = (a: AgentRow, b: AgentRow) => a.agent.agentId - b.agent.agentId;
  const nullsLast = <T>(get: (row: AgentRow) => T | null, compare: (x: T, y: T) => number) => {
    return (a: AgentRow, b: AgentRow): number => {
      const x = get(a);
      const y = get(b);
      if (x === null || y === null) return x === y ? byId(a, b) : x === null ? 1 : -1;
      return (descending ? compare(y, x) : compare(x, y)) || byId(a, b);
    };
  };
  switch (key) {
    case 'name':
      return nullsLast((r) => r.name, collator.compare);
    case 'status':
      return nullsLast((r) => r.agent.status?.name ?? null, collator.compare);
    case 'time_in_status':
      // Longer in status = earlier since: ascending time in status is descending `since`.
      return nullsLast(
        (r) => r.statusSince,
        (x, y) => y - x,
      );
    default:
      return descending ? (a, b) => byId(b, a) : byId;
  }
}
