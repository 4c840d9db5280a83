import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { LiveEvents } from './live.events';
import {
  ACTIONS,
  DEFAULT_STATUSES,
  describeAction,
  describeStanding,
  formatExplanation,
  givenFactProblem,
  type RuleExplanation,
} from '@app/rules';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AuditStore, type ControlRecord } from '../audit/audit.store';
import { factsBoundProblem, parseIsoTime } from './api-input.bounds';
import { DecisionsQuery, ExplainRequest, PauseRequest } from './router-api.dto';
import { PauseNotStoredError, PauseSwitch } from '../safety/pause.switch';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { RuleSetWatcher } from '../rules/rule-set.watcher';
import { AgentStateCache } from '../sync/agent-state.cache';
import { ApiTokenGuard, badRequest, type AuthedRequest } from './api-token.guard';
import { SESSION_COOKIE } from './session.store';

/** The router's API (bearer token): agents, decisions, rules, explanations, pause and resume. */
@Controller('api')
@ApiTags('router')
@ApiBearerAuth()
@ApiCookieAuth(SESSION_COOKIE)
@UseGuards(ApiTokenGuard)
export class RouterApiController {
  constructor(
    private readonly cache: AgentStateCache,
    private readonly audit: AuditStore,
    private readonly rules: RuleSetWatcher,
    private readonly pipeline: PipelineRunner,
    private readonly pause: PauseSwitch,
    private readonly live: LiveEvents,
  ) {}

