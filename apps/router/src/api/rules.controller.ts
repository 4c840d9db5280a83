import { Controller, Get, HttpException, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { formatProblem, type ChangeInForce, type PlannerState, type Rule } from '@app/rules';
import type { CapacityRule } from '@app/zendesk';
import { AuditStore, type DecisionOutcome, type RuleOutcomeCount } from '../audit/audit.store';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { RuleSetWatcher } from '../rules/rule-set.watcher';
import { ApiTokenGuard } from './api-token.guard';
import { OUTCOMES } from './router-api.dto';
import { CapacityRulesQuery, RuleStatsQuery } from './rules.dto';
import { SESSION_COOKIE } from './session.store';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Decisions by outcome, every outcome present (0 when none). */
type OutcomeCounts = Record<DecisionOutcome, number>;

/**
 * What the rules are doing, for people watching them: per-rule statistics from the audit log and
 * the planner, and the account's capacity rules with what the router changed. Nothing is changed.
 */
@Controller('api')
@ApiTags('router')
@ApiBearerAuth()
@ApiCookieAuth(SESSION_COOKIE)
@UseGuards(ApiTokenGuard)
export class RulesController {
  constructor(
    private readonly audit: AuditStore,
    private readonly rules: RuleSetWatcher,
    private readonly pipeline: PipelineRunner,
  ) {}

  /**
   * Every rule of the live set with its decisions in the last hour and day by outcome, when it
   * last fired (applied or shadow), its pending `for` timers and the reversible changes it holds
   * in force; with the set's revision, load time and the last rejected change.
   */
  @Get('rules/stats')
  @ApiOkResponse({ description: 'The live rule set, rule by rule, with its statistics' })
  @ApiNotFoundResponse({ description: '`rule` names no rule of the live set' })
  async stats(@Query() query: RuleStatsQuery) {
    const set = this.rules.current();
    const rules = (set?.rules ?? []).filter((r) => query.rule === undefined || r.name === query.rule);
    if (query.rule !== undefined && rules.length === 0)
      throw new HttpException(
        { error: 'not_found', message: `rule ${JSON.stringify(query.rule)} is not in the live rule set` },
        404,
      );
    const now = Date.now();
    const [lastHour, lastDay, fired, planner] = await Promise.all([
      this.audit.countByRule(now - HOUR_MS, now + 1),
      this.audit.countByRule(now - DAY_MS, now + 1),
      this.audit.lastFired(rules.map((r) => r.name)),
      this.audit.state('planner'),
    ]);
    const problems = this.rules.lastProblems();
    const rejectedAt = this.rules.rejectionTime();
    const loadedAt = this.rules.loadTime();
    return {
      at: iso(now),
      revision: set?.revision ?? null,
      timeZone: set?.timeZone ?? null,
      loadedAt: loadedAt === null ? null : iso(loadedAt),
      rules: rules.map((rule) => ({
        name: rule.name,
        kind: rule.kind,
        mode: rule.mode,
        enabled: rule.enabled,
        priority: rule.priority,
        scope: rule.scope,
        hits: { lastHour: outcomes(lastHour, rule.name), lastDay: outcomes(lastDay, rule.name) },
        lastFired: fired[rule.name] === undefined ? null : iso(fired[rule.name]!),
        pending: pendingTimers(planner, rule, now),
        holds: holds(planner, rule.name),
        source: rule.source,
      })),
      rejectedChange:
        problems.length === 0
          ? null
          : {
              at: rejectedAt === null ? null : iso(rejectedAt),
              problems: problems.map((p) => ({ ...p, position: formatProblem(p) })),
            },
    };
  }

  /**
   * The account's capacity rules as the router last read them from Zendesk (or wrote them), each
   * with the change the router made and has not put back: the rule that made it, when, and the
   * baseline it goes back to.
   */
  @Get('capacity-rules')
  @ApiOkResponse({ description: 'Capacity rules: current capacities, and baselines of changed ones' })
  async capacityRules(@Query() query: CapacityRulesQuery) {
    const [baselines, planner] = await Promise.all([
      this.audit.state('baselines'),
      this.audit.state('planner'),
    ]);
    const listed = this.pipeline
      .currentCapacityRules()
      .map((rule) =>
        capacityRuleJson(rule, baselines?.[rule.name], planner?.changes[`capacity:${rule.name}`]),
      )
      .filter(
        (r) => query.changed === undefined || (r.changedByRouter !== null) === (query.changed === 'true'),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    return { capacityRules: listed };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function outcomes(counts: readonly RuleOutcomeCount[], rule: string): OutcomeCounts {
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;
  for (const c of counts) if (c.rule === rule) byOutcome[c.outcome] = c.count;
  return byOutcome;
}

/** The targets whose `for` timer for `rule` is running: matching, not yet for long enough. */
function pendingTimers(planner: PlannerState | undefined, rule: Rule, now: number) {
  const suffix = `|${rule.name}`;
  const since = Object.entries(planner?.pendingSince ?? {})
    .filter(([key, from]) => key.endsWith(suffix) && now - from < rule.forMs)
    .map(([, from]) => from);
  return { targets: since.length, oldestSince: since.length === 0 ? null : iso(Math.min(...since)) };
}

/**
 * The reversible changes `rule` holds in force, and how many of them are only kept (its condition
 * ended; `keepFor` or `release` decides when they go back).
 */
function holds(planner: PlannerState | undefined, rule: string) {
  const changes = Object.values(planner?.changes ?? {}).filter((c) => c.rule === rule);
  return {
    targets: changes.length,
    kept: changes.filter((c) => c.endedAt !== undefined).length,
    oldestSince: changes.length === 0 ? null : iso(Math.min(...changes.map((c) => c.since))),
  };
}

function capacityRuleJson(
  rule: CapacityRule,
  baseline: Partial<Record<string, number>> | undefined,
  change: ChangeInForce | undefined,
) {
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    isDefault: rule.isDefault,
    capacities: rule.capacities,
    assigneeCount: rule.assigneeCount,
    updatedAt: rule.updatedAt?.toISOString() ?? null,
    changedByRouter:
      baseline === undefined
        ? null
        : {
            baseline,
            // A change adopted after a restart, or one whose rule is gone, names no rule.
            rule: change && change.rule !== '' ? change.rule : null,
            since: change && change.since > 0 ? iso(change.since) : null,
          },
  };
}
