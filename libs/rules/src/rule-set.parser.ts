import { createHash } from 'node:crypto';
import { isSeq } from 'yaml';
import {
  AGENT_CHANNELS,
  CAPACITY_CHANNELS,
  CALENDAR_FACT_PREFIX,
  FACTS,
  WEEKDAYS,
  factDefinition,
  factUsableIn,
  type FactDefinition,
  type FactScope,
} from './facts';
import { ACTIONS, ACTION_TYPES, actionTarget, actionTypeList } from './actions/action.registry';
import type { ActionType } from './actions/action.types';
import { OPERATORS, type OperatorDefinition } from './operators';
import { didYouMean, RuleSetError, type RuleSetProblem } from './rule-set.errors';
import {
  DEFAULT_STATUSES,
  type Condition,
  type Rule,
  type RuleAction,
  type RuleScope,
  type RuleSet,
} from './rule-set.model';
import {
  isTimeZone,
  parseClock,
  parseDuration,
  type Calendar,
  type Weekday,
  type WeeklyWindow,
} from './time';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from './rule-set.limits';
import { comparisonProblem, emptyWindowProblem, outOfRangeProblem } from './value-range';
import { YamlDocument, type YamlNode } from './yaml.document';

/** One rule file: its path (as reported in problems) and its text. */
export interface RuleFile {
  path: string;
  text: string;
}

const MAX_DURATION_MS = 7 * 86_400_000;
const FILE_KEYS = ['timezone', 'calendars', 'statuses', 'rules'];
const RULE_KEYS = [
  'name',
  'description',
  'enabled',
  'mode',
  'priority',
  'for',
  'cooldown',
  'keepFor',
  'release',
  'scope',
  'when',
  'then',
];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ROOT = 'the file';

/** What rule validation needs to know about the whole set. */
interface Context {
  calendars: ReadonlySet<string>;
  statuses: ReadonlySet<string>;
  limits: RuleLimits;
}

/**
 * Parses and checks a whole rule set. Every problem in every file is reported at once, each with
 * its `file:line:column`; nothing is returned unless the set is entirely valid. A file that breaks
 * one of the `limits` is reported for that alone, and a set with too many rules for its count:
 * the files after the one that passes the limit are not read.
 */
