import { CALENDAR_FACT_PREFIX, FACTS, factDefinition, type FactDefinition, type FactScope } from './facts';
import { didYouMean } from './rule-set.errors';

const FACT_NAMES = FACTS.map((f) => f.name);
/** Facts that say who the agent is: they come with the agent's id and groups, not as fact values. */
const IDENTITY_FACTS = new Set(['agent.id', 'agent.groups']);

/** Why a supplied fact cannot be taken: its name (`on: 'name'`) or its value. */
export interface GivenFactProblem {
  on: 'name' | 'value';
  message: string;
}

/**
 * Why a fact value someone supplies — a what-if, a scenario's timeline — cannot be taken, or
 * null: an unknown name (with a did-you-mean), a fact of the other scope, one computed from the
 * clock, one that takes params, a value of the wrong type, out of the fact's range or outside its
 * closed set of values (`statuses`: the status names the rule set knows).
 */
export function givenFactProblem(
  name: string,
  value: unknown,
  scope: FactScope,
  statuses: ReadonlySet<string>,
): GivenFactProblem | null {
  const fact = givenFact(name, scope);
  if (typeof fact === 'string') return { on: 'name', message: fact };
  const problem = valueProblem(fact, value, statuses);
  return problem ? { on: 'value', message: problem } : null;
}

function givenFact(name: string, scope: FactScope): FactDefinition | string {
  if (name.startsWith(CALENDAR_FACT_PREFIX) || name.startsWith('localTime.'))
    return `${name} is computed from the time and the rule set's ${name.startsWith(CALENDAR_FACT_PREFIX) ? 'calendars' : 'time zone'}; it cannot be given`;
  if (IDENTITY_FACTS.has(name))
    return `${name} comes with the agent (its id and groups); it cannot be given as a fact`;
  const fact = factDefinition(name, new Set());
  if (!fact) {
    const guess = didYouMean(name, FACT_NAMES);
    return `unknown fact "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
  }
  if (fact.scope !== scope)
    return scope === 'account'
      ? `${name} describes one agent: give it with an agent's facts, not the account's`
      : `${name} describes the account: give it with the account's facts, not an agent's`;
  if (fact.params)
    return `${name} depends on params (${Object.keys(fact.params).join(', ')}) and cannot be given as one value`;
  return fact;
}

function valueProblem(fact: FactDefinition, value: unknown, statuses: ReadonlySet<string>): string | null {
  const scalar = fact.type.replace('[]', '');
  const ofType = (v: unknown) => typeof v === scalar && (typeof v !== 'number' || Number.isFinite(v));
  const list = fact.type.endsWith('[]');
  if (list ? !Array.isArray(value) || !value.every(ofType) : !ofType(value)) {
    const kind =
      fact.unit === 'minutes'
        ? 'a number of minutes'
        : fact.unit === 'ratio'
          ? 'a ratio such as 0.85'
          : article(fact.type);
    return `${fact.name} must be ${kind} (got ${JSON.stringify(value)})`;
  }
  for (const v of list ? (value as unknown[]) : [value]) {
    if (typeof v === 'number' && fact.range && (v < fact.range.min || v > fact.range.max)) {
      const { min, max } = fact.range;
      const percentage = fact.unit === 'ratio' && v > max && v <= 100 ? `; write ${v / 100} for ${v}%` : '';
      return `${fact.name} is never ${v}: it ranges from ${min}${max === Infinity ? ' up' : ` to ${max}`}${percentage}`;
    }
    if (typeof v !== 'string') continue;
    if (fact.name === 'status.name' && !statuses.has(v)) {
      const guess = didYouMean(v, statuses);
      return `unknown status "${v}"${guess ? ` (did you mean "${guess}"?)` : ''}; declare your account's custom statuses under "statuses"`;
    }
    if (fact.values && !fact.values.includes(v)) {
      const guess = didYouMean(v, fact.values);
      return `${JSON.stringify(v)} is never a value of ${fact.name} (one of ${fact.values.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`;
    }
  }
  return null;
}

function article(type: string): string {
  if (type.endsWith('[]')) return `a list of ${type.slice(0, -2)}s`;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
