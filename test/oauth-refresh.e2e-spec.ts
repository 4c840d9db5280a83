import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRouterConfig, oauthTokenPath } from '../apps/router/src/config/router.config';
import { createRouterApp, listenAndSync } from '../apps/router/src/router.app';
import { SIM_DEFAULTS } from '../apps/zendesk-sim/src/config/sim.config';
import { WEBHOOK_SECRET, eventually, freePort } from './support/router.harness';
import { startSim, type SimHarness } from './support/sim.harness';

const FIRST_AGENT = 360_099_100_001;
const BREAK = 9002;
/** Access tokens live 2 s here, so a few seconds of work spans several refreshes. */
const ACCESS_TTL_S = 2;
const NO_BREAKS = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;
const CLIENT = SIM_DEFAULTS.oauthClient;

interface StoredPair {
  access_token: string;
  refresh_token: string;
  access_token_expires_at: string;
}

describe('the router with expiring OAuth tokens against the simulator', () => {
  let sim: SimHarness;
  let dir: string;
  let port: number;
  let router: NestExpressApplication | null = null;

  async function startRouter(): Promise<void> {
    const config = loadRouterConfig({
      ZENDESK_BASE_URL: sim.url,
      ZENDESK_OAUTH_CLIENT_ID: CLIENT.clientId,
      ZENDESK_OAUTH_CLIENT_SECRET: CLIENT.clientSecret,
      ZENDESK_OAUTH_REFRESH_TOKEN: CLIENT.refreshToken,
      ZENDESK_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ENFORCE: 'on',
      DATA_DIR: dir,
      RULES_DIR: join(dir, 'rules'),
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
      HUMAN_HOLD_S: '0',
      MIN_ONLINE_PER_GROUP: '0',
      LOG_LEVEL: 'silent',
    });
    const target = config.zendesk.target;
    if (target.kind !== 'url') throw new Error('expected a base URL target');
    router = await createRouterApp(config, { baseUrl: target.baseUrl, auth: target.auth });
    await listenAndSync(router, port, '127.0.0.1');
  }

  function stored(): StoredPair {
    return JSON.parse(readFileSync(oauthTokenPath(dir), 'utf8')) as StoredPair;
  }

  /** Puts an agent on a break, as Zendesk's idle timeout would, and waits for the rule to act. */
  async function breakIsUndone(agentId: number): Promise<string> {
    await sim.control('put', `/agents/${agentId}`, { status_id: BREAK, reason: 'AGENT_IDLE_TIMEOUT' });
    const agent = await eventually(
      async () => (await sim.control('get', `/agents/${agentId}`)).body.agent,
      (a: { status: { name: string } }) => a.status.name === 'away',
      10_000,
    );
    return agent.status.name;
  }

  /** Until the stored access token has expired (a refresh is then due on the next call). */
  async function untilExpired(pair: StoredPair): Promise<void> {
    const at = Date.parse(pair.access_token_expires_at);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + 50));
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-oauth-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'rules.yaml'), NO_BREAKS);
    port = await freePort();
    sim = await startSim({
      agentCount: 10,
      rateLimitPerMin: 100_000,
      oauthClient: { ...CLIENT, accessTokenTtlS: ACCESS_TTL_S },
      webhook: { url: `http://127.0.0.1:${port}/webhooks/zendesk`, secret: WEBHOOK_SECRET },
    });
  });
  afterAll(async () => {
    await router?.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps acting across several refreshes, each new pair stored before it is used', async () => {
    await startRouter();
    const first = stored();
    expect(statSync(oauthTokenPath(dir)).mode & 0o777).toBe(0o600);

    // An expired access token is refused with the documented 401 and a challenge saying why.
    await untilExpired(first);
    const expired = await fetch(`${sim.url}/api/v2/agent_availabilities/${FIRST_AGENT}`, {
      headers: { Authorization: `Bearer ${first.access_token}` },
    });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error: "Couldn't authenticate you" });
    expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    const refreshTokens = new Set([CLIENT.refreshToken, first.refresh_token]);
    for (let round = 0; round < 3; round++) {
      const before = stored();
      await untilExpired(before);
      expect(await breakIsUndone(FIRST_AGENT + round)).toBe('away');
      const after = stored();
      expect(after.refresh_token).not.toBe(before.refresh_token);
      refreshTokens.add(after.refresh_token);
    }
    expect(refreshTokens.size).toBe(5);
    // Every status write went through: none was refused for a stale token.
    const requests = (await sim.control('get', '/requests')).body.requests as Array<{
      method: string;
      status: number;
    }>;
    expect(requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([200, 200, 200]);
  }, 60_000);

  it('refuses a refresh token that was used already', async () => {
    const reused = await fetch(`${sim.url}/oauth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: CLIENT.refreshToken,
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('after a restart goes on from the stored pair, not the configured (used) refresh token', async () => {
    await router!.close();
    router = null;
    const beforeRestart = stored();
    await untilExpired(beforeRestart);
    await startRouter();
    expect(await breakIsUndone(FIRST_AGENT + 5)).toBe('away');
    // It refreshed with the stored refresh token: the configured one would have been refused.
    expect(stored().refresh_token).not.toBe(beforeRestart.refresh_token);
  }, 60_000);
});
