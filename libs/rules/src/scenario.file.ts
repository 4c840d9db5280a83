import { didYouMean, RuleSetError } from './rule-set.errors';
import { DEFAULT_STATUSES, type Rule, type RuleSet, type SourcePosition } from './rule-set.model';
import {
  ACTIONS,
  ACTION_TYPES,
  actionTarget,
  actionTypeList,
  describeAction,
} from './actions/action.registry';
import type { RuleAction } from './actions/action.types';
import { givenFactProblem } from './fact-values';
import { parseDuration } from './time';
import { YamlDocument, type YamlNode } from './yaml.document';

/** A scenario file, checked: everything the runner needs, times as ms after `start`. */
export interface ScenarioSpec {
  file: string;
  name: string;
  /** Epoch ms. */
  start: number;
  stepMs: number;
  agents: ReadonlyMap<string, { id: number; groups: readonly number[] }>;
  /** In file order. `facts` are the values at `at`; facts that move with the clock are advanced by the runner. */
  events: ReadonlyArray<
    | { kind: 'agent'; at: number; agent: string; facts: Record<string, unknown>; source: SourcePosition }
    | { kind: 'account'; at: number; facts: Record<string, unknown>; source: SourcePosition }
    | { kind: 'pause'; at: number; paused: boolean; source: SourcePosition }
  >;
  expectations: ReadonlyArray<{
    at: number;
    /** `account` or `agent:<name>` */
    target: string;
    label: string;
    /** Each expected action as canonical JSON (keys sorted), as today's runner compares them. */
    actions: string[];
    source: SourcePosition;
  }>;
  /** Safety limits the scenario runs with; the router's defaults unless the file's `safety:` says otherwise. */
  safety: { humanHoldS: number; maxChangesPerMin: number; minOnlinePerGroup: number };
}

type ScenarioEvent = ScenarioSpec['events'][number];
type ScenarioExpectation = ScenarioSpec['expectations'][number];
type Safety = ScenarioSpec['safety'];

const TOP_KEYS = ['name', 'description', 'start', 'step', 'agents', 'safety', 'timeline', 'expect'];
const AGENT_KEYS = ['id', 'groups'];
const SAFETY_KEYS = ['humanHold', 'maxChangesPerMin', 'minOnlinePerGroup'];
const EVENT_KEYS = ['at', 'agent', 'facts', 'account', 'paused'];
const EXPECT_KEYS = ['at', 'agent', 'account', 'actions'];
/** An expected action: its rule and one action type, or a put-back; `shadow` and `held` say how it was recorded. */
const ACTION_KEYS = ['rule', ...ACTION_TYPES, 'shadow', 'held', 'revert'];
const ROOT = 'the scenario';

const DEFAULT_STEP_MS = 60_000;
/** A month of minutes is about 45,000 steps: enough for any shift pattern, and a typo cannot hang the run. */
const MAX_AFTER_START_MS = 31 * 86_400_000;
const MAX_STEPS = 100_000;
/** The router's own defaults and bounds (HUMAN_HOLD_S, MAX_CHANGES_PER_MIN, MIN_ONLINE_PER_GROUP). */
const DEFAULT_SAFETY: Safety = { humanHoldS: 600, maxChangesPerMin: 60, minOnlinePerGroup: 1 };
const MAX_HUMAN_HOLD_MS = 86_400_000;
const MAX_SAFETY_COUNT = 10_000;

const INSTANT =
  /^(\d{4})-(\d\d)-(\d\d)T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;
const START_EXAMPLE = '2026-11-23T09:00:00+01:00';

/**
 * Reads and checks a scenario file (`rules/tests/*.test.yaml`) against the rule set it tests.
 * Every problem is reported at once, each at the node it concerns; nothing is returned unless
 * the whole file is valid.
 */
export function readScenarioFile(ruleSet: RuleSet, file: string, text: string): ScenarioSpec {
  const doc = new YamlDocument(file, text, ROOT);
  const spec = readSpec(doc, new Context(ruleSet));
  if (doc.problems.length > 0 || !spec) {
    throw new RuleSetError([...doc.problems].sort((a, b) => a.line - b.line || a.column - b.column));
  }
  return spec;
}

/** JSON with object keys sorted, so two actions written in any key order compare equal. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What checking a scenario needs from the rule set, and what it learns on the way. */
class Context {
  readonly rules: ReadonlyMap<string, Rule>;
  readonly capacityRules: ReadonlySet<string>;
  readonly statuses: ReadonlySet<string>;
  stepMs: number | null = DEFAULT_STEP_MS;
  stepText = '1m';
  agents = new Set<string>();
  /** When `agents:` itself is broken, names that refer to it are not reported again. */
  agentsUnreadable = false;
  /** The latest valid `at`, which decides how many steps the run takes. */
  latest: { ms: number; at: YamlNode } | null = null;

