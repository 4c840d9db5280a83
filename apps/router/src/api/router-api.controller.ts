import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Param,
  Post,
  Query,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { LiveEvents } from './live.events';
import { formatExplanation, type RuleEvaluation } from '@app/rules';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuditStore } from '../audit/audit.store';
import { DecisionsQuery, ExplainRequest } from './router-api.dto';
import { PauseSwitch } from '../pipeline/pause.switch';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { RuleSetWatcher } from '../rules/rule-set.watcher';
import { AgentStateCache } from '../sync/agent-state.cache';
import { ApiTokenGuard, badRequest } from './api-token.guard';

/** The router's API (bearer token): agents, decisions, rules, explanations, pause and resume. */
@Controller('api')
@ApiTags('router')
@ApiBearerAuth()
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

  /** Server-Sent Events: `decision` for every recorded decision, `agent` for every agent change. */
  @Sse('stream')
  stream(): Observable<MessageEvent> {
    return this.live.events$.pipe(map((event) => ({ type: event.type, data: event })));
  }

  /** One agent as the router sees it: its current facts, why each rule does or does not match, and its last decisions. */
  @Get('agents/:agentId')
  async agent(@Param('agentId') raw: string) {
    const agentId = agentIdOf(raw, 'agentId');
    const agent = this.cache.get(agentId);
    if (!agent)
      throw new HttpException(
        { error: 'not_found', message: `agent ${agentId} is not in the router's view (yet)` },
        404,
      );
    const explained = await this.pipeline.current()?.explain(agentId);
    return {
      agent: {
        id: agent.agentId,
        version: agent.version,
        status: agent.status,
        groupIds: agent.groupIds,
        channels: agent.channels.map((c) => ({ ...c, workItems: undefined })),
      },
      facts: explained?.facts ?? {},
      rules: (explained?.evaluations ?? []).map(ruleJson),
      decisions: this.audit.decisions({ agentId, limit: 10 }).decisions,
    };
  }

  /** Decisions, newest first: filter by agent_id, rule, outcome, from, to (ISO); page with `before`. */
  @Get('decisions')
  @ApiOkResponse({ description: 'A page of decisions and the cursor for the next one' })
  decisions(@Query() query: DecisionsQuery) {
    const page = this.audit.decisions({
      agentId: query.agent_id,
      rule: query.rule,
      outcome: query.outcome,
      from: query.from === undefined ? undefined : Date.parse(query.from),
      to: query.to === undefined ? undefined : Date.parse(query.to),
      before: query.before,
      limit: query.limit,
    });
    return { decisions: page.decisions, next_before: page.nextBefore };
  }

  /** The live rule set and the problems of the last rejected change, if any. */
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
        source: r.source,
      })),
      rejectedChange: this.rules.lastProblems(),
    };
  }

  /** Explains the rules for a live agent (`{"agent_id": n}`) or for supplied facts (`{"facts": {...}, "groups": [...]}`); acts on nothing. */
  @Post('explain')
  @HttpCode(200)
  async explain(@Body() input: ExplainRequest) {
    const pass = this.pipeline.current();
    if (!pass) throw new HttpException({ error: 'unavailable', message: 'no rules are loaded' }, 503);
    if (input.agent_id !== undefined) {
      const explained = await pass.explain(input.agent_id);
      if (!explained) {
        throw new HttpException(
          { error: 'not_found', message: `agent ${input.agent_id} is not in the router's view (yet)` },
          404,
        );
      }
      return { facts: explained.facts, rules: explained.evaluations.map(ruleJson) };
    }
    if (!input.facts) throw badRequest('facts', 'an object of fact values (or give agent_id)', input.facts);
    return { rules: (await pass.explainFacts(input.groups ?? [], input.facts)).map(ruleJson) };
  }

  @Get('pause')
  pauseState() {
    return { paused: this.pause.isPaused() };
  }

  /** Stops every change until resumed (decisions are still made and recorded as suppressed). Survives restarts. */
  @Post('pause')
  @HttpCode(200)
  pauseAll() {
    this.pause.set(true);
    return { paused: true };
  }

  @Post('resume')
  @HttpCode(200)
  resume() {
    this.pause.set(false);
    return { paused: false };
  }
}

function ruleJson(evaluation: RuleEvaluation) {
  return {
    rule: evaluation.rule.name,
    applies: evaluation.applies,
    matched: evaluation.matched,
    explanation: evaluation.explanation,
    why: formatExplanation(evaluation.explanation),
  };
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
