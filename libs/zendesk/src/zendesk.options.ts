import type { BudgetClock } from './rate-budget';

/**
 * How the client proves who it is (section 2); email + password is not offered. `oauth` is an
 * access token that does not expire; `oauth_refresh` an expiring one with its refresh token and
 * OAuth client (section 2.1), refreshed as needed, each new pair kept in `tokenStorePath`.
 */
export type ZendeskAuth =
  | { type: 'api_token'; email: string; token: string }
  | { type: 'oauth'; accessToken: string }
  | {
      type: 'oauth_refresh';
      clientId: string;
      clientSecret: string;
      refreshToken: string;
      /** The access token issued with `refreshToken`, if at hand; else the first call refreshes. */
      accessToken?: string;
      /** A file for the newest pair (written atomically, mode 0600); unset keeps it in memory. */
      tokenStorePath?: string;
    };

/** Options of `ZendeskClient`; only the account and the credentials are required. */
export interface ZendeskClientOptions {
  /** `acme` for https://acme.zendesk.com. Give this or `baseUrl`. */
  subdomain?: string;
  /** The account's base URL, e.g. a simulator's `http://127.0.0.1:4010`. */
  baseUrl?: string;
  auth: ZendeskAuth;
  /** Requests allowed per `budgetWindowMs` (default 180: 10% under Zendesk's 200/min). */
  requestsPerMinute?: number;
  /** The budget's sliding window (default 60,000 ms; tests shorten it). */
  budgetWindowMs?: number;
  /**
   * Users API calls allowed per `budgetWindowMs` (default 60). The Users API is a Support API with
   * the plan's own limit, so it has a budget of its own and never takes omnichannel calls.
   */
  usersRequestsPerMinute?: number;
  /** Calls that may wait for budget at once before new ones are refused (default 10,000). */
  maxQueuedRequests?: number;
  /**
   * The share of the budget targeted reads (single agents, job polls) may hold, in (0, 1]
   * (default 0.5), so full resyncs and writes always find room.
   */
  readShare?: number;
  /** Time limit of one HTTP attempt (default 10,000 ms). */
  timeoutMs?: number;
  retry?: {
    /** Attempts of an idempotent call that fails with a retryable error (default 4). */
    maxAttempts?: number;
    /** Times one call may be answered 429 before giving up (default 5). */
    maxRateLimitedAttempts?: number;
    baseDelayMs?: number;
    maxDelayMs?: number;
  };
  breaker?: {
    /** Share of failed attempts in the rolling window that opens the breaker (default 50). */
    errorThresholdPercentage?: number;
    /** Attempts in the window before the breaker may open (default 10). */
    volumeThreshold?: number;
    /** Time the breaker stays open before letting one trial call through (default 30,000 ms). */
    resetTimeoutMs?: number;
    /** The breaker's rolling statistics window (default 10,000 ms). */
    rollingWindowMs?: number;
  };
  /** Longest pause accepted from a `Retry-After` header (default 300 s). */
  maxRetryAfterS?: number;
  /** Time source for the budget, timeouts and backoff (tests inject one). */
  clock?: BudgetClock;
  /** Random source in [0, 1) for backoff jitter (tests inject one). */
  random?: () => number;
  userAgent?: string;
}

/** Options with every default filled in. */
export interface ResolvedZendeskOptions {
  baseUrl: string;
  auth: ZendeskAuth;
  requestsPerMinute: number;
  budgetWindowMs: number;
  usersRequestsPerMinute: number;
  maxQueuedRequests: number;
  readShare: number;
  timeoutMs: number;
  retry: { maxAttempts: number; maxRateLimitedAttempts: number; baseDelayMs: number; maxDelayMs: number };
  breaker: {
    errorThresholdPercentage: number;
    volumeThreshold: number;
    resetTimeoutMs: number;
    rollingWindowMs: number;
  };
  maxRetryAfterS: number;
  random: () => number;
  userAgent: string;
}

