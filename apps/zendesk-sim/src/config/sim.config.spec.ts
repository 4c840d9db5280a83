import { SIM_DEFAULTS, SimConfigError, loadSimConfig } from './sim.config';

describe('loadSimConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadSimConfig({})).toEqual(SIM_DEFAULTS);
  });

  it('reads every key', () => {
    const config = loadSimConfig({
      PORT: '4999',
      HOST: '0.0.0.0',
      SIM_AGENTS: '10000',
      SIM_SEED: '7',
      SIM_ACTIVITY: 'off',
      SIM_RATE_LIMIT_PER_MIN: '700',
      SIM_ADMIN_EMAIL: 'ops@acme.example',
      SIM_ADMIN_TOKEN: 'a-long-admin-token',
      SIM_OAUTH_TOKEN: 'an-oauth-token',
      SIM_WEBHOOK_URL: 'http://127.0.0.1:3000/webhooks/zendesk/',
      SIM_WEBHOOK_SECRET: 'shh',
      SIM_EXIT_WITH_PARENT: 'on',
    });
    expect(config).toMatchObject({
      port: 4999,
      host: '0.0.0.0',
      agentCount: 10_000,
      seed: 7,
      activity: false,
      rateLimitPerMin: 700,
      admin: { email: 'ops@acme.example', apiToken: 'a-long-admin-token' },
      oauthToken: 'an-oauth-token',
      webhook: { url: 'http://127.0.0.1:3000/webhooks/zendesk', secret: 'shh' },
      exitWithParent: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every bad key at once', () => {
    let caught: unknown;
    try {
      loadSimConfig({
        PORT: '70000',
        SIM_AGENTS: 'many',
        SIM_ACTIVITY: 'sometimes',
        SIM_RATE_LIMIT_PER_MIN: '0',
        SIM_ADMIN_EMAIL: 'not-an-email',
        SIM_AGENT_TOKEN: 'short',
        SIM_WEBHOOK_URL: 'ftp://example.com',
        SIM_EXIT_WITH_PARENT: 'maybe',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SimConfigError);
    const problems = (caught as SimConfigError).problems;
    expect(problems.map((p) => p.split(/[=:]/)[0])).toEqual([
      'SIM_WEBHOOK_URL',
      'PORT',
      'SIM_AGENTS',
      'SIM_ACTIVITY',
      'SIM_RATE_LIMIT_PER_MIN',
      'SIM_ADMIN_EMAIL',
      'SIM_AGENT_TOKEN',
      'SIM_EXIT_WITH_PARENT',
    ]);
    expect((caught as Error).message).toContain('PORT="70000": expected an integer from 0 to 65535');
  });

  it('never echoes a token value in its errors', () => {
    expect(() => loadSimConfig({ SIM_OAUTH_TOKEN: 'secret' })).toThrow(
      /SIM_OAUTH_TOKEN: expected at least 8/,
    );
    expect(() => loadSimConfig({ SIM_OAUTH_TOKEN: 'secret' })).not.toThrow(/secret"/);
  });

  it('refuses a webhook secret without a webhook URL', () => {
    expect(() => loadSimConfig({ SIM_WEBHOOK_SECRET: 'abc' })).toThrow(
      /SIM_WEBHOOK_SECRET is set but SIM_WEBHOOK_URL is not/,
    );
  });
});