export function parseRuleSet(files: readonly RuleFile[], limits: RuleLimits = DEFAULT_RULE_LIMITS): RuleSet {
  const parsed: YamlDocument[] = [];
  let timeZone: { value: string; at: YamlNode } | null = null;
  const calendars = new Map<string, { calendar: Calendar; at: YamlNode }>();
  const customStatuses = new Set<string>();
  const ruleNodes: YamlNode[] = [];
  let tooManyRules = false;

  for (const source of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    if (ruleNodes.length > limits.maxRules) break;
    const file = new YamlDocument(source.path, source.text, ROOT, limits);
    parsed.push(file);
    if (file.root.node === null) continue;
    if (!file.root.isMap()) {
      file.root.problem(
        'a rule file must be a mapping with "rules" (and optionally "timezone", "calendars", "statuses")',
      );
      continue;
    }
    const top = file.root.entries(FILE_KEYS);
    const zone = top.get('timezone');
    if (zone) {
      if (typeof zone.value !== 'string' || !isTimeZone(zone.value)) {
        zone.problem(
          `timezone must be an IANA time zone such as "Europe/Berlin" (got ${JSON.stringify(zone.value)})`,
        );
      } else if (timeZone && timeZone.value !== zone.value) {
        const first = timeZone.at.position();
        zone.problem(
          `timezone "${zone.value}" contradicts "${timeZone.value}" set at ${first.file}:${first.line}:${first.column}; a rule set has one time zone`,
        );
      } else {
        timeZone = { value: zone.value, at: zone };
      }
    }
    for (const [name, at] of top.get('calendars')?.entries() ?? []) {
      const calendar = readCalendar(name, at);
      const earlier = calendars.get(name);
      if (earlier) {
        const first = earlier.at.position();
        at.problem(`calendar "${name}" is already declared at ${first.file}:${first.line}:${first.column}`);
      } else if (calendar) {
        calendars.set(name, { calendar, at });
      }
    }
    const statuses = top.get('statuses');
    if (statuses && !isSeq(statuses.node))
      statuses.problem('statuses must be a list of the custom status names your account has');
    for (const item of statuses?.items() ?? []) {
      if (typeof item.value !== 'string' || item.value.trim() === '')
        item.problem('a status name must be a non-empty string');
      else if (item.value.length > limits.maxNameLength)
        item.problem(tooLong('a status name', item.value, limits));
      else customStatuses.add(item.value);
    }
    const rules = top.get('rules');
    if (rules && !isSeq(rules.node)) rules.problem('rules must be a list of rules');
    const items = rules?.items() ?? [];
    if (items.length > limits.maxRulesPerFile) {
      tooManyRules = true;
      items[limits.maxRulesPerFile]!.problem(
        `this file has ${items.length} rules, more than the ${limits.maxRulesPerFile} one file may have (this is rule ${limits.maxRulesPerFile + 1}): split it into several files`,
      );
    } else {
      ruleNodes.push(...items);
    }
  }
  if (ruleNodes.length > limits.maxRules) {
    tooManyRules = true;
    ruleNodes[limits.maxRules]!.problem(
      `the rule set has more than the ${limits.maxRules} rules allowed (this is rule ${limits.maxRules + 1}; the files after this one were not read)`,
    );
  }
  // Too many rules to check: the counts are the problem, not what each rule says.
  if (tooManyRules) throw new RuleSetError(sorted(parsed.flatMap((f) => f.problems)));

  const context: Context = {
    calendars: new Set(calendars.keys()),
    statuses: new Set<string>([...DEFAULT_STATUSES, ...customStatuses]),
    limits,
  };
  const rules: Rule[] = [];
  const names = new Map<string, Rule>();
  for (const at of ruleNodes) {
    const rule = readRule(at, context);
    if (!rule) continue;
    const twin = names.get(rule.name);
    if (twin) {
      at.problem(
        `duplicate rule name "${rule.name}" (first defined at ${twin.source.file}:${twin.source.line}:${twin.source.column})`,
      );
      continue;
    }
    names.set(rule.name, rule);
    rules.push(rule);
  }
  const problems = parsed.flatMap((f) => f.problems);
  problems.push(...conflicts(rules));
  if (problems.length > 0) throw new RuleSetError(sorted(problems));
  return {
    revision: revisionOf(files),
    timeZone: timeZone?.value ?? 'UTC',
    calendars: new Map([...calendars].map(([name, c]) => [name, c.calendar])),
    customStatuses: [...customStatuses],
    rules,
    files: parsed.map((f) => f.path),
  };
}

function sorted(problems: RuleSetProblem[]): RuleSetProblem[] {
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function tooLong(what: string, text: string, limits: RuleLimits): string {
  return `${what} of ${text.length} characters is longer than the ${limits.maxNameLength} allowed`;
}

/** The content hash the audit log records: same files, same revision. */
export function revisionOf(files: readonly RuleFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path)))
    hash.update(`${file.path}\0${file.text}\0`);
  return hash.digest('hex').slice(0, 12);
}