  constructor(ruleSet: RuleSet) {
    this.rules = new Map(ruleSet.rules.map((r) => [r.name, r]));
    this.capacityRules = new Set(
      // What a put-back names: the target of a reversible account action, without its kind.
      ruleSet.rules.flatMap((r) => {
        const target = ACTIONS[r.then.type].reversible ? actionTarget(r.then, null) : null;
        return target ? [target.slice(target.indexOf(':') + 1)] : [];
      }),
    );
    this.statuses = new Set<string>([...DEFAULT_STATUSES, ...ruleSet.customStatuses]);
  }

  /** An `at:` as ms after start, or null after reporting why it cannot be one. */
  time(at: YamlNode | undefined, entry: YamlNode, what: string): number | null {
    if (!at) {
      entry.problem(`${what} needs at: a time after start such as "0m", "15m" or "1h30m"`);
      return null;
    }
    const ms = at.value === 0 ? 0 : typeof at.value === 'string' ? parseDuration(at.value) : null;
    if (ms === null) {
      at.problem(
        `at must be a time after start such as "0m", "15m" or "1h30m" (got ${JSON.stringify(at.value)})`,
      );
      return null;
    }
    if (ms > MAX_AFTER_START_MS) {
      at.problem(
        `at ${String(at.value)} is more than 31 days after start; a scenario covers at most 31 days`,
      );
      return null;
    }
    if (this.stepMs !== null && ms % this.stepMs !== 0) {
      at.problem(
        `at ${String(at.value)} is not a multiple of step (${this.stepText}): no evaluation happens then`,
      );
      return null;
    }
    if (!this.latest || ms > this.latest.ms) this.latest = { ms, at };
    return ms;
  }

  /** The agent an `agent:` names, or null after reporting it. */
  agent(at: YamlNode): string | null {
    const name = at.value;
    if (typeof name === 'string' && this.agents.has(name)) return name;
    if (this.agentsUnreadable) return null;
    if (typeof name !== 'string') {
      at.problem(`agent must name an agent declared under agents (got ${JSON.stringify(name)})`);
      return null;
    }
    const guess = didYouMean(name, this.agents);
    at.problem(
      `unknown agent "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; declare it under agents`,
    );
    return null;
  }
}

function readSpec(doc: YamlDocument, context: Context): ScenarioSpec | null {
  const root = doc.root;
  if (!doc.valid) return null;
  if (!root.isMap()) {
    root.problem('a scenario file must be a mapping with name, start, timeline and expect');
    return null;
  }
  const top = root.entries(TOP_KEYS);
  const nameAt = top.get('name');
  const name = typeof nameAt?.value === 'string' ? nameAt.value.trim() : '';
  if (!nameAt) root.problem('a scenario needs name: a line saying what it shows');
  else if (name === '') nameAt.problem(`name must be a line of text (got ${JSON.stringify(nameAt.value)})`);
  const description = top.get('description');
  if (description && typeof description.value !== 'string')
    description.problem(`description must be text (got ${JSON.stringify(description.value)})`);
  const start = readStart(top.get('start'), root);
  readStep(top.get('step'), context);
  const agents = readAgents(top.get('agents'), context);
  const safety = readSafety(top.get('safety'));

  const timeline = top.get('timeline');
  if (!timeline)
    root.problem(
      'a scenario needs timeline: a list of { at, agent, facts }, { at, account } or { at, paused }',
    );
  else if (!timeline.isSeq())
    timeline.problem('timeline must be a list of { at, agent, facts }, { at, account } or { at, paused }');
  const events = (timeline?.items() ?? []).map((at) => readEvent(at, context));

  const expect = top.get('expect');
  if (!expect) root.problem('a scenario needs expect: a list of { at, agent or account: true, actions }');
  else if (!expect.isSeq())
    expect.problem('expect must be a list of { at, agent or account: true, actions }');
  else if (expect.items().length === 0)
    expect.problem('expect is empty: a scenario that checks nothing cannot fail');
  const expectations = (expect?.items() ?? []).map((at) => readExpectation(at, context));

  if (context.stepMs !== null && context.latest) {
    const steps = Math.floor(context.latest.ms / context.stepMs) + 1;
    if (steps > MAX_STEPS) {
      context.latest.at.problem(
        `at ${String(context.latest.at.value)} takes ${steps.toLocaleString('en-US')} steps of ${context.stepText}; a scenario runs at most ${MAX_STEPS.toLocaleString('en-US')} (use a longer step)`,
      );
    }
  }

  if (doc.problems.length > 0 || start === null || context.stepMs === null) return null;
  return {
    file: doc.path,
    name,
    start,
    stepMs: context.stepMs,
    agents,
    events: events.filter((e): e is ScenarioEvent => e !== null),
    expectations: expectations.filter((e): e is ScenarioExpectation => e !== null),
    safety,
  };
}

