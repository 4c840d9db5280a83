import { SimHttpError } from '../http/sim-http.error';
import type { DeliveryAttempt } from './webhook-delivery.log';

/** Invocation and attempt statuses of the Webhooks API (section 11.10). */
export const INVOCATION_STATUSES = [
  'unknown',
  'accepted',
  'success',
  'failed',
  'timeout',
  'circuit broken',
  'throttled',
  'client error',
  'server error',
] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];

/** Zendesk keeps seven days of invocations. */
const RETENTION_MS = 7 * 24 * 3_600_000;
const MAX_PAGE_SIZE = 100;

/** One event's delivery to one webhook, across its attempts (oldest first). */
export interface Invocation {
  readonly id: string;
  readonly webhookId: string;
  readonly eventType: string;
  readonly attempts: readonly DeliveryAttempt[];
  readonly createdAt: number;
  readonly latestCompletedAt: number;
  readonly status: InvocationStatus;
}

/** The invocations of one webhook in the delivery log, newest first. */
export function invocationsOf(
  entries: readonly DeliveryAttempt[],
  webhookId: string,
  now: number,
): Invocation[] {
  const byId = new Map<string, DeliveryAttempt[]>();
  for (const entry of entries) {
    if (entry.webhookId !== webhookId) continue;
    const attempts = byId.get(entry.invocationId);
    if (attempts) attempts.push(entry);
    else byId.set(entry.invocationId, [entry]);
  }
  const out: Invocation[] = [];
  for (const [id, attempts] of byId) {
    const last = attempts[attempts.length - 1]!;
    const latestCompletedAt = Date.parse(last.time);
    if (latestCompletedAt < now - RETENTION_MS) continue;
    out.push({
      id,
      webhookId,
      eventType: last.eventType,
      attempts,
      createdAt: Date.parse(attempts[0]!.time),
      latestCompletedAt,
      status: attemptStatus(last),
    });
  }
  return out.sort((a, b) => b.latestCompletedAt - a.latestCompletedAt || Number(b.id) - Number(a.id));
}

/** What an attempt came to, in the API's words. */
export function attemptStatus(attempt: DeliveryAttempt): InvocationStatus {
  switch (attempt.outcome) {
    case 'delivered':
      return 'success';
    case 'dropped':
    case 'discarded':
      return 'failed';
    case 'failed':
      if (attempt.status === null)
        return attempt.error?.startsWith('no response within') ? 'timeout' : 'failed';
      return attempt.status >= 500 ? 'server error' : 'client error';
  }
}

/** The query of `GET /api/v2/webhooks/{id}/invocations`, checked. */
export interface InvocationQuery {
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly status: InvocationStatus | null;
  readonly ascending: boolean;
  readonly size: number;
  readonly after: string | null;
  readonly before: string | null;
}

