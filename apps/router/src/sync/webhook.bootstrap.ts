import { ZendeskClient, type ZendeskClientOptions } from '@app/zendesk';
import { RouterConfigError, webhookSecretPath, type RouterConfig } from '../config/router.config';
import { setUpWebhook } from './webhook.setup';

/** What `subscribeAtStart` did, for the start-up log. */
export interface WebhookSubscription {
  readonly webhookId: string;
  readonly endpoint: string;
  readonly created: boolean;
}

/**
 * The router's webhook endpoint as the account reaches it: `PUBLIC_URL`, or on loopback the
 * router's own listen address (a simulator on the same machine reaches it there).
 */
export function webhookEndpoint(config: RouterConfig, port: number): string {
  const base = config.http.publicUrl ?? `http://${hostForUrl(config.http.host)}:${port}`;
  return `${base}/webhooks/zendesk`;
}

/**
 * For a server that is not a Zendesk account (`webhookSecretSource: 'webhooks_api'`): creates the
 * router's webhook, or points the existing one at `endpoint`, through the Webhooks API, and
 * returns the configuration with that webhook's signing secret, which it also stores in
 * `DATA_DIR` like `npm run setup-webhook` does. A real account is never changed here.
 */
export async function subscribeAtStart(
  config: RouterConfig,
  zendesk: ZendeskClientOptions,
  port: number,
): Promise<{ config: RouterConfig; subscription: WebhookSubscription }> {
  if (config.zendesk.webhookSecretSource !== 'webhooks_api')
    throw new Error('subscribeAtStart is only for servers that are not a Zendesk account');
  const endpoint = webhookEndpoint(config, port);
  const client = new ZendeskClient({ requestsPerMinute: config.zendesk.requestsPerMin, ...zendesk });
  try {
    const { webhook, created, secret } = await setUpWebhook(
      client,
      endpoint,
      webhookSecretPath(config.storage.dataDir),
    );
    return {
      config: Object.freeze({ ...config, zendesk: { ...config.zendesk, webhookSecrets: [secret] } }),
      subscription: { webhookId: webhook.id, endpoint, created },
    };
  } catch (error) {
    // ZendeskError messages name the call and the status, never a credential.
    const reason = error instanceof Error ? error.message : String(error);
    throw new RouterConfigError([
      `ZENDESK_BASE_URL=${zendesk.baseUrl ?? ''}: could not set up the router's webhook there through the Webhooks API (${reason}); set ZENDESK_WEBHOOK_SECRET to use a webhook you manage yourself`,
    ]);
  } finally {
    client.close();
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
