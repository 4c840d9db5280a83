import type { ZendeskAuth } from '@app/zendesk';

/** The Zendesk account `rules check --account` reads, named by the variables the router reads. */
export interface AccountConnection {
  /** Where the account is, for messages: `acme.zendesk.com` or a base URL's origin; never a secret. */
  readonly label: string;
  readonly target: { readonly subdomain: string } | { readonly baseUrl: string };
  readonly auth: ZendeskAuth;
}

/** The connection, or every problem with the environment at once (never a secret's value). */
export type AccountConnectionResult =
  { ok: true; connection: AccountConnection } | { ok: false; problems: string[] };

type Env = Readonly<Record<string, string | undefined>>;

/** What to say when the environment names no account at all. */
export const NO_ACCOUNT =
  'check --account needs a Zendesk account: set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) and ZENDESK_EMAIL + ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN, as for the router';

/**
 * Reads ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL, and ZENDESK_EMAIL + ZENDESK_API_TOKEN or
 * ZENDESK_OAUTH_TOKEN, with the router's rules for them (see the root README), so the same
 * environment that runs the router checks its rules.
 */
export function readAccountConnection(env: Env): AccountConnectionResult {
  const read = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value ? value : undefined;
  };
  const subdomain = read('ZENDESK_SUBDOMAIN');
  const rawUrl = read('ZENDESK_BASE_URL');
  const email = read('ZENDESK_EMAIL');
  const apiToken = read('ZENDESK_API_TOKEN');
  const oauthToken = read('ZENDESK_OAUTH_TOKEN');
  if (!subdomain && !rawUrl) return { ok: false, problems: [NO_ACCOUNT] };

  const problems: string[] = [];
  if (subdomain && rawUrl) problems.push('ZENDESK_SUBDOMAIN and ZENDESK_BASE_URL: give one, not both');
  if (subdomain !== undefined && !/^[a-z0-9][a-z0-9-]*$/i.test(subdomain))
    problems.push(
      `ZENDESK_SUBDOMAIN=${JSON.stringify(subdomain)}: expected the account name, as in <name>.zendesk.com`,
    );
  let origin: string | null = null;
  if (rawUrl !== undefined) {
    try {
      const url = new URL(rawUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      origin = url.origin;
    } catch {
      // The value is not echoed: a URL may carry a user and password.
      problems.push('ZENDESK_BASE_URL: expected an http(s) URL');
    }
  }
  let auth: ZendeskAuth | null = null;
  if (oauthToken && (email || apiToken))
    problems.push('ZENDESK_OAUTH_TOKEN and ZENDESK_EMAIL/ZENDESK_API_TOKEN: use one way to authenticate');
  else if (oauthToken) auth = { type: 'oauth', accessToken: oauthToken };
  else if (email || apiToken) {
    if (!email || !/^[^\s@]+@[^\s@]+$/.test(email))
      problems.push('ZENDESK_EMAIL: expected the email of the user the API token acts as');
    if (!apiToken) problems.push('ZENDESK_API_TOKEN: required with ZENDESK_EMAIL');
    if (email && apiToken) auth = { type: 'api_token', email, token: apiToken };
  } else {
    problems.push(
      'ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN: required with a Zendesk account',
    );
  }
  if (problems.length > 0 || !auth) return { ok: false, problems };
  const connection: AccountConnection = subdomain
    ? { label: `${subdomain}.zendesk.com`, target: { subdomain }, auth }
    : { label: origin!, target: { baseUrl: origin! }, auth };
  return { ok: true, connection };
}