function readCalendar(name: string, at: YamlNode): Calendar | null {
  const before = at.doc.problems.length;
  if (!NAME.test(name)) at.problem(`calendar name "${name}" may only use letters, digits, "-", "_" and "."`);
  if (!at.isMap()) {
    at.problem(`calendar "${name}" must have "weekly" windows and optional "holidays"`);
    return null;
  }
  const fields = at.entries(['weekly', 'holidays']);
  const weekly: WeeklyWindow[] = [];
  const windows = fields.get('weekly');
  if (!windows || !isSeq(windows.node) || windows.items().length === 0) {
    (windows ?? at).problem(`calendar "${name}" needs a non-empty "weekly" list of {days, from, to}`);
  }
  for (const window of windows?.items() ?? []) {
    const parts = window.entries(['days', 'from', 'to']);
    const days = parts.get('days');
    const from = clock(parts.get('from'), window, 'from');
    const to = clock(parts.get('to'), window, 'to');
    const dayList: Weekday[] = [];
    if (!days || !isSeq(days.node))
      (days ?? window).problem(`days must be a list such as [mon, tue, wed, thu, fri]`);
    for (const day of days?.items() ?? []) {
      if (typeof day.value === 'string' && (WEEKDAYS as readonly string[]).includes(day.value))
        dayList.push(day.value as Weekday);
      else day.problem(`${JSON.stringify(day.value)} is not a day (use ${WEEKDAYS.join(', ')})`);
    }
    if (from !== null && to !== null && from === to)
      window.problem('from and to are equal: the window would be empty');
    if (from !== null && to !== null) weekly.push({ days: dayList, from, to });
  }
  const holidays = new Set<string>();
  for (const day of fields.get('holidays')?.items() ?? []) {
    const text =
      typeof day.value === 'string'
        ? day.value
        : day.value instanceof Date
          ? day.value.toISOString().slice(0, 10)
          : '';
    if (/^\d{4}-\d\d-\d\d$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`))) holidays.add(text);
    else day.problem(`holiday ${JSON.stringify(day.value)} must be a date such as "2026-12-25"`);
  }
  return at.doc.problems.length === before ? { name, weekly, holidays } : null;
}

function clock(at: YamlNode | undefined, parent: YamlNode, key: string): number | null {
  if (!at) {
    parent.problem(`${key} is required (a local time such as "08:00")`);
    return null;
  }
  const minutes = typeof at.value === 'string' ? parseClock(at.value) : null;
  if (minutes === null)
    at.problem(`${key} must be a local time "HH:MM" from 00:00 to 24:00 (got ${JSON.stringify(at.value)})`);
  return minutes;
}

function readRule(at: YamlNode, context: Context): Rule | null {
  const before = at.doc.problems.length;
  if (!at.isMap()) {
    at.problem('a rule must be a mapping with at least name, when and then');
    return null;
  }
  const fields = at.entries(RULE_KEYS);
  const nameAt = fields.get('name');
  const name = typeof nameAt?.value === 'string' ? nameAt.value : '';
  if (!nameAt) at.problem('a rule needs a name');
  else if (name.length > context.limits.maxNameLength)
    nameAt.problem(tooLong('a rule name', name, context.limits));
  else if (!NAME.test(name))
    nameAt.problem(
      `rule name ${JSON.stringify(nameAt.value)} may only use letters, digits, "-", "_" and "."`,
    );
  const label = name ? `rule "${name}"` : 'this rule';

  const description = optional(fields.get('description'), 'string', '') as string;
  const enabled = optional(fields.get('enabled'), 'boolean', true) as boolean;
  const modeAt = fields.get('mode');
  const mode = modeAt?.value ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'shadow')
    modeAt?.problem(`mode must be "enforce" or "shadow" (got ${JSON.stringify(mode)})`);
  const priorityAt = fields.get('priority');
  const priority = priorityAt?.value ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || Math.abs(priority) > 1000) {
    priorityAt?.problem(
      `priority must be a whole number from -1000 to 1000 (got ${JSON.stringify(priority)})`,
    );
  }
  const forMs = duration(fields.get('for'), 'for');
  const cooldownMs = duration(fields.get('cooldown'), 'cooldown');

  const thenAt = fields.get('then');
  const then = thenAt ? readAction(thenAt, context) : null;
  if (!thenAt) at.problem(`${label} needs "then": one of ${actionTypeList()}`);
  const action = then ? ACTIONS[then.type] : null;
  const kind: FactScope = action?.ruleKind ?? 'agent';
  const keepForAt = fields.get('keepFor');
  const releaseAt = fields.get('release');
  for (const [key, node] of [
    ['keepFor', keepForAt],
    ['release', releaseAt],
  ] as const) {
    if (node && action && !action.reversible)
      node.problem(
        `${key} applies to changes that are put back (${reversibleTypes()}); ${then!.type} is not`,
      );
  }
  if (keepForAt && releaseAt)
    releaseAt.problem('give keepFor or release, not both: the change stays until one of them says it ends');
  const keepForMs = duration(keepForAt, 'keepFor');
  const release = releaseAt ? readCondition(releaseAt, context, kind) : null;

  const scopeAt = fields.get('scope');
  if (scopeAt && kind === 'account')
    scopeAt.problem('scope applies to agent rules only; capacity rules act on the whole account');
  const scope = scopeAt
    ? readScope(scopeAt)
    : { groups: [], agents: [], excludeGroups: [], excludeAgents: [] };

  const whenAt = fields.get('when');
  if (!whenAt) at.problem(`${label} needs "when": a condition such as {all: [...]}`);
  const when = whenAt ? readCondition(whenAt, context, kind) : null;

  if (at.doc.problems.length > before || !then || !when) return null;
  return {
    name,
    description,
    kind,
    enabled,
    mode: mode as Rule['mode'],
    priority: priority as number,
    forMs,
    cooldownMs,
    keepForMs,
    release,
    scope,
    when,
    then,
    source: at.position(),
  };
}

function optional(at: YamlNode | undefined, type: 'string' | 'boolean', fallback: unknown): unknown {
  if (!at) return fallback;
  if (typeof at.value !== type) {
    at.problem(
      `${at.label.split('.').pop()} must be ${type === 'string' ? 'text' : 'true or false'} (got ${JSON.stringify(at.value)})`,
    );
    return fallback;
  }
  return at.value;
}

function duration(at: YamlNode | undefined, key: string): number {
  if (!at) return 0;
  const ms = typeof at.value === 'string' ? parseDuration(at.value) : null;
  if (ms === null) {
    at.problem(`${key} must be a duration such as "10m", "1h30m" or "45s" (got ${JSON.stringify(at.value)})`);
    return 0;
  }
  if (ms > MAX_DURATION_MS)
    at.problem(`${key} of ${at.value as string} is longer than 7 days: no rule can wait that long`);
  return ms;
}

function readScope(at: YamlNode): RuleScope {
  const fields = at.entries(['groups', 'agents', 'exclude']);
  const exclude = fields.get('exclude')?.entries(['groups', 'agents']);
  return {
    groups: ids(fields.get('groups')),
    agents: ids(fields.get('agents')),
    excludeGroups: ids(exclude?.get('groups')),
    excludeAgents: ids(exclude?.get('agents')),
  };
}

function ids(at: YamlNode | undefined): number[] {
  if (!at) return [];
  const value = at.value;
  if (
    !Array.isArray(value) ||
    !value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0)
  ) {
    at.problem(
      `${at.label.split('.').slice(-1)[0]} must be a list of Zendesk ids (got ${JSON.stringify(value)})`,
    );
    return [];
  }
  return value as number[];
}

function readAction(at: YamlNode, context: Context): RuleAction | null {
  const fields = at.entries(ACTION_TYPES);
  const [entry, ...more] = [...fields];
  if (!entry || more.length > 0) {
    at.problem(`then must have exactly one of ${actionTypeList()}`);
    return null;
  }
  const [type, node] = entry as [ActionType, YamlNode];
  return ACTIONS[type].parse(node, context);
}

const FACT_NAMES = [...FACTS.map((f) => f.name)];

function readCondition(at: YamlNode, context: Context, scope: FactScope, depth = 1): Condition | null {
  if (depth > context.limits.maxConditionDepth) {
    at.problem(
      `conditions nest more than ${context.limits.maxConditionDepth} levels deep (all, any and not each add one)`,
    );
    return null;
  }
  if (!at.isMap()) {
    at.problem(
      'a condition must be a mapping: {all: [...]}, {any: [...]}, {not: {...}} or {fact, operator, value}',
    );
    return null;
  }
  const keys = [...at.entries().keys()];
  const nested = (['all', 'any', 'not'] as const).filter((k) => keys.includes(k));
  if (nested.length > 1 || (nested.length === 1 && keys.length > 1)) {
    at.problem(`a condition has either one of all/any/not or fact/operator/value (got ${keys.join(', ')})`);
    return null;
  }
  if (nested[0] === 'not') {
    const inner = readCondition(at.entries().get('not')!, context, scope, depth + 1);
    return inner ? { not: inner } : null;
  }
  if (nested[0] === 'all' || nested[0] === 'any') {
    const key = nested[0];
    const list = at.entries().get(key)!;
    if (!isSeq(list.node) || list.items().length === 0) {
      list.problem(`${key} must be a non-empty list of conditions`);
      return null;
    }
    const children = list.items().map((c) => readCondition(c, context, scope, depth + 1));
    if (children.some((c) => c === null)) return null;
    return key === 'all' ? { all: children as Condition[] } : { any: children as Condition[] };
  }
  return readFactCondition(at, context, scope);
}

function readFactCondition(at: YamlNode, context: Context, scope: FactScope): Condition | null {
  const before = at.doc.problems.length;
  const fields = at.entries(['fact', 'operator', 'value', 'params']);
  const factAt = fields.get('fact');
  const operatorAt = fields.get('operator');
  const valueAt = fields.get('value');
  if (!factAt || !operatorAt || !valueAt) {
    at.problem(
      `a fact condition needs fact, operator and value (missing: ${['fact', 'operator', 'value'].filter((k) => !fields.has(k)).join(', ')})`,
    );
    return null;
  }
  const fact = knownFact(factAt, context, scope);
  const operator = typeof operatorAt.value === 'string' ? OPERATORS.get(operatorAt.value) : undefined;
  if (!operator) {
    const guess =
      typeof operatorAt.value === 'string' ? didYouMean(operatorAt.value, OPERATORS.keys()) : null;
    operatorAt.problem(
      `unknown operator ${JSON.stringify(operatorAt.value)}${guess ? ` (did you mean "${guess}"?)` : ''}`,
    );
  }
  const params = readParams(fields.get('params'), fact, at);
  if (fact && operator) {
    if (!operator.factTypes.includes(fact.type)) {
      operatorAt.problem(
        `operator ${operator.name} does not apply to ${fact.name}, which is ${article(fact.type)}`,
      );
    } else {
      checkValue(valueAt, fact, operator, context, scope);
    }
  }
  if (at.doc.problems.length > before || !fact || !operator) return null;
  return { fact: fact.name, operator: operator.name, value: valueAt.value, ...(params ? { params } : {}) };
}

function knownFact(at: YamlNode, context: Context, scope: FactScope): FactDefinition | null {
  const name = at.value;
  if (typeof name !== 'string') {
    at.problem(`fact must be a fact name (got ${JSON.stringify(name)})`);
    return null;
  }
  const fact = factDefinition(name, context.calendars);
  if (!fact) {
    if (name.startsWith(CALENDAR_FACT_PREFIX)) {
      const calendar = name.slice(CALENDAR_FACT_PREFIX.length);
      const guess = didYouMean(calendar, context.calendars);
      at.problem(
        `unknown calendar "${calendar}"${guess ? ` (did you mean "${guess}"?)` : ''}; declare it under "calendars"`,
      );
    } else {
      const guess = didYouMean(name, [
        ...FACT_NAMES,
        ...[...context.calendars].map((c) => CALENDAR_FACT_PREFIX + c),
      ]);
      at.problem(`unknown fact "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
    return null;
  }
  if (!factUsableIn(fact, scope)) {
    at.problem(
      scope === 'account'
        ? `${name} describes one agent; a set_capacity rule sees account facts only (account.*, group.*, capacityRule.*, time, calendars)`
        : `${name} describes the account; a set_status rule sees agent facts (and time and calendars)`,
    );
    return null;
  }
  return fact;
}

function readParams(
  at: YamlNode | undefined,
  fact: FactDefinition | null,
  condition: YamlNode,
): Record<string, unknown> | null {
  if (!fact) return null;
  const wanted = fact.params ?? {};
  const names = Object.keys(wanted);
  if (!at) {
    if (names.length > 0) condition.problem(`fact ${fact.name} needs params: ${names.join(', ')}`);
    return null;
  }
  if (names.length === 0) {
    at.problem(`fact ${fact.name} takes no params`);
    return null;
  }
  const given = at.entries(names);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = given.get(name);
    if (!value) {
      at.problem(`params.${name} is required for ${fact.name}`);
      continue;
    }
    if (typeof value.value !== wanted[name]) value.problem(`params.${name} must be a ${wanted[name]}`);
    if (name === 'channel') {
      const allowed: readonly string[] =
        fact.name === 'capacityRule.capacity' ? CAPACITY_CHANNELS : AGENT_CHANNELS;
      if (!allowed.includes(value.value as string))
        value.problem(`params.channel must be one of ${allowed.join(', ')}`);
    }
    out[name] = value.value;
  }
  return out;
}

