import type { AxiosInstance, AxiosResponse } from 'axios';
import CircuitBreaker from 'opossum';
import { Subject, type Observable } from 'rxjs';
import {
  type AccountBudgetReport,
  type BudgetClock,
  type BudgetPermit,
  type RateBudget,
  type RequestPriority,
} from './rate-budget';
import { errorMessageOf, type DecodeDrop } from './zendesk.decoder';
import { ZendeskError, ZendeskErrorCode, codeForStatus } from './zendesk.errors';
import type { ResolvedZendeskOptions } from './zendesk.options';

/** One call to Zendesk, described once and sent (maybe several times) by `ZendeskHttp`. */
export interface ZendeskRequest {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the account (`/api/v2/...`) or a full URL Zendesk gave us (`links.next`). */
  url: string;
  query?: Record<string, string>;
  body?: unknown;
  priority: RequestPriority;
  /** Whether sending it twice is harmless; only such calls are retried. */
  idempotent: boolean;
  /** A stable name for metrics, e.g. `availability.list`. */
  endpoint: string;
  signal?: AbortSignal;
}

/** The circuit breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What the client reports as it works, for logs, metrics and health. */
export type ZendeskClientEvent =
  | {
      type: 'response';
      endpoint: string;
      method: string;
      status: number;
      durationMs: number;
      attempt: number;
    }
  | {
      type: 'failure';
      endpoint: string;
      method: string;
      code: ZendeskErrorCode;
      status: number | null;
      durationMs: number;
      attempt: number;
    }
  | { type: 'breaker'; state: BreakerState }
  | { type: 'rate_limited'; endpoint: string; retryAfterS: number }
  | { type: 'retry'; endpoint: string; attempt: number; delayMs: number; code: ZendeskErrorCode }
  /** Zendesk's clock (its `Date` header) minus ours; sent when it moves by a second or more. */
  | { type: 'clock_offset'; offsetMs: number }
  /** A part of an answer the decoder left out instead of failing the call (see `DecodeDrop`). */
  | { type: 'decode_dropped'; endpoint: string; drop: DecodeDrop };

interface Answer {
  status: number;
  data: unknown;
}

/** How far Zendesk's clock is from ours, from the `Date` header of its last answer that had one. */
export interface ClockOffset {
  /** Zendesk's time minus ours, in ms (positive: Zendesk is ahead); good to about a second. */
  offsetMs: number;
  observedAt: Date;
}

/**
 * Sends requests to one Zendesk account as `retry(budget(breaker(attempt)))`: retries outside
 * (so a retry waits for budget like any call), then the rate budget (queued calls are never
 * counted by the breaker as slow), then the breaker around exactly one HTTP attempt with its own
 * timeout that really cancels the request.
 */
export class ZendeskHttp {
  private readonly breaker: CircuitBreaker<[ZendeskRequest, BudgetPermit], Answer>;
  private readonly events = new Subject<ZendeskClientEvent>();
  private readonly origin: string;
  private closed = false;
  private clockOffset: ClockOffset | null = null;
  private reportedOffsetMs: number | null = null;

  /** Everything the client does, as it happens. */
  readonly events$: Observable<ZendeskClientEvent> = this.events.asObservable();

  constructor(
    private readonly options: ResolvedZendeskOptions,
    private readonly axios: AxiosInstance,
    readonly budget: RateBudget,
    private readonly clock: BudgetClock,
  ) {
    this.origin = new URL(options.baseUrl).origin;
    this.breaker = new CircuitBreaker(
      (request: ZendeskRequest, permit: BudgetPermit) => this.attempt(request, permit),
      {
        // Our own per-attempt timeout aborts the socket; opossum's would leave the request running.
        timeout: false,
        errorThresholdPercentage: options.breaker.errorThresholdPercentage,
        volumeThreshold: options.breaker.volumeThreshold,
        resetTimeout: options.breaker.resetTimeoutMs,
        rollingCountTimeout: options.breaker.rollingWindowMs,
        // A 4xx (429 included) is Zendesk working as designed, not Zendesk failing.
        errorFilter: (error: unknown) =>
          error instanceof ZendeskError &&
          error.status !== undefined &&
          error.status >= 400 &&
          error.status < 500,
      },
    );
    this.breaker.on('open', () => this.events.next({ type: 'breaker', state: 'open' }));
    this.breaker.on('halfOpen', () => this.events.next({ type: 'breaker', state: 'half_open' }));
    this.breaker.on('close', () => this.events.next({ type: 'breaker', state: 'closed' }));
  }

  /** Zendesk's clock minus ours, from its last answer with a `Date` header; null before one. */
  zendeskClockOffset(): ClockOffset | null {
    return this.clockOffset;
  }