/** Checks options and fills defaults; throws one error listing every bad option (never a secret). */
export function resolveZendeskOptions(options: ZendeskClientOptions): ResolvedZendeskOptions {
  const problems: string[] = [];
  const positive = (name: string, value: number | undefined, fallback: number, integer = true): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      problems.push(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
      return fallback;
    }
    return value;
  };
  let baseUrl = '';
  if (options.baseUrl !== undefined && options.subdomain !== undefined) {
    problems.push('give either subdomain or baseUrl, not both');
  } else if (options.subdomain !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(options.subdomain)) problems.push('subdomain must look like "acme"');
    baseUrl = `https://${options.subdomain}.zendesk.com`;
  } else if (options.baseUrl !== undefined) {
    try {
      const url = new URL(options.baseUrl);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
      baseUrl = url.origin;
    } catch {
      problems.push('baseUrl must be an http(s) URL');
    }
  } else {
    problems.push('subdomain or baseUrl is required');
  }
  const auth = options.auth as ZendeskAuth | undefined;
  if (!auth) problems.push('auth is required');
  else if (auth.type === 'api_token') {
    if (!/^[^\s@]+@[^\s@]+$/.test(auth.email ?? '')) problems.push('auth.email must be an email address');
    if (!auth.token) problems.push('auth.token is required');
  } else if (auth.type === 'oauth') {
    if (!auth.accessToken) problems.push('auth.accessToken is required');
  } else if (auth.type === 'oauth_refresh') {
    if (!auth.clientId) problems.push('auth.clientId is required');
    if (!auth.clientSecret) problems.push('auth.clientSecret is required');
    if (!auth.refreshToken) problems.push('auth.refreshToken is required');
  } else {
    problems.push('auth.type must be "api_token", "oauth" or "oauth_refresh"');
  }
  const readShare = options.readShare ?? 0.5;
  if (!(readShare > 0 && readShare <= 1)) problems.push('readShare must be in (0, 1]');
  const percentage = options.breaker?.errorThresholdPercentage ?? 50;
  if (!(percentage > 0 && percentage <= 100))
    problems.push('breaker.errorThresholdPercentage must be in (0, 100]');
  const resolved: ResolvedZendeskOptions = {
    baseUrl,
    auth: auth!,
    requestsPerMinute: positive('requestsPerMinute', options.requestsPerMinute, 180),
    budgetWindowMs: positive('budgetWindowMs', options.budgetWindowMs, 60_000),
    usersRequestsPerMinute: positive('usersRequestsPerMinute', options.usersRequestsPerMinute, 60),
    maxQueuedRequests: positive('maxQueuedRequests', options.maxQueuedRequests, 10_000),
    readShare,
    timeoutMs: positive('timeoutMs', options.timeoutMs, 10_000),
    retry: {
      maxAttempts: positive('retry.maxAttempts', options.retry?.maxAttempts, 4),
      maxRateLimitedAttempts: positive(
        'retry.maxRateLimitedAttempts',
        options.retry?.maxRateLimitedAttempts,
        5,
      ),
      baseDelayMs: positive('retry.baseDelayMs', options.retry?.baseDelayMs, 500),
      maxDelayMs: positive('retry.maxDelayMs', options.retry?.maxDelayMs, 15_000),
    },
    breaker: {
      errorThresholdPercentage: percentage,
      volumeThreshold: positive('breaker.volumeThreshold', options.breaker?.volumeThreshold, 10),
      resetTimeoutMs: positive('breaker.resetTimeoutMs', options.breaker?.resetTimeoutMs, 30_000),
      rollingWindowMs: positive('breaker.rollingWindowMs', options.breaker?.rollingWindowMs, 10_000),
    },
    maxRetryAfterS: positive('maxRetryAfterS', options.maxRetryAfterS, 300),
    random: options.random ?? Math.random,
    userAgent: options.userAgent ?? 'availability-router',
  };
  if (problems.length > 0) throw new Error(`Invalid Zendesk client options: ${problems.join('; ')}`);
  return resolved;
}

/**
 * The `Authorization` header value of a fixed credential; null for `oauth_refresh`, whose token
 * changes (the token provider sets it per request). Kept out of every log and error.
 */
export function authorizationHeader(auth: ZendeskAuth): string | null {
  switch (auth.type) {
    case 'api_token':
      return `Basic ${Buffer.from(`${auth.email}/token:${auth.token}`, 'utf8').toString('base64')}`;
    case 'oauth':
      return `Bearer ${auth.accessToken}`;
    case 'oauth_refresh':
      return null;
  }
}
