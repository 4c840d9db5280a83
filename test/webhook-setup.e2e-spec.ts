import { ZendeskClient } from '@app/zendesk';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRouterConfig, webhookSecretPath } from '../apps/router/src/config/router.config';
import { AGENT_EVENT_TYPES, ROUTER_WEBHOOK_NAME, setUpWebhook } from '../apps/router/src/sync/webhook.setup';
import { AUTH, startSim, type SimHarness } from './support/sim.harness';

describe('setting up the Zendesk webhook', () => {
  let sim: SimHarness;
  let client: ZendeskClient;
  let dir: string;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 5 });
    client = new ZendeskClient({ baseUrl: sim.url, auth: { type: 'oauth', accessToken: 'sim-oauth-token' } });
    dir = mkdtempSync(join(tmpdir(), 'setup-'));
  });
  afterAll(async () => {
    client.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the webhook once, updates it after, and stores the secret where the router reads it', async () => {
    const secretPath = webhookSecretPath(dir);
    const first = await setUpWebhook(client, 'https://router.example/webhooks/zendesk', secretPath);
    expect(first.created).toBe(true);
    const second = await setUpWebhook(client, 'https://router2.example/webhooks/zendesk', secretPath);
    expect(second).toMatchObject({ created: false, webhook: { id: first.webhook.id } });

    const listed = (await sim.get('/api/v2/webhooks', AUTH.admin).expect(200)).body.webhooks;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      name: ROUTER_WEBHOOK_NAME,
      endpoint: 'https://router2.example/webhooks/zendesk',
      status: 'active',
    });
    expect([...listed[0].subscriptions].sort()).toEqual([...AGENT_EVENT_TYPES].sort());

    const secret = (
      await sim.get(`/api/v2/webhooks/${first.webhook.id}/signing_secret`, AUTH.admin).expect(200)
    ).body.signing_secret.secret;
    expect(readFileSync(secretPath, 'utf8').trim()).toBe(secret);
    expect(statSync(secretPath).mode & 0o777).toBe(0o600);

    const config = loadRouterConfig({
      ZENDESK_BASE_URL: sim.url,
      ZENDESK_OAUTH_TOKEN: 'sim-oauth-token',
      DATA_DIR: dir,
    });
    expect(config.zendesk.webhookSecrets).toEqual([secret]);
    expect(config.zendesk.webhookSecretGenerated).toBe(false);
  });
});
