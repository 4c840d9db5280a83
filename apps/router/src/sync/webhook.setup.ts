import type { Webhook, ZendeskClient } from '@app/zendesk';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The webhook the router owns in a Zendesk account, found again by this name. */
export const ROUTER_WEBHOOK_NAME = 'Availability Router';

/** The nine agent events the router follows (section 11.2). */
export const AGENT_EVENT_TYPES = [
  'state_changed',
  'work_item_added',
  'work_item_updated',
  'work_item_removed',
  'max_capacity_changed',
  'unified_state_changed',
  'channel_created',
  'channel_deleted',
  'groups_updated',
].map((t) => `zen:event-type:agent.${t}`);

/**
 * Creates the router's webhook, or updates it when one with its name exists (so running this
 * twice never makes two), and stores the signing secret in `secretPath` (readable by the owner
 * only), where the router reads it at start; returns it as well.
 */
export async function setUpWebhook(
  client: ZendeskClient,
  endpoint: string,
  secretPath: string,
): Promise<{ webhook: Webhook; created: boolean; secret: string }> {
  const input = {
    name: ROUTER_WEBHOOK_NAME,
    endpoint,
    subscriptions: AGENT_EVENT_TYPES,
    status: 'active' as const,
    description: 'Agent availability events for the Availability Router',
  };
  const existing = (await client.listWebhooks()).find((w) => w.name === ROUTER_WEBHOOK_NAME);
  let webhook: Webhook;
  if (existing) {
    await client.updateWebhook(existing.id, input);
    webhook = { ...existing, endpoint, subscriptions: [...AGENT_EVENT_TYPES], status: 'active' };
  } else {
    webhook = await client.createWebhook(input);
  }
  const secret = await client.getWebhookSigningSecret(webhook.id);
  await mkdir(dirname(secretPath), { recursive: true });
  await writeFile(secretPath, `${secret}\n`, { mode: 0o600 });
  await chmod(secretPath, 0o600);
  return { webhook, created: !existing, secret };
}