function checkValue(
  at: YamlNode,
  fact: FactDefinition,
  operator: OperatorDefinition,
  context: Context,
  scope: FactScope,
): void {
  const value = at.value;
  if (isFactReference(value)) {
    const other = factDefinition(value.fact, context.calendars);
    if (!other || !factUsableIn(other, scope))
      at.problem(`value refers to unknown or unusable fact ${JSON.stringify(value.fact)}`);
    else if (other.type !== fact.type && operator.value !== 'element')
      at.problem(`${fact.name} (${fact.type}) cannot be compared with ${other.name} (${other.type})`);
    return;
  }
  const scalar = fact.type.replace('[]', '');
  const sameType = (v: unknown) => typeof v === scalar;
  const report = (problem: string | null) => {
    if (problem !== null) at.problem(problem);
  };
  switch (operator.value) {
    case 'same':
    case 'element':
      if (!sameType(value))
        at.problem(
          `value must be ${article(scalar)} to compare with ${fact.name} (got ${JSON.stringify(value)})`,
        );
      else checkAllowed(at, fact, value, context);
      return;
    case 'number':
      if (typeof value !== 'number')
        at.problem(`value must be a number to compare with ${fact.name} (got ${JSON.stringify(value)})`);
      else report(comparisonProblem(fact, operator.name, value));
      return;
    case 'list-of-same':
      if (!Array.isArray(value) || value.length === 0 || !value.every(sameType)) {
        at.problem(
          `value must be a non-empty list of ${scalar}s for this operator (got ${JSON.stringify(value)})`,
        );
      } else {
        for (const v of value) checkAllowed(at, fact, v, context);
      }
      return;
    case 'clock-range':
      if (
        !Array.isArray(value) ||
        value.length !== 2 ||
        !value.every((v) => typeof v === 'string' && parseClock(v) !== null)
      ) {
        at.problem(`value must be ["HH:MM", "HH:MM"] (got ${JSON.stringify(value)})`);
      } else {
        report(emptyWindowProblem(fact, value[0] as string, value[1] as string));
      }
      return;
    case 'duration':
      if (typeof value !== 'string' || parseDuration(value) === null) {
        at.problem(`value must be a duration such as "15m" (got ${JSON.stringify(value)})`);
      } else {
        report(comparisonProblem(fact, operator.name, value));
      }
      return;
  }
}