export function readInvocationQuery(query: Record<string, unknown>): InvocationQuery {
  const text = (key: string): string | null => {
    const value = query[key];
    if (value === undefined) return null;
    if (typeof value !== 'string') throw SimHttpError.badRequest(`${key} must be given once`);
    return value;
  };
  const time = (key: string): number | null => {
    const raw = text(key);
    if (raw === null) return null;
    const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw)
      ? Date.parse(raw)
      : Number.NaN;
    if (Number.isNaN(ms)) throw SimHttpError.badRequest(`${key} must be an ISO 8601 UTC time (got ${raw})`);
    return ms;
  };
  const status = text('filter[status]');
  if (status !== null && !(INVOCATION_STATUSES as readonly string[]).includes(status))
    throw SimHttpError.badRequest(`filter[status] must be one of ${INVOCATION_STATUSES.join(', ')}`);
  const sort = text('sort') ?? '-latest_completed_at';
  if (sort !== 'latest_completed_at' && sort !== '-latest_completed_at')
    throw SimHttpError.badRequest('sort must be latest_completed_at or -latest_completed_at');
  const sizeText = text('page[size]');
  const size = sizeText === null ? MAX_PAGE_SIZE : Number(sizeText);
  if (!/^\d+$/.test(sizeText ?? '1') || size < 1 || size > MAX_PAGE_SIZE)
    throw SimHttpError.badRequest(`page[size] must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  const after = text('page[after]');
  const before = text('page[before]');
  if (after !== null && before !== null)
    throw SimHttpError.badRequest("page[before] and page[after] can't be used together");
  return {
    fromMs: time('filter[from_ts]'),
    toMs: time('filter[to_ts]'),
    status: status as InvocationStatus | null,
    ascending: sort === 'latest_completed_at',
    size,
    after,
    before,
  };
}

/** One page of invocations with the cursor members of section 7; cursors are invocation ids. */
export function invocationPage(all: readonly Invocation[], query: InvocationQuery, selfUrl: URL) {
  const matching = all
    .filter((i) => query.fromMs === null || i.latestCompletedAt >= query.fromMs)
    .filter((i) => query.toMs === null || i.latestCompletedAt <= query.toMs)
    .filter((i) => query.status === null || i.status === query.status);
  const ordered = query.ascending ? [...matching].reverse() : matching;
  const cursorAt = (id: string) => {
    const at = ordered.findIndex((i) => i.id === id);
    if (at < 0) throw SimHttpError.badRequest(`The cursor ${id} does not name an invocation of this webhook`);
    return at;
  };
  let start = 0;
  let end = Math.min(ordered.length, query.size);
  if (query.after !== null) {
    start = cursorAt(query.after) + 1;
    end = Math.min(ordered.length, start + query.size);
  } else if (query.before !== null) {
    end = cursorAt(query.before);
    start = Math.max(0, end - query.size);
  }
  const page = ordered.slice(start, end);
  const first = page[0];
  const last = page[page.length - 1];
  const hasMore = end < ordered.length;
  const link = (cursor: 'page[after]' | 'page[before]', id: string) => {
    const url = new URL(selfUrl);
    url.searchParams.delete('page[after]');
    url.searchParams.delete('page[before]');
    url.searchParams.set(cursor, id);
    return url.toString();
  };
  return {
    invocations: page.map(presentInvocation),
    meta: {
      has_more: hasMore,
      after_cursor: last && hasMore ? last.id : null,
      before_cursor: first && start > 0 ? first.id : null,
    },
    links: {
      next: last && hasMore ? link('page[after]', last.id) : null,
      prev: first && start > 0 ? link('page[before]', first.id) : null,
    },
  };
}

/**
 * An invocation as the API shows it. `status` and `latest_completion_status` carry the same value:
 * the sources name it differently (section 11.10), and a client reads whichever it knows.
 */
export function presentInvocation(invocation: Invocation) {
  return {
    id: invocation.id,
    webhook_id: invocation.webhookId,
    status: invocation.status,
    latest_completion_status: invocation.status,
    created_at: isoSeconds(invocation.createdAt),
    latest_completed_at: isoSeconds(invocation.latestCompletedAt),
    event_type: invocation.eventType,
    attempts_count: invocation.attempts.length,
  };
}

/** One attempt; `response_code` and `status_code` alike carry the receiver's HTTP status. */
export function presentAttempt(attempt: DeliveryAttempt) {
  return {
    id: `${attempt.invocationId}-${attempt.attempt}`,
    invocation_id: attempt.invocationId,
    status: attemptStatus(attempt),
    ...(attempt.status === null ? {} : { response_code: attempt.status, status_code: attempt.status }),
    ...(attempt.error === null ? {} : { error_message: attempt.error }),
    created_at: isoSeconds(Date.parse(attempt.time)),
    completed_at: isoSeconds(Date.parse(attempt.time) + attempt.durationMs),
    duration_ms: Math.round(attempt.durationMs),
  };
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
