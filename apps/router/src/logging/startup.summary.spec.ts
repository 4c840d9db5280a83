import { loadRouterConfig } from '../config/router.config';
import { startupSummary } from './startup.summary';

describe('startupSummary', () => {
  it('names an account, shadow mode, the pause and a set token without its value', () => {
    const config = loadRouterConfig({
      ZENDESK_SUBDOMAIN: 'acme',
      ZENDESK_EMAIL: 'ops@acme.example',
      ZENDESK_API_TOKEN: 'zendesk-api-token',
      ZENDESK_WEBHOOK_SECRET: 'webhook-signing-secret',
      ROUTER_API_TOKEN: 'router-api-token-value',
      PUBLIC_URL: 'https://router.acme.example',
      DATA_DIR: '/var/lib/router',
      RULES_DIR: '/etc/router/rules',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    });
    const summary = startupSummary({
      config,
      url: 'http://127.0.0.1:3000',
      zendesk: { subdomain: 'acme', auth: { type: 'api_token', email: 'ops@acme.example', token: 'x' } },
      rules: { count: 2, revision: 'abc123' },
      paused: true,
    });
    expect(summary).toBe(
      [
        'Availability Router listening on http://127.0.0.1:3000',
        '  API       http://127.0.0.1:3000/api (Authorization: Bearer <token>)',
        '  Token     from ROUTER_API_TOKEN',
        '  Docs      http://127.0.0.1:3000/docs',
        '  Metrics   http://127.0.0.1:3000/metrics (health at http://127.0.0.1:3000/health)',
        '  Webhooks  https://router.acme.example/webhooks/zendesk',
        '  Zendesk   https://acme.zendesk.com',
        '  Rules     /etc/router/rules (2 rules, revision abc123)',
        '  Data      /var/lib/router',
        '  Mode      shadow: decisions are recorded, nothing is changed (ENFORCE=on acts), paused (POST /api/resume)',
        '  Logs      warn, json (LOG_LEVEL, LOG_FORMAT)',
        '',
      ].join('\n'),
    );
    expect(summary).not.toContain('router-api-token-value');
    expect(summary).not.toContain('zendesk-api-token');
  });
});