function checkAllowed(at: YamlNode, fact: FactDefinition, value: unknown, context: Context): void {
  if (fact.name === 'status.name' && typeof value === 'string' && !context.statuses.has(value)) {
    const guess = didYouMean(value, context.statuses);
    at.problem(
      `unknown status "${value}"${guess ? ` (did you mean "${guess}"?)` : ''}; declare your account's custom statuses under "statuses"`,
    );
    return;
  }
  if (fact.values && typeof value === 'string' && !fact.values.includes(value)) {
    const guess = didYouMean(value, fact.values);
    at.problem(
      `${JSON.stringify(value)} is never a value of ${fact.name} (one of ${fact.values.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  if (typeof value === 'number') {
    const problem = outOfRangeProblem(fact, value);
    if (problem !== null) at.problem(problem);
  }
}

function isFactReference(value: unknown): value is { fact: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { fact?: unknown }).fact === 'string'
  );
}

function article(type: string): string {
  return type.endsWith('[]')
    ? `a list of ${type.slice(0, -2)}s`
    : /^[aeiou]/.test(type)
      ? `an ${type}`
      : `a ${type}`;
}

/**
 * The conflict policy: the higher priority wins. Two enabled rules of equal priority that ask for
 * different things for the same target could never be decided, so they are rejected. Agent rules
 * overlap unless both list only agents and share none; capacity rules overlap when they change
 * the same capacity rule. Each rule is reported once, with the first earlier rule it conflicts
 * with, and only rules of one kind and priority are compared.
 */
function conflicts(rules: readonly Rule[]): RuleSetProblem[] {
  const problems: RuleSetProblem[] = [];
  const groups = new Map<string, ConflictCandidate[]>();
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const key = `${rule.kind}\0${rule.priority}`;
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    const b: ConflictCandidate = {
      rule,
      action: JSON.stringify(rule.then),
      target: rule.kind === 'account' ? actionTarget(rule.then, null) : null,
      onlyAgents:
        rule.scope.agents.length > 0 && rule.scope.groups.length === 0 ? new Set(rule.scope.agents) : null,
    };
    const a = group.find((a) => a.action !== b.action && overlap(a, b));
    if (a)
      problems.push({
        ...rule.source,
        message: `rules "${a.rule.name}" (${a.rule.source.file}:${a.rule.source.line}) and "${rule.name}" have the same priority ${rule.priority} and ask for different things for the same ${rule.kind === 'agent' ? 'agents' : 'capacity rule'}: give the one that should win a higher priority`,
      });
    group.push(b);
  }
  return problems;
}

/** A rule as the conflict check compares it, with what it compares worked out once. */
interface ConflictCandidate {
  rule: Rule;
  action: string;
  target: string | null;
  /** The agents of a scope that lists only agents; null when it can reach any agent. */
  onlyAgents: ReadonlySet<number> | null;
}

function overlap(a: ConflictCandidate, b: ConflictCandidate): boolean {
  if (a.rule.kind === 'account') return a.target === b.target;
  if (!a.onlyAgents || !b.onlyAgents) return true;
  for (const id of a.onlyAgents) if (b.onlyAgents.has(id)) return true;
  return false;
}

function reversibleTypes(): string {
  return ACTION_TYPES.filter((t) => ACTIONS[t].reversible).join(', ');
}
