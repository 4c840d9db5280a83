import { Controller, Get, Res } from '@nestjs/common';
import { ZendeskClient } from '@app/zendesk';
import type { Response } from 'express';
import { AuditStore } from '../audit/audit.store';
import { RuleSetWatcher } from '../rules/rule-set.watcher';
import { AgentSyncService } from '../sync/agent-sync.service';

/**
 * `GET /health` (open, for probes): rules loaded, age of the last full sync, the breaker and the
 * audit store. `down` (503) when nothing can be recorded or no rules are loaded; `degraded` while
 * the breaker is not closed or no sync has succeeded yet.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly rules: RuleSetWatcher,
    private readonly sync: AgentSyncService,
    private readonly client: ZendeskClient,
    private readonly audit: AuditStore,
  ) {}

  @Get()
  health(@Res() res: Response): void {
    const rules = this.rules.current();
    const writable = this.audit.writable();
    const budget = this.client.budget();
    const lastSyncAgeS = this.sync.lastResyncAgeS();
    const status =
      !writable || !rules ? 'down' : budget.breaker !== 'closed' || lastSyncAgeS === null ? 'degraded' : 'ok';
    res.status(status === 'down' ? 503 : 200).json({
      status,
      rules: { revision: rules?.revision ?? null, rejectedChange: this.rules.lastProblems().length > 0 },
      sync: { lastResyncAgeS: lastSyncAgeS === null ? null : Math.round(lastSyncAgeS) },
      zendesk: { breaker: budget.breaker, budgetRemaining: budget.remaining, queued: budget.queued },
      audit: { writable },
    });
  }
}
