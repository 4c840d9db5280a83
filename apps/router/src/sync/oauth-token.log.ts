import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ZendeskClient, type OAuthTokenEvent } from '@app/zendesk';
import type { Subscription } from 'rxjs';

/**
 * Says in the log what the expiring OAuth tokens do (section 2.1): each refresh at info, a refresh
 * that failed or a pair that could not be stored at error. No line ever holds a token.
 */
@Injectable()
export class OAuthTokenLog implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OAuth');
  private subscription: Subscription | null = null;

  constructor(private readonly client: ZendeskClient) {}

  onModuleInit(): void {
    this.subscription = this.client.tokens?.events$.subscribe((event) => this.log(event)) ?? null;
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private log(event: OAuthTokenEvent): void {
    switch (event.type) {
      case 'refreshed':
        this.logger.log(
          `Access token refreshed; it expires ${event.accessExpiresAt?.toISOString() ?? 'at a time Zendesk did not say'}, the new refresh token ${event.refreshExpiresAt?.toISOString() ?? 'when Zendesk says'}`,
        );
        return;
      case 'adopted_stored_pair':
        this.logger.log('Took the token pair another process stored in DATA_DIR');
        return;
      case 'refresh_failed':
        if (event.permanent) this.logger.error(event.message);
        else this.logger.warn(event.message);
        return;
      case 'store_failed':
        this.logger.error(`OAuth token store: ${event.message}`);
        return;
    }
  }
}
