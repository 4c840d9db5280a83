import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ZendeskClient } from '@app/zendesk';
import type { Subscription } from 'rxjs';
import { ROUTER_CONFIG } from '../config/router.tokens';
import type { RouterConfig } from '../config/router.config';
import { RouterMetrics } from '../metrics/router.metrics';

/** How Zendesk's clock compares with ours, for `/health`. */
export interface ClockReport {
  /** Zendesk's time minus ours, in whole seconds; null before Zendesk's first answer. */
  offsetS: number | null;
  maxSkewS: number;
  observedAt: string | null;
  /** Further apart than the webhook replay window: signed webhooks look stale. */
  skewed: boolean;
}

/**
 * Compares the router's clock with Zendesk's (the `Date` header of its answers). Webhook
 * signatures carry Zendesk's time and are refused beyond `WEBHOOK_MAX_SKEW_S` from ours, so a
 * clock that far off rejects every delivery: that is logged at warn when it starts (and at info
 * when it ends), shown in `/metrics` and makes `/health` degraded.
 */
@Injectable()
export class ZendeskClockWatch implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Clock');
  private skewed = false;
  private subscription: Subscription | null = null;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly client: ZendeskClient,
    private readonly metrics: RouterMetrics,
  ) {}

  onModuleInit(): void {
    this.subscription = this.client.events$.subscribe((event) => {
      if (event.type === 'clock_offset') this.noticed(event.offsetMs);
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  report(): ClockReport {
    const offset = this.client.clockOffset();
    const maxSkewS = this.config.zendesk.webhookMaxSkewS;
    return {
      offsetS: offset === null ? null : Math.round(offset.offsetMs / 1000),
      maxSkewS,
      observedAt: offset === null ? null : offset.observedAt.toISOString(),
      skewed: offset !== null && beyond(offset.offsetMs, maxSkewS),
    };
  }

  private noticed(offsetMs: number): void {
    const maxSkewS = this.config.zendesk.webhookMaxSkewS;
    const skewed = beyond(offsetMs, maxSkewS);
    this.metrics.clockSkew(skewed);
    const apart = `${Math.round(Math.abs(offsetMs) / 1000)} s ${offsetMs > 0 ? 'ahead of' : 'behind'} this host's`;
    if (skewed && !this.skewed) {
      this.logger.warn(
        `Zendesk's clock is ${apart}, beyond the webhook replay window of ${maxSkewS} s (WEBHOOK_MAX_SKEW_S): signed webhooks will be rejected as stale. Set this host's clock (NTP).`,
      );
    } else if (!skewed && this.skewed) {
      this.logger.log(`Zendesk's clock is ${apart}, within the webhook replay window again`);
    }
    this.skewed = skewed;
  }
}

function beyond(offsetMs: number, maxSkewS: number): boolean {
  return Math.abs(offsetMs) > maxSkewS * 1000;
}
