import { NO_ACCOUNT, readAccountConnection } from './account.config';

const TOKEN = 'tok-3f9a1c0d7e';

describe('the account `rules check --account` reads from the environment', () => {
  it('is a subdomain with an API token, or a base URL with an OAuth token', () => {
    expect(
      readAccountConnection({
        ZENDESK_SUBDOMAIN: 'acme',
        ZENDESK_EMAIL: 'admin@acme.test',
        ZENDESK_API_TOKEN: TOKEN,
      }),
    ).toEqual({
      ok: true,
      connection: {
        label: 'acme.zendesk.com',
        target: { subdomain: 'acme' },
        auth: { type: 'api_token', email: 'admin@acme.test', token: TOKEN },
      },
    });
    expect(
      readAccountConnection({ ZENDESK_BASE_URL: 'http://127.0.0.1:4010/', ZENDESK_OAUTH_TOKEN: TOKEN }),
    ).toEqual({
      ok: true,
      connection: {
        label: 'http://127.0.0.1:4010',
        target: { baseUrl: 'http://127.0.0.1:4010' },
        auth: { type: 'oauth', accessToken: TOKEN },
      },
    });
  });

  it('says what to set when no account is named, credentials or not', () => {
    expect(readAccountConnection({})).toEqual({ ok: false, problems: [NO_ACCOUNT] });
    expect(readAccountConnection({ ZENDESK_OAUTH_TOKEN: TOKEN, ZENDESK_SUBDOMAIN: '  ' })).toEqual({
      ok: false,
      problems: [NO_ACCOUNT],
    });
  });

  it('reports every bad variable at once and never a secret, even one inside a URL', () => {
    const result = readAccountConnection({
      ZENDESK_SUBDOMAIN: 'acme corp',
      ZENDESK_BASE_URL: `ftp://admin:${TOKEN}@acme.test`,
      ZENDESK_OAUTH_TOKEN: TOKEN,
      ZENDESK_API_TOKEN: TOKEN,
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        'ZENDESK_SUBDOMAIN and ZENDESK_BASE_URL: give one, not both',
        'ZENDESK_SUBDOMAIN="acme corp": expected the account name, as in <name>.zendesk.com',
        'ZENDESK_BASE_URL: expected an http(s) URL',
        'ZENDESK_OAUTH_TOKEN and ZENDESK_EMAIL/ZENDESK_API_TOKEN: use one way to authenticate',
      ],
    });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('needs both halves of an API token, and some credentials with an account', () => {
    expect(readAccountConnection({ ZENDESK_SUBDOMAIN: 'acme', ZENDESK_API_TOKEN: TOKEN })).toEqual({
      ok: false,
      problems: ['ZENDESK_EMAIL: expected the email of the user the API token acts as'],
    });
    expect(readAccountConnection({ ZENDESK_SUBDOMAIN: 'acme', ZENDESK_EMAIL: 'admin@acme.test' })).toEqual({
      ok: false,
      problems: ['ZENDESK_API_TOKEN: required with ZENDESK_EMAIL'],
    });
    expect(readAccountConnection({ ZENDESK_SUBDOMAIN: 'acme' })).toEqual({
      ok: false,
      problems: ['ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN: required with a Zendesk account'],
    });
  });

  it('keeps the user and password of a base URL out of the address it prints', () => {
    const result = readAccountConnection({
      ZENDESK_BASE_URL: `https://someone:${TOKEN}@acme.example/api`,
      ZENDESK_OAUTH_TOKEN: 'other-token',
    });
    expect(result).toMatchObject({
      ok: true,
      connection: { label: 'https://acme.example', target: { baseUrl: 'https://acme.example' } },
    });
  });
});