  /**
   * Server-Sent Events: `decision` for every recorded decision, `agent` for every agent change.
   * A client that does not read what is sent is dropped (see `LIVE_STREAM_MAX_BUFFERED_BYTES`).
   */
  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'A stream of `decision` and `agent` events' })
  stream(@Req() req: Request, @Res() res: Response): void {
    this.live.serve(req, res);
  }

  /** One agent as the router sees it: its facts, where each rule stands for it and why, and its last decisions. */
  @Get('agents/:agentId')
  async agent(@Param('agentId') raw: string) {
    const agentId = agentIdOf(raw, 'agentId');
    const agent = this.cache.get(agentId);
    if (!agent) throw notInView(agentId);
    const explained = await this.pipeline.evaluation().explain(agentId);
    return {
      agent: {
        id: agent.agentId,
        version: agent.version,
        status: agent.status,
        groupIds: agent.groupIds,
        channels: agent.channels.map((c) => ({ ...c, workItems: undefined })),
      },
      facts: explained?.facts ?? {},
      rules: (explained?.rules ?? []).map(ruleJson),
      decisions: (await this.audit.decisions({ agentId, limit: 10 })).decisions,
    };
  }

  /** Decisions, newest first: filter by agent_id, rule, outcome, from, to (ISO 8601, see `parseIsoTime`); page with `before`. */
  @Get('decisions')
  @ApiOkResponse({ description: 'A page of decisions and the cursor for the next one' })
  async decisions(@Query() query: DecisionsQuery) {
    const page = await this.audit.decisions({
      agentId: query.agent_id,
      rule: query.rule,
      outcome: query.outcome,
      from: query.from === undefined ? undefined : parseIsoTime(query.from, { dateOnly: true })!,
      to: query.to === undefined ? undefined : parseIsoTime(query.to, { dateOnly: true })!,
      before: query.before,
      limit: query.limit,
    });
    return { decisions: page.decisions, next_before: page.nextBefore };
  }

  /** The live rule set, the problems of the last rejected change, and what the account lacks for it. */
  @Get('rules')
  ruleSet() {
    const set = this.rules.current();
    return {
      revision: set?.revision ?? null,
      timeZone: set?.timeZone ?? null,
      rules: (set?.rules ?? []).map((r) => ({
        name: r.name,
        kind: r.kind,
        mode: r.mode,
        enabled: r.enabled,
        priority: r.priority,
        forMs: r.forMs,
        cooldownMs: r.cooldownMs,
        ...(ACTIONS[r.then.type].reversible ? { keepForMs: r.keepForMs, release: r.release } : {}),
        action: describeAction(r.then),
        source: r.source,
      })),
      rejectedChange: this.rules.lastProblems(),
      accountProblems: this.rules.accountProblems(),
    };
  }

  /**
   * Explains the rules, acting on nothing: for a live agent (`{"agent_id": n}`), for the live
   * account's capacity rules (`{"account": true}`), or for facts you supply (what-if:
   * `{"facts": {...}, "groups": [...], "at": "2026-11-23T10:00:00+01:00"}`, with `"scope":
   * "account"` for account facts). Each rule comes with where the planner stands.
   */
  @Post('explain')
  @HttpCode(200)
  async explain(@Body() input: ExplainRequest) {
    const evaluation = this.pipeline.evaluation();
    const ruleSet = evaluation.ruleSet;
    if (!ruleSet) throw new HttpException({ error: 'unavailable', message: 'no rules are loaded' }, 503);
    if (input.agent_id !== undefined && input.facts === undefined) {
      const explained = await evaluation.explain(input.agent_id);
      if (!explained) throw notInView(input.agent_id);
      return { facts: explained.facts, rules: explained.rules.map(ruleJson) };
    }
    if (input.account === true && input.facts === undefined) {
      const targets = (await evaluation.explainAccount()) ?? [];
      return { targets: targets.map((t) => ({ target: t.target, rules: t.rules.map(ruleJson) })) };
    }
    if (!input.facts)
      throw badRequest('facts', 'an object of fact values (or give agent_id, or account: true)', input.facts);
    const bound = factsBoundProblem(input.facts);
    if (bound) throw new HttpException({ error: 'bad_request', message: bound }, 400);
    const scope = input.scope ?? 'agent';
    const statuses = new Set<string>([...DEFAULT_STATUSES, ...ruleSet.customStatuses]);
    for (const [name, value] of Object.entries(input.facts)) {
      const problem = givenFactProblem(name, value, scope, statuses);
      if (!problem) continue;
      // Time facts come from `at`: say so where the caller can act on it.
      const hint = /^(localTime|calendar)\./.test(name) ? ' (give at instead)' : '';
      throw new HttpException(
        { error: 'bad_request', message: `facts.${name}: ${problem.message}${hint}` },
        400,
      );
    }
    const at = input.at === undefined ? Date.now() : parseIsoTime(input.at, { dateOnly: false })!;
    const targets = await evaluation.whatIf({
      scope,
      facts: input.facts,
      agent: { id: input.agent_id ?? 0, groups: input.groups ?? [] },
      at,
    });
    const time = new Date(at).toISOString();
    // An agent's what-if has one target: its rules, as for a live agent.
    if (scope === 'agent') return { at: time, rules: (targets[0]?.rules ?? []).map(ruleJson) };
    return { at: time, targets: targets.map((t) => ({ target: t.target, rules: t.rules.map(ruleJson) })) };
  }

  /** Whether the router is paused, since when, by whom and why, and the last pauses and resumes (the audit log's). */
  @Get('pause')
  @ApiOkResponse({ description: 'The pause in force (since, by, reason) and the last 20 pauses and resumes' })
  async pauseState() {
    const inForce = this.pause.inForce();
    return {
      paused: this.pause.isPaused(),
      since: inForce ? new Date(inForce.time).toISOString() : null,
      by: inForce?.by ?? null,
      reason: inForce?.reason ?? null,
      history: (await this.audit.controls(20)).map((c) => ({ id: c.id, ...controlJson(c) })),
    };
  }

  /**
   * Stops every change until resumed (decisions are still made and recorded as suppressed).
   * Survives restarts. The reason, who asked (bearer token or session) and when go to the audit log.
   */
  @Post('pause')
  @HttpCode(200)
  async pauseAll(@Body() body: PauseRequest, @Req() req: AuthedRequest) {
    await this.setPause(true, body, req);
    return { paused: true };
  }

  @Post('resume')
  @HttpCode(200)
  async resume(@Body() body: PauseRequest, @Req() req: AuthedRequest) {
    await this.setPause(false, body, req);
    return { paused: false };
  }

  /** A pause or resume the store could not record is a 503 saying what is in force. */
  private async setPause(paused: boolean, body: PauseRequest, req: AuthedRequest): Promise<void> {
    try {
      // The guard sets the caller; an empty reason is no reason.
      await this.pause.set(paused, req.caller!, body.reason?.trim() || null);
    } catch (error) {
      if (!(error instanceof PauseNotStoredError)) throw error;
      throw new HttpException(
        { error: 'not_stored', message: error.message, paused: this.pause.isPaused() },
        503,
      );
    }
  }
}

/** One rule explained: whether it matches (each condition with the value seen) and where the planner stands. */
function ruleJson(rule: RuleExplanation) {
  // Outside its scope or disabled, a rule's conditions say nothing about this target.
  const evaluated = rule.applies;
  return {
    rule: rule.rule.name,
    mode: rule.rule.mode,
    applies: rule.applies,
    matched: rule.matched,
    shadow: rule.shadow,
    standing: rule.standing,
    explanation: evaluated ? rule.explanation : null,
    ...(rule.releaseExplanation !== undefined ? { releaseExplanation: rule.releaseExplanation } : {}),
    why: [describeStanding(rule.standing), ...(evaluated ? formatExplanation(rule.explanation) : [])],
  };
}

/** A pause or resume as the API shows it: ISO time, who, why. */
function controlJson(c: ControlRecord) {
  return { time: new Date(c.time).toISOString(), action: c.action, by: c.by, reason: c.reason };
}

function notInView(agentId: number): HttpException {
  return new HttpException(
    { error: 'not_found', message: `agent ${agentId} is not in the router's view (yet)` },
    404,
  );
}

function agentIdOf(raw: string, field: string): number {
  return positiveInt(raw, field, Number.MAX_SAFE_INTEGER);
}

function positiveInt(raw: string, field: string, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max)
    throw badRequest(field, `a whole number from 1 to ${max}`, raw);
  return value;
}
