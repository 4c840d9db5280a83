import axios, { type AxiosInstance, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import type { BudgetClock } from './rate-budget';
import { ZendeskError, ZendeskErrorCode } from './zendesk.errors';

/** An access token and the refresh token that replaces it, with their expiry (epoch ms, or unknown). */
export interface OAuthTokenPair {
  readonly accessToken: string | null;
  readonly refreshToken: string;
  readonly accessExpiresAt: number | null;
  readonly refreshExpiresAt: number | null;
  /** When the pair was issued (epoch ms), if known: the refresh is timed from its life. */
  readonly obtainedAt: number | null;
}

/** What the provider reports; never a token. */
export type OAuthTokenEvent =
  | { type: 'refreshed'; accessExpiresAt: Date | null; refreshExpiresAt: Date | null }
  | { type: 'refresh_failed'; message: string; permanent: boolean }
  | { type: 'store_failed'; message: string }
  | { type: 'adopted_stored_pair' };

export interface OAuthTokenProviderOptions {
  /** `https://{subdomain}.zendesk.com/oauth/tokens` (section 2.1). */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The refresh token the operator configured, and optionally the access token issued with it. */
  readonly refreshToken: string;
  readonly accessToken?: string;
  /** Where the newest pair is kept (mode 0600); null keeps it in memory only. */
  readonly storePath: string | null;
  readonly clock: BudgetClock;
  /** Time limit of one token request (default 10,000 ms). */
  readonly timeoutMs?: number;
  /** The HTTP client for the token endpoint (tests inject one); it must send no credentials. */
  readonly http?: AxiosInstance;
}

/** The most a token is refreshed ahead of its expiry; shorter lives refresh at 80% of their life. */
const MAX_REFRESH_AHEAD_MS = 5 * 60_000;
/** After Zendesk refused the refresh token, refreshes are not tried again sooner than this. */
const REFUSED_RETRY_MS = 60_000;
const STORE_VERSION = 1;

/**
 * Zendesk's expiring OAuth tokens (section 2.1): hands out the current access token, refreshes it
 * ahead of its expiry (and once when Zendesk says it expired), one refresh at a time — callers
 * arriving meanwhile wait for it — and stores each new pair atomically before it is used, so a
 * restart starts from the newest pair. Zendesk deletes the old pair on a refresh, so a pair is
 * never used again once replaced.
 */
export class OAuthTokenProvider {
  private pair: OAuthTokenPair;
  /** Identifies the configured refresh token, so a new one from the operator wins over the store. */
  private readonly origin: string;
  private refreshing: Promise<string> | null = null;
  private refusedUntil = 0;
  private refusal: ZendeskError | null = null;
  private readonly http: AxiosInstance;
  private readonly events = new Subject<OAuthTokenEvent>();

  /** Refreshes, failures and store problems as they happen. */
  readonly events$: Observable<OAuthTokenEvent> = this.events.asObservable();

  constructor(private readonly options: OAuthTokenProviderOptions) {
    this.origin = createHash('sha256').update(options.refreshToken).digest('hex');
    this.http =
      options.http ?? axios.create({ timeout: options.timeoutMs ?? 10_000, maxRedirects: 0, proxy: false });
    const configured: OAuthTokenPair = {
      accessToken: options.accessToken ?? null,
      refreshToken: options.refreshToken,
      accessExpiresAt: null,
      refreshExpiresAt: null,
      obtainedAt: null,
    };
    this.pair = this.stored() ?? configured;
  }

  /** The access token to send now; refreshes first when it is missing or about to expire. */
  async token(): Promise<string> {
    if (this.refreshing) return this.refreshing;
    const { accessToken } = this.pair;
    if (accessToken !== null && !this.dueForRefresh(this.pair)) return accessToken;
    return this.refresh();
  }

  /**
   * After Zendesk answered 401 to `sent`: the token to try once more with, or null when another
   * try cannot help. A token replaced meanwhile is simply retried with the new one; the current one
   * is refreshed when Zendesk says it is invalid or its expiry is unknown or near.
   */
  async afterUnauthorized(
    sent: string | null,
    challenge: string | undefined,
    body: unknown,
  ): Promise<string | null> {
    if (this.refreshing) return this.refreshing;
    if (sent !== null && sent !== this.pair.accessToken && this.pair.accessToken !== null)
      return this.pair.accessToken;
    const saysInvalid =
      /invalid_token/i.test(challenge ?? '') ||
      (typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'invalid_token');
    if (!saysInvalid && this.pair.accessExpiresAt !== null && !this.dueForRefresh(this.pair)) return null;
    return this.refresh();
  }

  /** When the current access token expires, if known. */
  accessExpiresAt(): Date | null {
    return this.pair.accessExpiresAt === null ? null : new Date(this.pair.accessExpiresAt);
  }

  close(): void {
    this.events.complete();
  }

  /** Whether `pair`'s access token is within the last fifth of its life (at most 5 minutes). */
  private dueForRefresh(pair: OAuthTokenPair): boolean {
    if (pair.accessExpiresAt === null) return false;
    const life = pair.obtainedAt === null ? Number.POSITIVE_INFINITY : pair.accessExpiresAt - pair.obtainedAt;
    const ahead = Math.min(MAX_REFRESH_AHEAD_MS, Math.max(0, life) / 5);
    return this.options.clock.now() >= pair.accessExpiresAt - ahead;
  }

  /** One refresh at a time: everyone who asks meanwhile gets the same outcome. */
  private refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<string> {
    // Another process with the same DATA_DIR may have refreshed already: its pair is the live one.
    const newer = this.stored();
    if (newer && newer.refreshToken !== this.pair.refreshToken) {
      this.pair = newer;
      this.events.next({ type: 'adopted_stored_pair' });
      if (newer.accessToken !== null && !this.dueForRefresh(newer)) return newer.accessToken;
    }
    const now = this.options.clock.now();
    if (this.refusal && now < this.refusedUntil) throw this.refusal;
    if (this.pair.refreshExpiresAt !== null && now >= this.pair.refreshExpiresAt) {
      throw this.refused(
        `the OAuth refresh token expired at ${new Date(this.pair.refreshExpiresAt).toISOString()}`,
      );
    }
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.post(
        this.options.tokenUrl,
        {
          grant_type: 'refresh_token',
          refresh_token: this.pair.refreshToken,
          client_id: this.options.clientId,
          client_secret: this.options.clientSecret,
        },
        {
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          validateStatus: () => true,
        },
      );
    } catch (error) {
      // The axios error carries the request body, refresh token included: keep only its code.
      const code = (error as { code?: string }).code ?? 'unknown';
      throw this.failed(ZendeskErrorCode.NETWORK, `could not reach the OAuth token endpoint (${code})`);
    }
    if (response.status >= 500 || response.status === 429) {
      throw this.failed(
        response.status === 429 ? ZendeskErrorCode.RATE_LIMITED : ZendeskErrorCode.UPSTREAM,
        `the OAuth token endpoint answered ${response.status}`,
        response.status,
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw this.refused(
        `Zendesk refused the OAuth refresh (${response.status} ${this.reasonOf(response.data)})`,
      );
    }
    const next = this.decode(response.data, this.options.clock.now());
    // Stored before it is used: Zendesk has already deleted the old pair.
    this.persist(next);
    this.pair = next;
    this.refusal = null;
    this.events.next({
      type: 'refreshed',
      accessExpiresAt: next.accessExpiresAt === null ? null : new Date(next.accessExpiresAt),
      refreshExpiresAt: next.refreshExpiresAt === null ? null : new Date(next.refreshExpiresAt),
    });
    return next.accessToken!;
  }

  private decode(data: unknown, now: number): OAuthTokenPair {
    const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const seconds = (key: string): number | null => {
      const value = body[key];
      return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
    };
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw this.failed(ZendeskErrorCode.INVALID_RESPONSE, 'the OAuth token answer has no access_token');
    if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer')
      throw this.failed(ZendeskErrorCode.INVALID_RESPONSE, `the OAuth token answer is not a bearer token`);
    const accessLife = seconds('expires_in');
    const refreshLife = seconds('refresh_token_expires_in');
    const rotated = typeof body.refresh_token === 'string' && body.refresh_token !== '';
    return {
      accessToken: body.access_token,
      // Zendesk always rotates; a server that does not keeps the refresh token it was sent.
      refreshToken: rotated ? (body.refresh_token as string) : this.pair.refreshToken,
      accessExpiresAt: accessLife === null ? null : now + accessLife * 1000,
      refreshExpiresAt:
        refreshLife === null ? (rotated ? null : this.pair.refreshExpiresAt) : now + refreshLife * 1000,
      obtainedAt: now,
    };
  }

  /** The error and description Zendesk gave, without anything that could be a credential. */
  private reasonOf(data: unknown): string {
    const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const text = [body.error, body.error_description ?? body.description]
      .filter((v): v is string => typeof v === 'string')
      .join(': ');
    let clean = text.slice(0, 200);
    for (const secret of [this.pair.refreshToken, this.pair.accessToken, this.options.clientSecret])
      if (secret) clean = clean.split(secret).join('[redacted]');
    return clean || 'no reason given';
  }

  private failed(code: ZendeskErrorCode, reason: string, status?: number): ZendeskError {
    const message = `OAuth token refresh failed: ${reason}`;
    this.events.next({ type: 'refresh_failed', message, permanent: false });
    return new ZendeskError(code, message, { status, request: 'POST /oauth/tokens' });
  }

  /** Zendesk will not take this refresh token again: only the operator can fix it. */
  private refused(reason: string): ZendeskError {
    const message = `OAuth token refresh failed: ${reason}; authorise the OAuth client again and set ZENDESK_OAUTH_REFRESH_TOKEN to the new refresh token`;
    this.events.next({ type: 'refresh_failed', message, permanent: true });
    this.refusal = new ZendeskError(ZendeskErrorCode.UNAUTHORIZED, message, {
      status: 401,
      request: 'POST /oauth/tokens',
    });
    this.refusedUntil = this.options.clock.now() + REFUSED_RETRY_MS;
    return this.refusal;
  }

  /** The stored pair when it descends from the configured refresh token; null otherwise. */
  private stored(): OAuthTokenPair | null {
    const path = this.options.storePath;
    if (path === null) return null;
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      return null;
    }
    try {
      const file = JSON.parse(raw) as Record<string, unknown>;
      if (file.version !== STORE_VERSION || file.origin !== this.origin) return null;
      const time = (key: string) => (typeof file[key] === 'string' ? Date.parse(file[key]) : Number.NaN);
      if (typeof file.refresh_token !== 'string' || file.refresh_token === '') return null;
      return {
        accessToken: typeof file.access_token === 'string' ? file.access_token : null,
        refreshToken: file.refresh_token,
        accessExpiresAt: Number.isNaN(time('access_token_expires_at'))
          ? null
          : time('access_token_expires_at'),
        refreshExpiresAt: Number.isNaN(time('refresh_token_expires_at'))
          ? null
          : time('refresh_token_expires_at'),
        obtainedAt: Number.isNaN(time('obtained_at')) ? null : time('obtained_at'),
      };
    } catch {
      this.events.next({
        type: 'store_failed',
        message: `${path} is not a token file this client wrote; ignored`,
      });
      return null;
    }
  }

  /** Write to a temporary file, fsync, rename over the old one, fsync the directory: all or nothing. */
  private persist(pair: OAuthTokenPair): void {
    const path = this.options.storePath;
    if (path === null) return;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const body = `${JSON.stringify(
      {
        version: STORE_VERSION,
        origin: this.origin,
        access_token: pair.accessToken,
        refresh_token: pair.refreshToken,
        access_token_expires_at: iso(pair.accessExpiresAt),
        refresh_token_expires_at: iso(pair.refreshExpiresAt),
        obtained_at: iso(pair.obtainedAt),
      },
      null,
      2,
    )}\n`;
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fd = openSync(temporary, 'w', 0o600);
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path);
      const dir = openSync(dirname(path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (error) {
      try {
        unlinkSync(temporary);
      } catch {
        // Never created, or already renamed.
      }
      const code = (error as { code?: string }).code ?? String(error);
      this.events.next({
        type: 'store_failed',
        message: `could not store the new OAuth token pair in ${path} (${code}): it is used from memory, and a restart will need a new refresh token`,
      });
    }
  }
}

const RETRIED = Symbol('oauth-retried');

/**
 * Sends every request of `instance` with the provider's current token, and retries a request once
 * with a new token when Zendesk answers 401 for an expired one.
 */
export function useOAuthTokens(instance: AxiosInstance, tokens: OAuthTokenProvider): void {
  instance.interceptors.request.use(async (config) => {
    config.headers.set('Authorization', `Bearer ${await tokens.token()}`);
    return config;
  });
  instance.interceptors.response.use(async (response) => {
    const config = response.config as InternalAxiosRequestConfig & { [RETRIED]?: boolean };
    if (response.status !== 401 || config[RETRIED]) return response;
    const sent = /^Bearer (.+)$/.exec(String(config.headers.get('Authorization') ?? ''))?.[1] ?? null;
    const challenge = response.headers['www-authenticate'] as string | undefined;
    const next = await tokens.afterUnauthorized(sent, challenge, response.data);
    if (next === null) return response;
    return instance.request({ ...config, [RETRIED]: true } as InternalAxiosRequestConfig);
  });
}