function readStart(at: YamlNode | undefined, root: YamlNode): number | null {
  if (!at) {
    root.problem(`a scenario needs start: the instant it begins, such as ${START_EXAMPLE}`);
    return null;
  }
  // YAML may have made a Date of an unquoted timestamp (and dropped how it was written): read the text.
  const text = at.source;
  const match = text === null ? null : INSTANT.exec(text);
  if (!match || !realDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    at.problem(
      `start must be an ISO 8601 time with its offset, such as ${START_EXAMPLE} (got ${JSON.stringify(text ?? at.value)})`,
    );
    return null;
  }
  if (match[4] === undefined) {
    at.problem(
      `start ${text} has no offset: add "Z" for UTC or the local offset, such as "+01:00" (without one the instant is ambiguous)`,
    );
    return null;
  }
  return Date.parse(text!);
}

function realDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function readStep(at: YamlNode | undefined, context: Context): void {
  if (!at) return;
  const ms = typeof at.value === 'string' ? parseDuration(at.value) : null;
  if (ms === null)
    at.problem(`step must be a duration such as "1m" or "15m" (got ${JSON.stringify(at.value)})`);
  else if (ms === 0) at.problem('step must be longer than 0s');
  context.stepMs = ms === null || ms === 0 ? null : ms;
  context.stepText = String(at.value);
}

function readAgents(
  at: YamlNode | undefined,
  context: Context,
): Map<string, { id: number; groups: number[] }> {
  const agents = new Map<string, { id: number; groups: number[] }>();
  if (!at) return agents;
  if (!at.isMap()) {
    at.problem('agents must be a mapping of names to { id, groups }, such as sam: { id: 360099100001 }');
    context.agentsUnreadable = true;
    return agents;
  }
  const ids = new Map<number, string>();
  for (const { name, value } of at.pairs()) {
    context.agents.add(name);
    if (!value.isMap()) {
      value.problem(`agent ${name} must be { id, groups } (got ${JSON.stringify(value.value)})`);
      continue;
    }
    const fields = value.entries(AGENT_KEYS);
    const idAt = fields.get('id');
    const id = idAt?.value;
    if (!idAt) value.problem(`agent ${name} needs id: its Zendesk user id`);
    else if (!isId(id))
      idAt.problem(`id must be a Zendesk user id, a whole number above 0 (got ${JSON.stringify(id)})`);
    else if (ids.has(id))
      idAt.problem(`id ${id} is also agent ${ids.get(id)}'s: each agent needs its own id`);
    else ids.set(id, name);
    const groupsAt = fields.get('groups');
    const groups = groupsAt?.value ?? [];
    if (!Array.isArray(groups) || !groups.every(isId))
      groupsAt?.problem(`groups must be a list of Zendesk group ids (got ${JSON.stringify(groups)})`);
    if (isId(id) && Array.isArray(groups) && groups.every(isId)) agents.set(name, { id, groups });
  }
  return agents;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function readSafety(at: YamlNode | undefined): Safety {
  const safety = { ...DEFAULT_SAFETY };
  if (!at) return safety;
  if (!at.isMap()) {
    at.problem('safety must be a mapping: { humanHold, maxChangesPerMin, minOnlinePerGroup }');
    return safety;
  }
  const fields = at.entries(SAFETY_KEYS);
  const hold = fields.get('humanHold');
  if (hold) {
    const ms = hold.value === 0 ? 0 : typeof hold.value === 'string' ? parseDuration(hold.value) : null;
    if (ms === null)
      hold.problem(`humanHold must be a duration such as "10m" or "0s" (got ${JSON.stringify(hold.value)})`);
    else if (ms > MAX_HUMAN_HOLD_MS)
      hold.problem(
        `humanHold of ${String(hold.value)} is longer than a day, the router's longest (HUMAN_HOLD_S)`,
      );
    else safety.humanHoldS = ms / 1000;
  }
  const count = (key: 'maxChangesPerMin' | 'minOnlinePerGroup', least: number, env: string): void => {
    const field = fields.get(key);
    if (!field) return;
    const v = field.value;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= least && v <= MAX_SAFETY_COUNT)
      safety[key] = v;
    else
      field.problem(
        `${key} must be a whole number from ${least} to ${MAX_SAFETY_COUNT.toLocaleString('en-US')}, as the router's ${env} (got ${JSON.stringify(v)})`,
      );
  };
  // The router refuses MAX_CHANGES_PER_MIN=0; a scenario should not test a setting it cannot run with.
  count('maxChangesPerMin', 1, 'MAX_CHANGES_PER_MIN');
  count('minOnlinePerGroup', 0, 'MIN_ONLINE_PER_GROUP');
  return safety;
}

