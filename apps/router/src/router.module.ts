import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { RuleSetLoader } from '@app/rules';
import { WebhookSignatureVerifier, ZendeskModule, type ZendeskClientOptions } from '@app/zendesk';
import { join } from 'node:path';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './api/health.controller';
import { LiveEvents } from './api/live.events';
import { MetricsController } from './api/metrics.controller';
import { RouterApiController } from './api/router-api.controller';
import { AgentsController } from './api/agents.controller';
import { ApiTokenGuard } from './api/api-token.guard';
import { SessionController } from './api/session.controller';
import { SessionStore } from './api/session.store';
import { RulesController } from './api/rules.controller';
import { WebhookController } from './api/webhook.controller';
import { AuditHealth } from './audit/audit.health';
import { AgentActivity } from './audit/agent-activity';
import { AuditStore } from './audit/audit.store';
import { SqliteAuditStore } from './audit/sqlite/sqlite-audit.store';
import type { RouterConfig } from './config/router.config';
import { ROUTER_CONFIG } from './config/router.tokens';
import { loggerParams, type LogDestination } from './logging/router.logger';
import { RouterMetrics } from './metrics/router.metrics';
import { PauseSwitch } from './safety/pause.switch';
import { PipelineRunner } from './pipeline/pipeline.runner';
import { RuleSetWatcher } from './rules/rule-set.watcher';
import { AgentDirectory } from './sync/agent-directory';
import { AgentStateCache } from './sync/agent-state.cache';
import { AgentSyncService } from './sync/agent-sync.service';
import { DecodeDropLog } from './sync/decode-drop.log';
import { WebhookDeliveries } from './sync/webhook-deliveries';
import { OAuthTokenLog } from './sync/oauth-token.log';
import { WebhookIntake } from './sync/webhook.intake';
import { ZendeskClockWatch } from './sync/zendesk-clock.watch';

/** The router: sync, evaluate, plan, apply, record. */
@Module({})
export class RouterModule {
  static forRoot(
    config: RouterConfig,
    zendesk: ZendeskClientOptions,
    logDestination?: LogDestination,
  ): DynamicModule {
    return {
      module: RouterModule,
      imports: [
        LoggerModule.forRoot(loggerParams(config, logDestination)),
        TerminusModule.forRoot({ logger: false }),
        ScheduleModule.forRoot(),
        ZendeskModule.forRoot({
          requestsPerMinute: config.zendesk.requestsPerMin,
          readShare: config.zendesk.readSharePct / 100,
          usersRequestsPerMinute: config.zendesk.usersRequestsPerMin,
          ...zendesk,
        }),
      ],
      controllers: [
        WebhookController,
        HealthController,
        MetricsController,
        RouterApiController,
        AgentsController,
        SessionController,
        RulesController,
      ],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        { provide: SessionStore, useFactory: () => new SessionStore(config.api.sessionTtlS) },
        ApiTokenGuard,
        {
          provide: AuditStore,
          useFactory: () => new SqliteAuditStore(join(config.storage.dataDir, 'audit.sqlite')),
        },
        {
          provide: AuditHealth,
          useFactory: (audit: AuditStore, metrics: RouterMetrics) => new AuditHealth(audit, metrics.registry),
          inject: [AuditStore, RouterMetrics],
        },
        {
          provide: RuleSetLoader,
          useFactory: () =>
            new RuleSetLoader(config.storage.rulesDir, {
              allowEmpty: config.rules.allowEmpty,
              emptyAdvice: 'set RULES_ALLOW_EMPTY=on to run the router without rules',
            }),
        },
        {
          provide: WebhookIntake,
          useFactory: () =>
            new WebhookIntake(
              new WebhookSignatureVerifier({
                secrets: config.zendesk.webhookSecrets,
                maxSkewS: config.zendesk.webhookMaxSkewS,
              }),
              config.zendesk.webhookMaxBodyBytes,
            ),
        },
        {
          provide: WebhookDeliveries,
          useFactory: (metrics: RouterMetrics) => {
            const logger = new Logger('Webhooks');
            return new WebhookDeliveries({
              counted: (kind, cause) => metrics.webhookDelivery(kind, cause),
              warn: (message) => logger.warn(message),
            });
          },
          inject: [RouterMetrics],
        },
        ZendeskClockWatch,
        AgentStateCache,
        PauseSwitch,
        LiveEvents,
        RouterMetrics,
        DecodeDropLog,
        OAuthTokenLog,
        PipelineRunner,
        RuleSetWatcher,
        AgentSyncService,
        AgentDirectory,
        AgentActivity,
      ],
    };
  }
}
