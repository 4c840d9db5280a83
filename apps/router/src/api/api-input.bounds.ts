import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * What the API accepts from a caller, bounded: how deep a JSON body nests, how many what-if facts
 * and how long their names and values are, and which ISO 8601 forms a time may take. Everything
 * past a bound is a 400 naming the bound and where it was crossed, checked before any of it is
 * walked recursively (a body nested thousands deep overflows the stack of recursive code).
 */
export const API_BOUNDS = {
  /** JSON bodies of `/api`: a what-if body needs 4 levels (body, facts, a list, its items). */
  maxBodyDepth: 16,
  maxFacts: 200,
  maxFactNameLength: 200,
  maxStringLength: 1_000,
  maxListLength: 1_000,
} as const;

/**
 * Where a parsed JSON value nests deeper than `maxDepth` (a path such as `facts.a.a`), or null.
 * Iterative: it never recurses, however deep the value.
 */
export function tooDeepAt(value: unknown, maxDepth: number): string | null {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node.value !== 'object' || node.value === null) continue;
    if (node.depth === maxDepth) return node.path || '(the body)';
    const entries = Array.isArray(node.value)
      ? node.value.map((item, index) => [`[${index}]`, item] as const)
      : Object.entries(node.value).map(([key, item]) => [pathKey(key, node.path), item] as const);
    for (const [key, item] of entries)
      stack.push({ value: item, depth: node.depth + 1, path: node.path + key });
  }
  return null;
}

function pathKey(key: string, parent: string): string {
  const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return parent === '' ? shown : `.${shown}`;
}

/** The first what-if fact past a bound (count, name length, string length, list length), or null. */
export function factsBoundProblem(facts: Record<string, unknown>): string | null {
  const names = Object.keys(facts);
  if (names.length > API_BOUNDS.maxFacts)
    return `facts: at most ${API_BOUNDS.maxFacts} facts (got ${names.length})`;
  for (const name of names) {
    if (name.length > API_BOUNDS.maxFactNameLength)
      return `facts: a fact name is at most ${API_BOUNDS.maxFactNameLength} characters (got one of ${name.length}, starting ${JSON.stringify(name.slice(0, 20))})`;
    const value = facts[name];
    const items = Array.isArray(value) ? value : [value];
    if (items.length > API_BOUNDS.maxListLength)
      return `facts.${name}: a list is at most ${API_BOUNDS.maxListLength} items (got ${items.length})`;
    for (const item of items as unknown[]) {
      if (typeof item === 'string' && item.length > API_BOUNDS.maxStringLength)
        return `facts.${name}: a text value is at most ${API_BOUNDS.maxStringLength} characters (got ${item.length})`;
    }
  }
  return null;
}

/**
 * The ISO 8601 forms the API accepts for a time, extended format only:
 * `2026-11-23T10:00:00Z`, `2026-11-23T10:00:00.123+01:00`, `2026-11-23T10:00+01:00`, and — where
 * `dateOnly` allows it — a date, `2026-11-23`, meaning its midnight in UTC. The offset is
 * required (a time without one means whatever zone the server runs in). Basic format
 * (`20261123T100000Z`), week and ordinal dates, and days, hours or offsets that do not exist are
 * refused, as are years before 1970 or after 9999.
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/;

/** Epoch ms of an ISO 8601 time in one of the accepted forms, or null. */
export function parseIsoTime(text: string, options: { dateOnly: boolean }): number | null {
  const match = ISO_TIME.exec(text);
  if (!match) return null;
  const n = (group: number): number => Number(match[group] ?? 0);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  if (match[4] === undefined && !options.dateOnly) return null;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return null;
  const ms = Number(`0.${match[7] ?? '0'}`) * 1000;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // A day past the end of its month rolls over in Date.UTC: check it came back as given.
  if (new Date(utc).getUTCDate() !== day) return null;
  const zone = match[8];
  if (zone === undefined || zone === 'Z') return utc;
  const [offsetHours, offsetMinutes] = [n(10), n(11)];
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  return match[9] === '+' ? utc - offsetMs : utc + offsetMs;
}

/** How a refused time is explained: the forms, by example. */
export function isoTimeExpected(options: { dateOnly: boolean }): string {
  return options.dateOnly
    ? 'an ISO 8601 time with its offset, such as 2026-11-23T10:00:00Z or 2026-11-23T10:00:00+01:00, or a date such as 2026-11-23 (its midnight in UTC)'
    : 'an ISO 8601 time with its offset, such as 2026-11-23T10:00:00+01:00';
}

/** class-validator: the property is a time `parseIsoTime` accepts. */
export function IsIsoTime(options: { dateOnly: boolean }, validation?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsoTime',
      validator: {
        validate: (value) => typeof value === 'string' && parseIsoTime(value, options) !== null,
        defaultMessage: (args) =>
          `${args?.property ?? 'the time'} must be ${isoTimeExpected(options)}; got ${JSON.stringify(args?.value)}`,
      },
    },
    validation,
  );
}