function readEvent(at: YamlNode, context: Context): ScenarioEvent | null {
  if (!at.isMap()) {
    at.problem(
      'a timeline entry must be a mapping: { at, agent, facts }, { at, account: {...} } or { at, paused }',
    );
    return null;
  }
  const fields = at.entries(EVENT_KEYS);
  const time = context.time(fields.get('at'), at, 'a timeline entry');
  const kinds = (['agent', 'account', 'paused'] as const).filter((k) => fields.has(k));
  const kind = kinds[0];
  if (kinds.length !== 1 || kind === undefined) {
    at.problem(
      kinds.length === 0
        ? 'a timeline entry needs agent (with facts), account or paused'
        : `a timeline entry sets one thing: agent facts, account facts or the pause (got ${kinds.join(' and ')})`,
    );
    return null;
  }
  const source = at.position();
  const factsAt = fields.get('facts');
  if (factsAt && kind !== 'agent')
    factsAt.problem('facts belong to an agent: name it with agent, or give account facts under account');
  switch (kind) {
    case 'paused': {
      const paused = fields.get('paused')!;
      if (typeof paused.value !== 'boolean') {
        paused.problem(`paused must be true or false (got ${JSON.stringify(paused.value)})`);
        return null;
      }
      return time === null ? null : { kind: 'pause', at: time, paused: paused.value, source };
    }
    case 'account': {
      const facts = readFacts(fields.get('account')!, 'account', context);
      return time === null || !facts ? null : { kind: 'account', at: time, facts, source };
    }
    case 'agent': {
      const agent = context.agent(fields.get('agent')!);
      if (!factsAt) at.problem('a timeline entry for an agent needs facts: its facts from this time on');
      const facts = factsAt ? readFacts(factsAt, 'agent', context) : null;
      return time === null || agent === null || !facts
        ? null
        : { kind: 'agent', at: time, agent, facts, source };
    }
  }
}

function readFacts(
  at: YamlNode,
  scope: 'agent' | 'account',
  context: Context,
): Record<string, unknown> | null {
  if (!at.isMap()) {
    at.problem(
      scope === 'agent'
        ? `facts must be a mapping of fact names to values, such as { status.name: online } (got ${JSON.stringify(at.value)})`
        : `account must be a mapping of account facts to values, such as { account.messaging.utilization: 0.9 } (got ${JSON.stringify(at.value)})`,
    );
    return null;
  }
  const facts: Record<string, unknown> = {};
  for (const { name, key, value } of at.pairs()) {
    const problem = givenFactProblem(name, value.value, scope, context.statuses);
    if (problem) (problem.on === 'name' ? key : value).problem(problem.message);
    else facts[name] = value.value;
  }
  return facts;
}

function readExpectation(at: YamlNode, context: Context): ScenarioExpectation | null {
  if (!at.isMap()) {
    at.problem('an expectation must be a mapping: { at, agent, actions } or { at, account: true, actions }');
    return null;
  }
  const fields = at.entries(EXPECT_KEYS);
  const time = context.time(fields.get('at'), at, 'an expectation');
  const agentAt = fields.get('agent');
  const accountAt = fields.get('account');
  let target: { kind: 'agent'; name: string } | { kind: 'account' } | null = null;
  if (agentAt && accountAt) {
    at.problem('an expectation is for one agent or for the account, not both');
  } else if (accountAt) {
    if (accountAt.value === true) target = { kind: 'account' };
    else
      accountAt.problem(
        `account must be true: the expectation is about the account (got ${JSON.stringify(accountAt.value)})`,
      );
  } else if (agentAt) {
    const name = context.agent(agentAt);
    if (name !== null) target = { kind: 'agent', name };
  } else {
    at.problem('an expectation needs agent: <name> or account: true');
  }
  const actionsAt = fields.get('actions');
  if (!actionsAt) at.problem('an expectation needs actions: the actions decided at this time ([] for none)');
  else if (!actionsAt.isSeq())
    actionsAt.problem(
      `actions must be a list such as [{ rule: messaging-idle-away, set_status: away }] ([] for none) (got ${JSON.stringify(actionsAt.value)})`,
    );
  const actions = (actionsAt?.items() ?? []).map((a) => readExpectedAction(a, target?.kind ?? null, context));
  if (time === null || target === null || !actionsAt || actions.some((a) => a === null)) return null;
  return {
    at: time,
    target: target.kind === 'account' ? 'account' : `agent:${target.name}`,
    label: target.kind === 'account' ? 'the account' : `agent ${target.name}`,
    actions: actions as string[],
    source: at.position(),
  };
}

