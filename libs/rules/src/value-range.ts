import type { FactDefinition, FactRange } from './facts';
import { parseClock, parseDuration } from './time';

/**
 * What each numeric comparison means in terms of the fact's range, so one table says when it can
 * never hold and when it always holds. Durations compare minutes facts with minutes.
 */
const COMPARISONS: Readonly<
  Record<
    string,
    { never: (v: number, r: FactRange) => boolean; always: (v: number, r: FactRange) => boolean }
  >
> = {
  lessThan: { never: (v, r) => v <= r.min, always: (v, r) => v > r.max },
  lessThanInclusive: { never: (v, r) => v < r.min, always: (v, r) => v >= r.max },
  greaterThan: { never: (v, r) => v >= r.max, always: (v, r) => v < r.min },
  greaterThanInclusive: { never: (v, r) => v > r.max, always: (v, r) => v <= r.min },
};
const DURATIONS: Readonly<Record<string, keyof typeof COMPARISONS>> = {
  atLeastDuration: 'greaterThanInclusive',
  lessThanDuration: 'lessThan',
};

/**
 * Why `fact operator value` is pointless given the fact's range: it can never hold, or it holds
 * for every value because `value` lies outside the range. Null when it can go either way (a value
 * at the edge of the range that still makes sense, such as `idleMinutes greaterThanInclusive 0`,
 * is left alone). `value` is as written: a number, or a duration for the duration operators.
 */
export function comparisonProblem(fact: FactDefinition, operator: string, value: unknown): string | null {
  const range = fact.range;
  const durationOf = DURATIONS[operator];
  const comparison = COMPARISONS[durationOf ?? operator];
  if (!range || !comparison) return null;
  const ms = durationOf && typeof value === 'string' ? parseDuration(value) : null;
  const threshold = durationOf
    ? ms === null
      ? null
      : ms / 60_000
    : typeof value === 'number'
      ? value
      : null;
  if (threshold === null) return null;
  const written = `${fact.name} ${operator} ${JSON.stringify(value)}`;
  if (comparison.never(threshold, range))
    return `${written} can never be true: ${fact.name} is ${rangeText(fact, threshold)}`;
  if (comparison.always(threshold, range) && !within(threshold, range))
    return `${written} is always true: ${fact.name} is ${rangeText(fact, threshold)}`;
  return null;
}

/** Why `fact` never takes `value` (for equal, notEqual, in, notIn); null when it can. */
export function outOfRangeProblem(fact: FactDefinition, value: number): string | null {
  if (!fact.range || within(value, fact.range)) return null;
  return `${value} is never a value of ${fact.name} (${rangeText(fact, value)})`;
}

/** Why a `timeBetween` window [from, to) holds at no time of day; null when it is not empty. */
export function emptyWindowProblem(fact: FactDefinition, from: string, to: string): string | null {
  const a = parseClock(from);
  return a !== null && a === parseClock(to)
    ? `${fact.name} timeBetween ["${from}", "${to}"] can never be true: from and to are equal, so the window is empty`
    : null;
}

function within(value: number, range: FactRange): boolean {
  return value >= range.min && value <= range.max;
}

/** The fact's range in words, with how to write a ratio when `value` looks like a percentage. */
function rangeText(fact: FactDefinition, value: number): string {
  const range = fact.range!;
  const span =
    range.max === Infinity
      ? range.min === 0
        ? 'never negative'
        : `at least ${range.min}`
      : `from ${range.min} to ${range.max}`;
  if (fact.unit !== 'ratio') return span;
  const share = value / 100;
  const hint =
    value > range.max && within(share, range) ? `; write ${share} for ${value}%` : ', where 0.85 means 85%';
  return `a ratio ${span}${hint}`;
}