  breakerState(): BreakerState {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** Sends `request`, retrying idempotent calls on retryable failures with jittered backoff. */
  async send(request: ZendeskRequest): Promise<Answer> {
    const { maxAttempts, maxRateLimitedAttempts } = this.options.retry;
    let failures = 0;
    let rateLimited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.throughBudget(request, attempt);
      } catch (error) {
        if (!(error instanceof ZendeskError) || !request.idempotent || !error.retryable) throw error;
        if (error.code === ZendeskErrorCode.RATE_LIMITED) {
          // The budget already pauses every call until Retry-After; just queue again.
          if (++rateLimited >= maxRateLimitedAttempts) throw error;
          this.events.next({
            type: 'retry',
            endpoint: request.endpoint,
            attempt,
            delayMs: 0,
            code: error.code,
          });
          continue;
        }
        failures++;
        const limit = error.code === ZendeskErrorCode.CONFLICT ? 2 : maxAttempts;
        if (failures >= limit || this.breaker.opened) throw error;
        const delayMs = this.backoff(failures);
        this.events.next({ type: 'retry', endpoint: request.endpoint, attempt, delayMs, code: error.code });
        await this.wait(delayMs, request.signal);
      }
    }
  }

  /** Stops all work: queued calls fail with UNAVAILABLE. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.budget.close(new ZendeskError(ZendeskErrorCode.UNAVAILABLE, 'The Zendesk client was closed'));
    this.breaker.shutdown();
    this.events.complete();
  }

  private async throughBudget(request: ZendeskRequest, attempt: number): Promise<Answer> {
    if (this.closed) throw new ZendeskError(ZendeskErrorCode.UNAVAILABLE, 'The Zendesk client was closed');
    // Fail fast while open, before spending budget on a call that would not be sent.
    if (this.breaker.opened) throw this.circuitOpen(request);
    let permit;
    try {
      permit = await this.budget.acquire(request.priority, request.signal);
    } catch (error) {
      if (error instanceof ZendeskError) throw error;
      const code = (error as { code?: string }).code;
      throw new ZendeskError(
        ZendeskErrorCode.UNAVAILABLE,
        code === 'BUDGET_QUEUE_FULL'
          ? 'Too many Zendesk calls are waiting for budget'
          : 'The Zendesk call was cancelled',
        { request: describe(request), cause: error },
      );
    }
    const started = performance.now();
    try {
      const answer = await this.breaker.fire(request, permit);
      this.events.next({
        type: 'response',
        endpoint: request.endpoint,
        method: request.method,
        status: answer.status,
        durationMs: performance.now() - started,
        attempt,
      });
      return answer;
    } catch (error) {
      const failure =
        error instanceof ZendeskError
          ? error
          : (error as { code?: string }).code === 'EOPENBREAKER'
            ? this.circuitOpen(request)
            : new ZendeskError(ZendeskErrorCode.NETWORK, 'The Zendesk call failed', {
                request: describe(request),
              });
      this.events.next({
        type: 'failure',
        endpoint: request.endpoint,
        method: request.method,
        code: failure.code,
        status: failure.status ?? null,
        durationMs: performance.now() - started,
        attempt,
      });
      throw failure;
    } finally {
      permit.done();
    }
  }

  /**
   * Exactly one HTTP exchange, cancelled for real when it takes longer than the timeout. What the
   * answer says about the account's budget goes to `permit`; its `Date`, to the clock offset.
   */
  private async attempt(request: ZendeskRequest, permit: BudgetPermit): Promise<Answer> {
    const timeout = new AbortController();
    const timer = this.clock.setTimer(() => timeout.abort(), this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    let response: AxiosResponse<unknown>;
    const sentAt = this.clock.now();
    try {
      response = await this.axios.request({
        method: request.method,
        url: this.resolve(request.url),
        params: request.query,
        data: request.body,
        signal,
        validateStatus: () => true,
      });
    } catch (error) {
      // An OAuth refresh that failed before the request went out says why itself.
      if (error instanceof ZendeskError) throw error;
      if (timeout.signal.aborted) {
        throw new ZendeskError(
          ZendeskErrorCode.TIMEOUT,
          `Zendesk did not answer within ${this.options.timeoutMs} ms`,
          {
            request: describe(request),
          },
        );
      }
      if (request.signal?.aborted) {
        throw new ZendeskError(ZendeskErrorCode.UNAVAILABLE, 'The Zendesk call was cancelled', {
          request: describe(request),
        });
      }
      // The axios error carries the request headers, credentials included: keep only its code.
      const code = (error as { code?: string }).code ?? 'unknown';
      throw new ZendeskError(ZendeskErrorCode.NETWORK, `Could not reach Zendesk (${code})`, {
        request: describe(request),
      });
    } finally {
      this.clock.clearTimer(timer);
    }
    this.noteClock(response.headers['date'], sentAt, this.clock.now());
    permit.observe(
      response.status === 429
        ? { remaining: 0, resetMs: this.rateLimitWaitS(response) * 1000 }
        : accountBudgetOf(response.headers),
    );
    if (response.status >= 200 && response.status < 300)
      return { status: response.status, data: response.data };
    throw this.statusError(request, response);
  }

  private statusError(request: ZendeskRequest, response: AxiosResponse<unknown>): ZendeskError {
    const retryAfterS = parseRetryAfter(response.headers['retry-after']);
    if (response.status === 429) {
      const waitS = this.rateLimitWaitS(response);
      this.budget.pauseUntil(this.clock.now() + waitS * 1000);
      this.events.next({ type: 'rate_limited', endpoint: request.endpoint, retryAfterS: waitS });
    }
    const detail = response.status === 429 ? null : errorMessageOf(response.data);
    const message = `Zendesk answered ${response.status} to ${describe(request)}${detail ? `: ${detail}` : ''}`;
    return new ZendeskError(codeForStatus(response.status), message, {
      status: response.status,
      retryAfterS: retryAfterS ?? (response.status === 429 ? 60 : undefined),
      request: describe(request),
    });
  }

  /** Seconds a 429 asks us to wait: `Retry-After` (60 when missing), at most `maxRetryAfterS`. */
  private rateLimitWaitS(response: AxiosResponse<unknown>): number {
    return Math.min(parseRetryAfter(response.headers['retry-after']) ?? 60, this.options.maxRetryAfterS);
  }

  /**
   * Takes Zendesk's clock from a `Date` header (whole seconds): the answer was made between
   * sending and receiving, so the middle of that span, half a second into the header's second,
   * is the best guess of the same moment on our clock.
   */
  private noteClock(header: unknown, sentAt: number, receivedAt: number): void {
    const zendeskAt = typeof header === 'string' ? Date.parse(header) : NaN;
    if (Number.isNaN(zendeskAt)) return;
    const offsetMs = Math.round(zendeskAt + 500 - (sentAt + receivedAt) / 2);
    this.clockOffset = { offsetMs, observedAt: new Date(receivedAt) };
    if (this.reportedOffsetMs === null || Math.abs(offsetMs - this.reportedOffsetMs) >= 1_000) {
      this.reportedOffsetMs = offsetMs;
      this.events.next({ type: 'clock_offset', offsetMs });
    }
  }

  /** Never sends credentials anywhere but the configured account. */
  private resolve(url: string): string {
    const absolute = new URL(url, this.options.baseUrl);
    if (absolute.origin !== this.origin) {
      throw new ZendeskError(
        ZendeskErrorCode.INVALID_RESPONSE,
        `Zendesk returned a link to another host (${absolute.host}); refusing to follow it`,
      );
    }
    return absolute.toString();
  }

  private circuitOpen(request: ZendeskRequest): ZendeskError {
    return new ZendeskError(
      ZendeskErrorCode.CIRCUIT_OPEN,
      'Zendesk calls are paused after repeated failures',
      {
        request: describe(request),
      },
    );
  }

  /** Full jitter: a random delay up to the exponential bound, so retries spread out. */
  private backoff(failures: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    return Math.round(this.options.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1)));
  }

  /** Waits `ms` on the client's clock; rejects with UNAVAILABLE when `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted)
        return reject(new ZendeskError(ZendeskErrorCode.UNAVAILABLE, 'The Zendesk call was cancelled'));
      const timer = this.clock.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.clock.clearTimer(timer);
        reject(new ZendeskError(ZendeskErrorCode.UNAVAILABLE, 'The Zendesk call was cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function describe(request: ZendeskRequest): string {
  let path = request.url;
  try {
    path = new URL(request.url, 'http://x').pathname;
  } catch {
    // keep the raw value
  }
  return `${request.method} ${path}`;
}

/**
 * What an answer says about the account's budget: `X-Rate-Limit-Remaining` (with `X-Rate-Limit`),
 * or the `ratelimit-remaining` / `ratelimit-limit` / `ratelimit-reset` family some endpoints send
 * (section 4); null when it carries neither.
 */
export function accountBudgetOf(headers: Readonly<Record<string, unknown>>): AccountBudgetReport | null {
  const count = (name: string): number | undefined => {
    const value = headers[name];
    return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  };
  const remaining = count('x-rate-limit-remaining') ?? count('ratelimit-remaining');
  if (remaining === undefined) return null;
  const limit = count('x-rate-limit') ?? count('ratelimit-limit');
  const resetS = count('ratelimit-reset');
  return {
    remaining,
    ...(limit === undefined ? {} : { limit }),
    ...(resetS === undefined ? {} : { resetMs: resetS * 1000 }),
  };
}

function parseRetryAfter(header: unknown): number | undefined {
  if (typeof header !== 'string' || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}
