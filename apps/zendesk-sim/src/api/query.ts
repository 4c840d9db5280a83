import type { Request } from 'express';
import { SimHttpError } from '../http/sim-http.error';

/**
 * Query parameters by their bracketed names. Brackets may arrive raw (`page[size]`) or encoded
 * (`page%5Bsize%5D`); both decode to the same key (section 7).
 */
export function queryParams(req: Request): Map<string, string> {
  const params = new Map<string, string>();
  const at = req.originalUrl.indexOf('?');
  if (at < 0) return params;
  for (const [key, value] of new URLSearchParams(req.originalUrl.slice(at + 1))) params.set(key, value);
  return params;
}

export interface PageRequest {
  size: number;
  after: string | null;
  before: string | null;
}

/** Reads `page[size]`, `page[after]` and `page[before]`; bad values are a 400 naming the parameter. */
export function pageRequest(params: Map<string, string>, defaultSize: number): PageRequest {
  const rawSize = params.get('page[size]');
  let size = defaultSize;
  if (rawSize !== undefined) {
    size = Number(rawSize);
    if (!/^\d+$/.test(rawSize) || size < 1 || size > 100) {
      throw SimHttpError.badRequest(
        `page[size] must be an integer from 1 to 100 (got ${JSON.stringify(rawSize)})`,
      );
    }
  }
  const after = params.get('page[after]') ?? null;
  const before = params.get('page[before]') ?? null;
  if (after !== null && before !== null) {
    throw SimHttpError.badRequest('page[before] and page[after] cannot be used together');
  }
  if (after === '' || before === '')
    throw SimHttpError.badRequest('page[after] and page[before] must not be empty');
  return { size, after, before };
}

/** One page of an ordered list, and whether there is more on each side. */
export interface Page<T> {
  items: T[];
  hasPrev: boolean;
  hasNext: boolean;
}

/**
 * Cuts a page out of `items` (sorted by `key`) after or before a cursor key. `compare` orders
 * keys the same way as the list.
 */
export function pageOf<T, K>(
  items: readonly T[],
  key: (item: T) => K,
  compare: (a: K, b: K) => number,
  request: { size: number; after: K | null; before: K | null },
): Page<T> {
  if (request.before !== null) {
    const end = searchSorted(items, key, compare, request.before, false);
    const start = Math.max(0, end - request.size);
    return { items: items.slice(start, end), hasPrev: start > 0, hasNext: end < items.length };
  }
  const start = request.after === null ? 0 : searchSorted(items, key, compare, request.after, true);
  const end = Math.min(items.length, start + request.size);
  return { items: items.slice(start, end), hasPrev: start > 0, hasNext: end < items.length };
}

/** First index whose key is > `k` (`strict`) or >= `k` (otherwise), by binary search. */
function searchSorted<T, K>(
  items: readonly T[],
  key: (item: T) => K,
  compare: (a: K, b: K) => number,
  k: K,
  strict: boolean,
): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = compare(key(items[mid]!), k);
    if (order < 0 || (strict && order === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An opaque cursor (section 7: base64url of the last sort key). */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw SimHttpError.badRequest(`${name} is not a valid cursor`);
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** A URL for another page: the current query with the page parameters replaced. */
export function pageLink(
  base: string,
  path: string,
  params: Map<string, string>,
  cursor: { name: 'page[after]' | 'page[before]'; value: string },
): string {
  const next = new URLSearchParams();
  for (const [key, value] of params) {
    if (key !== 'page[after]' && key !== 'page[before]') next.set(key, value);
  }
  next.set(cursor.name, cursor.value);
  return `${base}${path}?${next.toString()}`;
}

/** The scheme and host the caller used, for links that lead back to this simulator. */
export function baseUrlOf(req: Request, configured: string | null): string {
  return configured ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** Parses a comma-separated list of integer ids (`filter[agent_id]=1,2, 3`), 400 naming the parameter. */
export function idList(raw: string, name: string): number[] {
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const bad = parts.filter((p) => !/^\d+$/.test(p) || !Number.isSafeInteger(Number(p)));
  if (parts.length === 0 || bad.length > 0) {
    throw SimHttpError.badRequest(
      `${name} must be a comma-separated list of ids (bad: ${JSON.stringify(raw)})`,
    );
  }
  return parts.map(Number);
}
