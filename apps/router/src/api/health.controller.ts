import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { formatProblem } from '@app/rules';
import { ZendeskClient } from '@app/zendesk';
import { AuditHealth } from '../audit/audit.health';
import { ROUTER_CONFIG } from '../config/router.tokens';
import type { RouterConfig } from '../config/router.config';
import { RuleSetWatcher } from '../rules/rule-set.watcher';
import { AgentSyncService } from '../sync/agent-sync.service';

/** A full sync older than this many resync intervals means the router's picture may be stale. */
const STALE_SYNC_INTERVALS = 3;

/**
 * `GET /health` (open, for probes), with terminus: `rules` (a set is loaded), `audit` (the store
 * takes writes) — either down makes the router `error` (503); `sync` (a full list succeeded
 * recently) and `zendesk` (the breaker is closed) make it `degraded` (200) when they are not
 * up: the router still takes webhooks and records, and catches up when Zendesk answers again.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly rules: RuleSetWatcher,
    private readonly sync: AgentSyncService,
    private readonly client: ZendeskClient,
    private readonly audit: AuditHealth,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.rulesLoaded(),
      () => this.lastSync(),
      () => this.zendesk(),
      () => this.auditStore(),
    ]);
  }

  /** Rules loaded (else error); rules naming what the account lacks make the router degraded. */
  private rulesLoaded(): HealthIndicatorResult {
    const rules = this.rules.current();
    const lacking = this.rules.accountProblems();
    const data = {
      revision: rules?.revision ?? null,
      rejectedChange: this.rules.lastProblems().length > 0,
      accountProblems: lacking.map(formatProblem),
    };
    if (!rules) return this.indicator.check('rules').down(data);
    return lacking.length > 0
      ? this.indicator.check('rules').degraded(data)
      : this.indicator.check('rules').up(data);
  }

  private lastSync(): HealthIndicatorResult {
    const age = this.sync.lastResyncAgeS();
    const data = { lastResyncAgeS: age === null ? null : Math.round(age) };
    const fresh = age !== null && age <= STALE_SYNC_INTERVALS * this.config.sync.resyncIntervalS;
    return fresh ? this.indicator.check('sync').up(data) : this.indicator.check('sync').degraded(data);
  }

  private zendesk(): HealthIndicatorResult {
    const budget = this.client.budget();
    const data = { breaker: budget.breaker, budgetRemaining: budget.remaining, queued: budget.queued };
    return budget.breaker === 'closed'
      ? this.indicator.check('zendesk').up(data)
      : this.indicator.check('zendesk').degraded(data);
  }

  /** The store takes a probe write now; else why not, since when — and no write is sent meanwhile. */
  private async auditStore(): Promise<HealthIndicatorResult> {
    const status = await this.audit.check();
    if (status.writable) return this.indicator.check('audit').up({ writable: true });
    return this.indicator.check('audit').down({
      writable: false,
      reason: status.reason,
      code: status.code,
      since: new Date(status.since!).toISOString(),
    });
  }
}
