import { RouterConfigError, loadRouterConfig } from './router.config';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadRouterConfig(env);
  } catch (error) {
    if (error instanceof RouterConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('router configuration', () => {
  it('runs embedded, enforcing, with generated secrets when nothing is configured', () => {
    const config = loadRouterConfig({});
    expect(config.zendesk.target).toEqual({ kind: 'embedded' });
    expect(config.safety.enforce).toBe(true);
    expect(config.api.tokenGenerated).toBe(true);
    expect(config.api.token.length).toBeGreaterThanOrEqual(32);
    expect(config.zendesk.webhookSecretGenerated).toBe(true);
    expect(config).toMatchObject({
      http: { host: '127.0.0.1', port: 3000 },
      zendesk: { requestsPerMin: 180, webhookMaxSkewS: 300, webhookMaxBodyBytes: 1_048_576 },
      storage: { dataDir: './data', rulesDir: './rules' },
    });
    expect(loadRouterConfig({}).api.token).not.toBe(config.api.token);
  });

  it('reads the session lifetime and whether to trust a proxy, with their defaults and bounds', () => {
    expect(loadRouterConfig({}).api.sessionTtlS).toBe(43_200);
    expect(loadRouterConfig({}).http.trustProxy).toBe(false);
    const config = loadRouterConfig({ SESSION_TTL_S: '900', TRUST_PROXY: 'on' });
    expect(config.api.sessionTtlS).toBe(900);
    expect(config.http.trustProxy).toBe(true);
    expect(problemsOf({ SESSION_TTL_S: '30', TRUST_PROXY: 'maybe' })).toEqual([
      'TRUST_PROXY="maybe": expected on/off, true/false, yes/no or 1/0',
      'SESSION_TTL_S="30": expected a whole number from 60 to 604800',
    ]);
  });

  it('targets a real account in shadow mode until enforcement is switched on', () => {
    const env = {
      ZENDESK_SUBDOMAIN: 'acme',
      ZENDESK_EMAIL: 'ops@acme.example',
      ZENDESK_API_TOKEN: 'token-123456',
      ZENDESK_WEBHOOK_SECRET: 'old-secret-1, new-secret-2',
    };
    const config = loadRouterConfig(env);
    expect(config.zendesk.target).toEqual({
      kind: 'account',
      subdomain: 'acme',
      auth: { type: 'api_token', email: 'ops@acme.example', token: 'token-123456' },
    });
    expect(config.safety.enforce).toBe(false);
    expect(config.zendesk.webhookSecrets).toEqual(['old-secret-1', 'new-secret-2']);
    expect(loadRouterConfig({ ...env, ENFORCE: 'on' }).safety.enforce).toBe(true);
    const oauth = loadRouterConfig({
      ZENDESK_BASE_URL: 'http://127.0.0.1:4010/',
      ZENDESK_OAUTH_TOKEN: 'sim-oauth-token',
      ZENDESK_WEBHOOK_SECRET: 's3cret-value',
    });
    expect(oauth.zendesk.target).toEqual({
      kind: 'url',
      baseUrl: 'http://127.0.0.1:4010',
      auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
    });
  });

  it('reports every bad key at once, and never a secret', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      ZENDESK_SUBDOMAIN: 'acme corp',
      ZENDESK_EMAIL: 'ops@acme.example',
      ZENDESK_API_TOKEN: 'short',
      RESYNC_INTERVAL_S: '1',
      ENFORCE: 'maybe',
      ROUTER_API_TOKEN: 'tiny-token',
      LOG_LEVEL: 'loud',
    });
    expect(problems).toEqual([
      'ZENDESK_API_TOKEN: expected at least 8 characters',
      'ZENDESK_SUBDOMAIN="acme corp": expected the account name, as in <name>.zendesk.com',
      'ZENDESK_WEBHOOK_SECRET: required with a Zendesk account (the webhook signing secret; comma-separate two while rotating), or run npm run setup-webhook',
      'ROUTER_API_TOKEN: expected at least 16 characters',
      'PORT="eighty": expected a whole number from 0 to 65535',
      'RESYNC_INTERVAL_S="1": expected a whole number from 10 to 86400',
      'ENFORCE="maybe": expected on/off, true/false, yes/no or 1/0',
      'LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(problems.join(' ')).not.toContain('short');
    expect(problems.join(' ')).not.toContain('tiny-token');
  });

  it('refuses half-configured Zendesk access', () => {
    expect(problemsOf({ ZENDESK_SUBDOMAIN: 'acme', ZENDESK_WEBHOOK_SECRET: 's3cret-value' })).toEqual([
      'ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN: required with a Zendesk account',
    ]);
    expect(problemsOf({ ZENDESK_OAUTH_TOKEN: 'an-oauth-token' })).toEqual([
      'Zendesk credentials are set but no account: set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)',
    ]);
    expect(
      problemsOf({
        ZENDESK_SUBDOMAIN: 'acme',
        ZENDESK_BASE_URL: 'https://acme.zendesk.com',
        ZENDESK_OAUTH_TOKEN: 'an-oauth-token',
        ZENDESK_WEBHOOK_SECRET: 'x'.repeat(10),
      }),
    ).toEqual(['ZENDESK_SUBDOMAIN and ZENDESK_BASE_URL: give one, not both']);
  });

  it('takes expiring OAuth tokens with their client and refresh token, kept in DATA_DIR', () => {
    const oauth = {
      ZENDESK_SUBDOMAIN: 'acme',
      ZENDESK_WEBHOOK_SECRET: 's3cret-value',
      ZENDESK_OAUTH_CLIENT_ID: 'router',
      ZENDESK_OAUTH_CLIENT_SECRET: 'client-secret-1',
      ZENDESK_OAUTH_REFRESH_TOKEN: 'refresh-token-1',
      DATA_DIR: '/var/lib/router',
    };
    expect(loadRouterConfig(oauth).zendesk.target).toEqual({
      kind: 'account',
      subdomain: 'acme',
      auth: {
        type: 'oauth_refresh',
        clientId: 'router',
        clientSecret: 'client-secret-1',
        refreshToken: 'refresh-token-1',
        tokenStorePath: '/var/lib/router/oauth-tokens.json',
      },
    });
    expect(
      loadRouterConfig({ ...oauth, ZENDESK_OAUTH_TOKEN: 'access-token-1' }).zendesk.target,
    ).toMatchObject({ auth: { type: 'oauth_refresh', accessToken: 'access-token-1' } });
    const half = problemsOf({
      ZENDESK_SUBDOMAIN: 'acme',
      ZENDESK_WEBHOOK_SECRET: 's3cret-value',
      ZENDESK_OAUTH_REFRESH_TOKEN: 'refresh-token-1',
    });
    expect(half).toEqual([
      'ZENDESK_OAUTH_CLIENT_ID: required for expiring OAuth tokens (with ZENDESK_OAUTH_CLIENT_ID, ZENDESK_OAUTH_CLIENT_SECRET and ZENDESK_OAUTH_REFRESH_TOKEN)',
      'ZENDESK_OAUTH_CLIENT_SECRET: required for expiring OAuth tokens (with ZENDESK_OAUTH_CLIENT_ID, ZENDESK_OAUTH_CLIENT_SECRET and ZENDESK_OAUTH_REFRESH_TOKEN)',
    ]);
    expect(half.join(' ')).not.toContain('refresh-token-1');
    expect(
      problemsOf({ ...oauth, ZENDESK_EMAIL: 'ops@acme.example', ZENDESK_API_TOKEN: 'token-123456' }),
    ).toEqual(['ZENDESK_OAUTH_* and ZENDESK_EMAIL/ZENDESK_API_TOKEN: use one way to authenticate']);
  });

  it('subscribes itself to a server that is not a Zendesk account, never to a real account', () => {
    const sim = { ZENDESK_BASE_URL: 'http://127.0.0.1:4010', ZENDESK_OAUTH_TOKEN: 'sim-oauth-token' };
    const config = loadRouterConfig({ ...sim, DATA_DIR: '/nonexistent' });
    expect(config.zendesk).toMatchObject({
      webhookSecretSource: 'webhooks_api',
      webhookSecretGenerated: false,
      webhookSecrets: [],
    });
    expect(
      loadRouterConfig({ ...sim, ZENDESK_WEBHOOK_SECRET: 's3cret-value' }).zendesk.webhookSecretSource,
    ).toBe('environment');
    expect(problemsOf({ ...sim, HOST: '0.0.0.0' })).toEqual([
      "PUBLIC_URL: required with HOST=0.0.0.0 (the address at which http://127.0.0.1:4010 reaches this router's webhook), or set ZENDESK_WEBHOOK_SECRET",
    ]);
    expect(problemsOf({ ...sim, HOST: '0.0.0.0', PUBLIC_URL: 'http://router:3000' })).toEqual([]);
    const account = { ZENDESK_BASE_URL: 'https://acme.zendesk.com', ZENDESK_OAUTH_TOKEN: 'an-oauth-token' };
    expect(problemsOf({ ...account, DATA_DIR: '/nonexistent' })).toEqual([
      'ZENDESK_WEBHOOK_SECRET: required with a Zendesk account (the webhook signing secret; comma-separate two while rotating), or run npm run setup-webhook',
    ]);
    expect(
      loadRouterConfig({ ...account, DATA_DIR: '/nonexistent' }, { forWebhookSetup: true }).zendesk
        .webhookSecrets,
    ).toEqual([]);
  });
});
