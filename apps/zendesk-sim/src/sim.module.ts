import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ActivityControlController } from './activity/activity-control.controller';
import { ActivityGenerator } from './activity/activity.generator';
import { AgentAvailabilityController } from './api/agent-availability.controller';
import { AvailabilityPresenter } from './api/availability.presenter';
import { CapacityRulesController } from './api/capacity-rules.controller';
import { UnifiedAgentStatusController } from './api/unified-agent-status.controller';
import { UsersController } from './api/users.controller';
import { SimClock } from './clock/sim.clock';
import { SIM_CONFIG, type SimConfig } from './config/sim.config';
import { ControlController } from './control/control.controller';
import { Simulation } from './control/simulation';
import { FaultInjector } from './faults/fault.injector';
import { AllowedForGuard } from './http/allowed-for.guard';
import { Authenticator } from './http/authenticator';
import { RateLimiter } from './http/rate.limiter';
import { RequestLog } from './http/request.log';
import { OAuthTokenIssuer } from './oauth/oauth-token.issuer';
import { SimExceptionFilter } from './http/sim-exception.filter';
import { AccountStore } from './store/account.store';
import { StatusJobRegistry } from './store/status-job.registry';
import { WebhookControlController } from './webhooks/webhook-control.controller';
import { WebhookDeliveryLog } from './webhooks/webhook-delivery.log';
import { WebhookDispatcher } from './webhooks/webhook.dispatcher';
import { WebhookRegistry } from './webhooks/webhook.registry';
import { WebhookSender } from './webhooks/webhook.sender';
import { WebhookTester } from './webhooks/webhook.tester';
import { WebhooksController } from './webhooks/webhooks.controller';

/** The simulated Zendesk account: its APIs, webhooks, activity and control API. */
@Module({})
export class SimModule {
  static forRoot(config: SimConfig): DynamicModule {
    return {
      module: SimModule,
      controllers: [
        // Status routes first: `agent_availabilities/agent_statuses` must not be taken for an agent id.
        UnifiedAgentStatusController,
        AgentAvailabilityController,
        CapacityRulesController,
        UsersController,
        ControlController,
        ActivityControlController,
        WebhooksController,
        WebhookControlController,
      ],
      providers: [
        { provide: SIM_CONFIG, useValue: config },
        { provide: APP_GUARD, useClass: AllowedForGuard },
        { provide: APP_FILTER, useClass: SimExceptionFilter },
        SimClock,
        AccountStore,
        AvailabilityPresenter,
        Authenticator,
        OAuthTokenIssuer,
        RateLimiter,
        RequestLog,
        FaultInjector,
        Simulation,
        StatusJobRegistry,
        ActivityGenerator,
        WebhookRegistry,
        WebhookDeliveryLog,
        WebhookSender,
        WebhookDispatcher,
        WebhookTester,
      ],
    };
  }
}
