import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ZendeskAuth } from '@app/zendesk';

/** Where Zendesk is: a real account, or the simulator the router starts itself. */
export type ZendeskTarget =
  | { kind: 'account'; subdomain: string; auth: ZendeskAuth }
  | { kind: 'embedded' }
  | { kind: 'url'; baseUrl: string; auth: ZendeskAuth };

/** The router's settings, read once from the environment, grouped by area; units in the names. */
export interface RouterConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string | null;
    /** One reverse proxy in front: its X-Forwarded-Proto and X-Forwarded-For are believed. */
    readonly trustProxy: boolean;
  };
  readonly api: {
    readonly token: string;
    readonly tokenGenerated: boolean;
    /** How long a dashboard session lasts from sign-in. */
    readonly sessionTtlS: number;
  };
  readonly zendesk: {
    readonly target: ZendeskTarget;
    readonly requestsPerMin: number;
    /** The share of `requestsPerMin` targeted reads may use, in percent. */
    readonly readSharePct: number;
    /** Users API calls per minute: the Support API's own limit, not the omnichannel one. */
    readonly usersRequestsPerMin: number;
    /** Secrets accepted on incoming webhooks (several while rotating). */
    readonly webhookSecrets: readonly string[];
    readonly webhookSecretGenerated: boolean;
    /** Where `webhookSecrets` come from; `webhooks_api`: the router subscribes itself at start. */
    readonly webhookSecretSource: WebhookSecretSource;
    readonly webhookMaxSkewS: number;
    readonly webhookMaxBodyBytes: number;
  };
  readonly sync: {
    readonly resyncIntervalS: number;
    readonly statusRefreshS: number;
    readonly capacityRefreshS: number;
    /** How often the names, emails and time zones of every agent are read again (Users API). */
    readonly usersRefreshS: number;
    readonly evaluationIntervalS: number;
  };
  readonly safety: {
    /** Against a real account the router only records what it would do until this is switched on. */
    readonly enforce: boolean;
    readonly humanHoldS: number;
    readonly maxChangesPerMin: number;
    readonly minOnlinePerGroup: number;
  };
  readonly storage: { readonly dataDir: string; readonly rulesDir: string };
  /** `allowEmpty`: the router may start (and reload) with a rule set of no rules. */
  readonly rules: { readonly allowEmpty: boolean };
  /** pino level of the logs: fatal, error, warn, info, debug, trace or silent. */
  readonly logLevel: string;
  /** Readable lines (`pretty`), JSON lines (`json`), or pretty when stdout is a terminal (`auto`). */
  readonly logFormat: 'auto' | 'pretty' | 'json';
}

/**
 * `environment`: ZENDESK_WEBHOOK_SECRET; `file`: stored by `npm run setup-webhook`; `generated`: made
 * up for the embedded simulator; `webhooks_api`: read from the Webhooks API at start, after the
 * router has created or updated its webhook (a server given by ZENDESK_BASE_URL that is not a
 * Zendesk account, such as a simulator run on its own).
 */
export type WebhookSecretSource = 'environment' | 'file' | 'generated' | 'webhooks_api';

/** Whether `baseUrl` is a real Zendesk account, which the router never changes unasked. */
export function isZendeskAccountUrl(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return host === 'zendesk.com' || host.endsWith('.zendesk.com');
}

/** Whether `host` is a loopback address, so that the router's own address is reachable there. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Where `npm run setup-webhook` stores the webhook signing secret, and the router finds it. */
export function webhookSecretPath(dataDir: string): string {
  return join(dataDir, 'webhook-secret');
}

/** Where the router keeps the newest OAuth token pair (section 2.1), readable by its owner only. */
export function oauthTokenPath(dataDir: string): string {
  return join(dataDir, 'oauth-tokens.json');
}

/** Raised with every bad key at once; never holds a secret's value. */
export class RouterConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid router configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RouterConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** `forWebhookSetup`: for `npm run setup-webhook`, which makes the secret a real account lacks. */
export interface LoadOptions {
  readonly forWebhookSetup?: boolean;
}

/**
 * Reads and validates the environment (see the README's configuration table). With no Zendesk
 * account configured the router runs against the embedded simulator and enforces; against a
 * real account it stays in shadow mode until `ENFORCE=on`.
 */
