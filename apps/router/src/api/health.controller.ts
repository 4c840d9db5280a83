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
import { WebhookDeliveries } from '../sync/webhook-deliveries';
import { ZendeskClockWatch } from '../sync/zendesk-clock.watch';

/** A full sync older than this many resync intervals means the router's picture may be stale. */
const STALE_SYNC_INTERVALS = 3;

/**
 * `GET /health` (open, for probes), with terminus: `rules` (a set is loaded), `audit` (the store
 * takes writes) — either down makes the router `error` (503); `sync` (a full list succeeded
 * recently) and `zendesk` (the breaker is closed) make it `degraded` (200) when they are not
 * up: the router still takes webhooks and records, and catches up when Zendesk answers again.
 * So do `webhooks` (most recent deliveries rejected: events are being lost) and `clock` (Zendesk's
 * clock further from ours than the webhook replay window).
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
    private readonly deliveries: WebhookDeliveries,
    private readonly clock: ZendeskClockWatch,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.rulesLoaded(),
      () => this.lastSync(),
      () => this.zendesk(),
      () => this.webhooks(),
      () => this.zendeskClock(),
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
    const data = {
      breaker: budget.breaker,
      budgetRemaining: budget.remaining,
      accountRemaining: budget.accountRemaining,
      queued: budget.queued,
      queuedBy: budget.queuedBy,
      targetedReads: this.sync.pendingReads(),
    };
    return budget.breaker === 'closed'
      ? this.indicator.check('zendesk').up(data)
      : this.indicator.check('zendesk').degraded(data);
  }

  /** Degraded while most recent deliveries are rejected (Zendesk does not retry a 401). */
  private webhooks(): HealthIndicatorResult {
    const report = this.deliveries.report();
    const data = {
      recent: report.recent,
      rejected: report.recentRejected,
      rejectedByReason: report.recentByCause,
      rejectedTotal: report.rejectedTotal,
      lastRejection: report.lastRejection,
    };
    return report.mostlyRejected
      ? this.indicator.check('webhooks').degraded(data)
      : this.indicator.check('webhooks').up(data);
  }

  /** Degraded while Zendesk's clock is further from ours than the webhook replay window. */
  private zendeskClock(): HealthIndicatorResult {
    const { skewed, ...data } = this.clock.report();
    return skewed ? this.indicator.check('clock').degraded(data) : this.indicator.check('clock').up(data);
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
