import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ActivityGenerator } from '../activity/activity.generator';
import { SimClock } from '../clock/sim.clock';
import { SIM_CONFIG, type SimConfig } from '../config/sim.config';
import { FaultInjector } from '../faults/fault.injector';
import { Authenticator } from '../http/authenticator';
import { RateLimiter } from '../http/rate.limiter';
import { RequestLog } from '../http/request.log';
import { seedAccount } from '../store/account.seed';
import { AccountStore } from '../store/account.store';
import { StatusJobRegistry } from '../store/status-job.registry';
import { WebhookDispatcher } from '../webhooks/webhook.dispatcher';
import { WebhookRegistry } from '../webhooks/webhook.registry';

/** What a reset may change; anything left out keeps its configured value. */
export interface ResetOptions {
  seed?: number;
  agentCount?: number;
  activity?: boolean;
  rateLimitPerMin?: number;
}

/** The settings of the running simulation, as the control API reports them. */
export interface SimulationSettings {
  seed: number;
  agentCount: number;
  activity: boolean;
  rateLimitPerMin: number;
}

/**
 * Owns the simulation as a whole: seeds it at start and puts every part back to a known state on
 * reset, so one test cannot leak into the next.
 */
@Injectable()
export class Simulation implements OnModuleInit {
  private current: SimulationSettings;

  constructor(
    @Inject(SIM_CONFIG) private readonly config: SimConfig,
    private readonly clock: SimClock,
    private readonly store: AccountStore,
    private readonly limiter: RateLimiter,
    private readonly requests: RequestLog,
    private readonly faults: FaultInjector,
    private readonly auth: Authenticator,
    private readonly webhooks: WebhookRegistry,
    private readonly deliveries: WebhookDispatcher,
    private readonly statusJobs: StatusJobRegistry,
    private readonly activity: ActivityGenerator,
  ) {
    this.current = {
      seed: config.seed,
      agentCount: config.agentCount,
      activity: config.activity,
      rateLimitPerMin: config.rateLimitPerMin,
    };
  }

  onModuleInit(): void {
    this.auth.configure(this.config.oauthToken);
    this.reset({});
  }

  settings(): SimulationSettings {
    return { ...this.current };
  }

  reset(options: ResetOptions): SimulationSettings {
    this.current = {
      seed: options.seed ?? this.current.seed,
      agentCount: options.agentCount ?? this.current.agentCount,
      activity: options.activity ?? this.current.activity,
      rateLimitPerMin: options.rateLimitPerMin ?? this.current.rateLimitPerMin,
    };
    this.store.load(
      seedAccount({
        seed: this.current.seed,
        agentCount: this.current.agentCount,
        now: this.clock.now(),
        accountId: this.config.accountId,
        admin: this.config.admin,
        agent: this.config.agent,
      }),
    );
    this.limiter.configure(this.current.rateLimitPerMin);
    this.limiter.reset();
    this.requests.clear();
    this.faults.clear(this.current.seed);
    this.statusJobs.clear();
    this.deliveries.reset();
    this.webhooks.reset();
    this.activity.reset(this.current.seed, this.current.activity);
    return this.settings();
  }

  setRateLimit(limitPerMin: number): void {
    this.current.rateLimitPerMin = limitPerMin;
    this.limiter.configure(limitPerMin);
  }
}
