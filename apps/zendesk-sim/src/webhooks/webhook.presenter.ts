import { eventTypeName } from './agent-event.envelope';
import type { Webhook, WebhookAuthentication } from './webhook.registry';
import { SIGNING_ALGORITHM } from './webhook.signer';

/**
 * A webhook as the Webhooks API shows it (section 11.1). The signing secret and credential
 * secrets are never shown here: the secret has its own endpoint, credentials are write-only.
 */
export function presentWebhook(webhook: Webhook) {
  return {
    id: webhook.id,
    name: webhook.name,
    status: webhook.status,
    endpoint: webhook.endpoint,
    http_method: 'POST',
    request_format: 'json',
    subscriptions: webhook.subscriptions.map(eventTypeName),
    ...(webhook.authentication ? { authentication: presentAuthentication(webhook.authentication) } : {}),
    description: webhook.description,
    created_at: isoSeconds(webhook.createdAt),
    updated_at: isoSeconds(webhook.updatedAt),
  };
}

/** The body of both signing-secret endpoints (section 11.8). */
export function presentSigningSecret(webhook: Webhook) {
  return { signing_secret: { secret: webhook.signingSecret, algorithm: SIGNING_ALGORITHM } };
}

/** Only the parts of a credential that identify it, never the part that proves it. */
function presentAuthentication(auth: WebhookAuthentication) {
  const shown = (data: Record<string, string>) => ({ type: auth.type, data, add_position: 'header' });
  switch (auth.type) {
    case 'bearer_token':
      return shown({});
    case 'basic_auth':
      return shown({ username: auth.username });
    case 'api_key':
      return shown({ name: auth.name });
  }
}

/** Webhooks API times are second-precision UTC, like `2021-03-25T05:09:27Z`. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