/** One expected action as canonical JSON, in the shape the runner describes decisions. */
function readExpectedAction(
  at: YamlNode,
  target: 'agent' | 'account' | null,
  context: Context,
): string | null {
  if (!at.isMap()) {
    at.problem(
      `an expected action must be a mapping: { rule, set_status }, { rule, set_capacity } (with shadow: true for shadow rules) or { revert: <capacity rule> } (got ${JSON.stringify(at.value)})`,
    );
    return null;
  }
  const before = at.doc.problems.length;
  const fields = at.entries(ACTION_KEYS);
  const revert = fields.get('revert');
  if (revert) {
    const others = [...fields.keys()].filter((k) => !['revert', 'shadow', 'held'].includes(k));
    const name = revert.value;
    if (others.length > 0)
      at.problem(
        `a revert names only its capacity rule: { revert: <capacity rule> } (also got ${others.join(', ')})`,
      );
    if (typeof name !== 'string' || name.trim() === '') {
      revert.problem(
        `revert must name the capacity rule restored to its baseline (got ${JSON.stringify(name)})`,
      );
    } else if (!context.capacityRules.has(name)) {
      const guess = didYouMean(name, context.capacityRules);
      revert.problem(
        `no rule changes capacity rule "${name}", so it is never reverted${guess ? ` (did you mean "${guess}"?)` : ''}`,
      );
    }
    if (target === 'agent')
      at.problem('capacity reverts happen to the account: expect them with account: true');
    const flags = recordedAs(fields);
    return at.doc.problems.length > before ? null : canonical({ revert: name, ...flags });
  }

  const ruleAt = fields.get('rule');
  const rule = ruleAt ? knownRule(ruleAt, context) : null;
  if (!ruleAt) at.problem('an expected action names its rule: { rule: <name>, set_status: ... }');
  const changes = ACTION_TYPES.filter((k) => fields.has(k));
  const change = changes[0];
  let action: RuleAction | null = null;
  if (changes.length !== 1 || change === undefined) {
    at.problem(
      `an expected action has exactly one of ${actionTypeList()} (or is { revert: <capacity rule> })`,
    );
  } else {
    action = ACTIONS[change].parse(fields.get(change)!, { statuses: context.statuses });
  }
  const flags = recordedAs(fields);

  if (rule && ruleAt && change) {
    const ruleSets = rule.kind === 'agent' ? 'sets agent statuses' : 'changes a capacity rule';
    if (target === 'agent' && rule.kind === 'account')
      ruleAt.problem(`rule ${rule.name} ${ruleSets}: expect its actions with account: true`);
    else if (target === 'account' && rule.kind === 'agent')
      ruleAt.problem(`rule ${rule.name} ${ruleSets}: expect its actions for an agent (agent: <name>)`);
    else if (ACTIONS[change].ruleKind !== rule.kind)
      fields.get(change)!.problem(`rule ${rule.name} ${ruleSets}; it never does ${change}`);
  }
  if (at.doc.problems.length > before || !rule || !action) return null;
  return canonical({ rule: rule.name, ...describeAction(action), ...flags });
}

/**
 * How an expected action was recorded: `shadow: true` (shadow rule or enforcement off), `held:
 * true` (suppressed by a safety limit). `false` is what every other decision is: written or
 * not, it compares the same.
 */
function recordedAs(fields: Map<string, YamlNode>): Record<string, true> {
  const flags: Record<string, true> = {};
  for (const key of ['shadow', 'held'] as const) {
    const flag = fields.get(key);
    if (flag && typeof flag.value !== 'boolean')
      flag.problem(`${key} must be true or false (got ${JSON.stringify(flag.value)})`);
    if (flag?.value === true) flags[key] = true;
  }
  return flags;
}

function knownRule(at: YamlNode, context: Context): Rule | null {
  const name = at.value;
  if (typeof name !== 'string') {
    at.problem(`rule must name a rule of the rule set (got ${JSON.stringify(name)})`);
    return null;
  }
  const rule = context.rules.get(name);
  if (rule) return rule;
  const guess = didYouMean(name, context.rules.keys());
  at.problem(
    `unknown rule "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}: no rule of the rule set has this name`,
  );
  return null;
}
