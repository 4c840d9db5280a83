import 'reflect-metadata';
import { ZendeskClient } from '@app/zendesk';
import { join } from 'node:path';
import {
  RouterConfigError,
  isLoopbackHost,
  isZendeskAccountUrl,
  loadRouterConfig,
  webhookSecretPath,
} from './config/router.config';
import { webhookEndpoint } from './sync/webhook.bootstrap';
import { setUpWebhook } from './sync/webhook.setup';

/**
 * `npm run setup-webhook`: subscribes the router's public URL (`PUBLIC_URL`) to the agent events
 * of the configured Zendesk account and stores the signing secret where the router reads it.
 * Against a server that is not a Zendesk account (a simulator), the router's own loopback address
 * (`HOST`:`PORT`) stands in for an unset `PUBLIC_URL`.
 */
async function main(): Promise<void> {
  const config = loadRouterConfig(process.env, { forWebhookSetup: true });
  const target = config.zendesk.target;
  if (target.kind === 'embedded') {
    throw new RouterConfigError([
      'ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) and credentials: required to set up a webhook',
    ]);
  }
  const realAccount = target.kind === 'account' || isZendeskAccountUrl(target.baseUrl);
  if (!config.http.publicUrl && (realAccount || !isLoopbackHost(config.http.host)))
    throw new RouterConfigError(['PUBLIC_URL: required, the address at which Zendesk reaches this router']);
  if (!config.http.publicUrl && config.http.port === 0)
    throw new RouterConfigError([
      'PORT: the port the router will listen on, not 0, when PUBLIC_URL is unset',
    ]);
  const client = new ZendeskClient(
    target.kind === 'account'
      ? { subdomain: target.subdomain, auth: target.auth }
      : { baseUrl: target.baseUrl, auth: target.auth },
  );
  try {
    const endpoint = webhookEndpoint(config, config.http.port);
    const secretPath = webhookSecretPath(config.storage.dataDir);
    const { webhook, created } = await setUpWebhook(client, endpoint, secretPath);
    process.stdout.write(
      `${created ? 'Created' : 'Updated'} webhook ${webhook.id} → ${endpoint}\nSigning secret stored in ${join(secretPath)} (the router reads it at start)\n`,
    );
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
