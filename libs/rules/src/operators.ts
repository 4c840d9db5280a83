import type { FactType } from './facts';
import { parseDuration, timeBetween } from './time';

/** What an operator expects as `value`, given the fact's type. */
export type OperatorValue = 'same' | 'number' | 'list-of-same' | 'element' | 'clock-range' | 'duration';

/** An operator rule authors can write in `operator:`. */
export interface OperatorDefinition {
  readonly name: string;
  readonly description: string;
  /** Fact types it applies to. */
  readonly factTypes: readonly FactType[];
  readonly value: OperatorValue;
  /** Our own operators; json-rules-engine's built-ins have none here. */
  readonly evaluate?: (factValue: unknown, value: unknown) => boolean;
}

const SCALARS: readonly FactType[] = ['number', 'string', 'boolean'];
const LISTS: readonly FactType[] = ['number[]', 'string[]'];
const MINUTES = 60_000;

/** json-rules-engine's built-in operators, with the types they make sense for. */
const BUILT_IN: readonly OperatorDefinition[] = [
  { name: 'equal', description: 'The fact equals the value.', factTypes: SCALARS, value: 'same' },
  { name: 'notEqual', description: 'The fact differs from the value.', factTypes: SCALARS, value: 'same' },
  { name: 'lessThan', description: 'fact < value.', factTypes: ['number'], value: 'number' },
  { name: 'lessThanInclusive', description: 'fact <= value.', factTypes: ['number'], value: 'number' },
  { name: 'greaterThan', description: 'fact > value.', factTypes: ['number'], value: 'number' },
  { name: 'greaterThanInclusive', description: 'fact >= value.', factTypes: ['number'], value: 'number' },
  {
    name: 'in',
    description: 'The fact is one of the listed values.',
    factTypes: SCALARS,
    value: 'list-of-same',
  },
  {
    name: 'notIn',
    description: 'The fact is none of the listed values.',
    factTypes: SCALARS,
    value: 'list-of-same',
  },
  { name: 'contains', description: 'The list fact contains the value.', factTypes: LISTS, value: 'element' },
  {
    name: 'doesNotContain',
    description: 'The list fact does not contain the value.',
    factTypes: LISTS,
    value: 'element',
  },
];

/** Operators this domain needs that json-rules-engine lacks: local time windows and durations. */
export const CUSTOM_OPERATORS: readonly OperatorDefinition[] = [
  {
    name: 'timeBetween',
    description:
      'A local HH:MM time is in [from, to); to before from runs past midnight. Value: ["22:00", "06:00"].',
    factTypes: ['string'],
    value: 'clock-range',
    evaluate: (fact, value) =>
      typeof fact === 'string' &&
      Array.isArray(value) &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      timeBetween(fact, value[0], value[1]),
  },
  {
    name: 'atLeastDuration',
    description: 'A minutes fact is at least a duration. Value: "15m", "1h30m".',
    factTypes: ['number'],
    value: 'duration',
    evaluate: (fact, value) =>
      typeof fact === 'number' &&
      typeof value === 'string' &&
      fact * MINUTES >= (parseDuration(value) ?? Infinity),
  },
  {
    name: 'lessThanDuration',
    description: 'A minutes fact is under a duration. Value: "15m", "1h30m".',
    factTypes: ['number'],
    value: 'duration',
    evaluate: (fact, value) =>
      typeof fact === 'number' &&
      typeof value === 'string' &&
      fact * MINUTES < (parseDuration(value) ?? -Infinity),
  },
];

/** Every operator, by name. */
export const OPERATORS: ReadonlyMap<string, OperatorDefinition> = new Map(
  [...BUILT_IN, ...CUSTOM_OPERATORS].map((o) => [o.name, o]),
);