export function loadRouterConfig(env: Env = process.env, options: LoadOptions = {}): RouterConfig {
  const problems: string[] = [];
  const read = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value ? value : undefined;
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = read(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${key}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const raw = read(key)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'off', 'no'].includes(raw)) return false;
    problems.push(`${key}=${JSON.stringify(raw)}: expected on/off, true/false, yes/no or 1/0`);
    return fallback;
  };
  const oneOf = (key: string, allowed: readonly string[], fallback: string): string => {
    const raw = read(key)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw)) {
      problems.push(`${key}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw;
  };
  const secret = (key: string, minLength = 8): string | undefined => {
    const value = read(key);
    if (value !== undefined && value.length < minLength)
      problems.push(`${key}: expected at least ${minLength} characters`);
    return value;
  };
  const url = (key: string): string | null => {
    const raw = read(key);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${key}=${JSON.stringify(raw)}: expected an http(s) URL`);
      return null;
    }
  };

  const subdomain = read('ZENDESK_SUBDOMAIN');
  const baseUrl = url('ZENDESK_BASE_URL');
  const email = read('ZENDESK_EMAIL');
  const apiToken = secret('ZENDESK_API_TOKEN');
  const oauthToken = secret('ZENDESK_OAUTH_TOKEN');
  if (subdomain !== undefined && !/^[a-z0-9][a-z0-9-]*$/i.test(subdomain)) {
    problems.push(
      `ZENDESK_SUBDOMAIN=${JSON.stringify(subdomain)}: expected the account name, as in <name>.zendesk.com`,
    );
  }
  if (subdomain && baseUrl) problems.push('ZENDESK_SUBDOMAIN and ZENDESK_BASE_URL: give one, not both');
  // Expiring OAuth tokens (section 2.1): the OAuth client and a refresh token, which rotates.
  const oauthClientId = read('ZENDESK_OAUTH_CLIENT_ID');
  const oauthClientSecret = secret('ZENDESK_OAUTH_CLIENT_SECRET');
  const oauthRefreshToken = secret('ZENDESK_OAUTH_REFRESH_TOKEN');
  const refreshing = Boolean(oauthClientId || oauthClientSecret || oauthRefreshToken);
  let auth: ZendeskAuth | null = null;
  if ((oauthToken || refreshing) && (email || apiToken))
    problems.push('ZENDESK_OAUTH_* and ZENDESK_EMAIL/ZENDESK_API_TOKEN: use one way to authenticate');
  else if (refreshing) {
    const missing = [
      ['ZENDESK_OAUTH_CLIENT_ID', oauthClientId],
      ['ZENDESK_OAUTH_CLIENT_SECRET', oauthClientSecret],
      ['ZENDESK_OAUTH_REFRESH_TOKEN', oauthRefreshToken],
    ].filter(([, value]) => !value);
    for (const [key] of missing)
      problems.push(
        `${key}: required for expiring OAuth tokens (with ZENDESK_OAUTH_CLIENT_ID, ZENDESK_OAUTH_CLIENT_SECRET and ZENDESK_OAUTH_REFRESH_TOKEN)`,
      );
    if (missing.length === 0)
      auth = {
        type: 'oauth_refresh',
        clientId: oauthClientId!,
        clientSecret: oauthClientSecret!,
        refreshToken: oauthRefreshToken!,
        ...(oauthToken ? { accessToken: oauthToken } : {}),
        tokenStorePath: oauthTokenPath(read('DATA_DIR') ?? './data'),
      };
  } else if (oauthToken) auth = { type: 'oauth', accessToken: oauthToken };
  else if (email || apiToken) {
    if (!email || !/^[^\s@]+@[^\s@]+$/.test(email))
      problems.push('ZENDESK_EMAIL: expected the email of the user the API token acts as');
    if (!apiToken) problems.push('ZENDESK_API_TOKEN: required with ZENDESK_EMAIL');
    if (email && apiToken) auth = { type: 'api_token', email, token: apiToken };
  }
  const external = Boolean(subdomain || baseUrl);
  if (external && !auth && !problems.some((p) => p.startsWith('ZENDESK_'))) {
    problems.push(
      'ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN: required with a Zendesk account',
    );
  }
  if (!external && auth)
    problems.push('Zendesk credentials are set but no account: set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)');

  const dataDir = read('DATA_DIR') ?? './data';
  const host = read('HOST') ?? '127.0.0.1';
  const publicUrl = url('PUBLIC_URL');
  const realAccount = Boolean(subdomain) || (baseUrl !== null && isZendeskAccountUrl(baseUrl));
  // `npm run setup-webhook` stores the secret here; the environment wins when both are set.
  const storedSecret = existsSync(webhookSecretPath(dataDir))
    ? readFileSync(webhookSecretPath(dataDir), 'utf8').trim()
    : '';
  const secretList = (raw: string) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const envSecrets = secretList(read('ZENDESK_WEBHOOK_SECRET') ?? '');
  let secrets = envSecrets.length > 0 ? envSecrets : secretList(storedSecret);
  let secretSource: WebhookSecretSource = envSecrets.length > 0 ? 'environment' : 'file';
  if (!external) {
    if (secrets.length === 0) {
      secrets = [randomBytes(32).toString('base64')];
      secretSource = 'generated';
    }
  } else if (envSecrets.length === 0 && !realAccount) {
    // Not a Zendesk account (a simulator run on its own): the router subscribes itself at start
    // and reads the secret then, since a stored one may belong to a webhook that is gone.
    secretSource = 'webhooks_api';
    if (!publicUrl && !isLoopbackHost(host))
      problems.push(
        `PUBLIC_URL: required with HOST=${host} (the address at which ${baseUrl ?? 'Zendesk'} reaches this router's webhook), or set ZENDESK_WEBHOOK_SECRET`,
      );
  } else if (secrets.length === 0 && !options.forWebhookSetup) {
    // A real account is never changed unasked, and a secret it does not know would reject every
    // delivery: the operator sets one up.
    problems.push(
      'ZENDESK_WEBHOOK_SECRET: required with a Zendesk account (the webhook signing secret; comma-separate two while rotating), or run npm run setup-webhook',
    );
  }
  const apiTokenValue = secret('ROUTER_API_TOKEN', 16);

  const target: ZendeskTarget =
    !external || !auth
      ? { kind: 'embedded' }
      : subdomain
        ? { kind: 'account', subdomain, auth }
        : { kind: 'url', baseUrl: baseUrl!, auth };

  const config: RouterConfig = {
    http: {
      host,
      port: int('PORT', 3000, 0, 65_535),
      publicUrl,
      trustProxy: bool('TRUST_PROXY', false),
    },
    api: {
      token: apiTokenValue ?? randomBytes(24).toString('base64url'),
      tokenGenerated: apiTokenValue === undefined,
      sessionTtlS: int('SESSION_TTL_S', 43_200, 60, 604_800),
    },
    zendesk: {
      target,
      requestsPerMin: int('ZENDESK_REQUESTS_PER_MIN', 180, 1, 10_000),
      readSharePct: int('ZENDESK_READ_SHARE_PCT', 50, 1, 100),
      usersRequestsPerMin: int('ZENDESK_USERS_REQUESTS_PER_MIN', 60, 1, 10_000),
      webhookSecrets: secrets,
      webhookSecretGenerated: secretSource === 'generated',
      webhookSecretSource: secretSource,
      webhookMaxSkewS: int('WEBHOOK_MAX_SKEW_S', 300, 1, 3_600),
      webhookMaxBodyBytes: int('WEBHOOK_MAX_BODY_BYTES', 1_048_576, 1_024, 16_777_216),
    },
    sync: {
      resyncIntervalS: int('RESYNC_INTERVAL_S', 300, 10, 86_400),
      statusRefreshS: int('STATUS_REFRESH_S', 900, 10, 86_400),
      capacityRefreshS: int('CAPACITY_REFRESH_S', 300, 10, 86_400),
      usersRefreshS: int('USERS_REFRESH_S', 3_600, 60, 604_800),
      evaluationIntervalS: int('EVALUATION_INTERVAL_S', 30, 1, 3_600),
    },
    safety: {
      enforce: bool('ENFORCE', !external),
      humanHoldS: int('HUMAN_HOLD_S', 600, 0, 86_400),
      maxChangesPerMin: int('MAX_CHANGES_PER_MIN', 60, 1, 10_000),
      minOnlinePerGroup: int('MIN_ONLINE_PER_GROUP', 1, 0, 10_000),
    },
    storage: { dataDir, rulesDir: read('RULES_DIR') ?? './rules' },
    rules: { allowEmpty: bool('RULES_ALLOW_EMPTY', false) },
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    logFormat: oneOf('LOG_FORMAT', ['auto', 'pretty', 'json'], 'auto') as RouterConfig['logFormat'],
  };
  if (problems.length > 0) throw new RouterConfigError(problems);
  return Object.freeze(config);
}
