/** The channels an agent works on, as availability reports them. */
export const AGENT_CHANNELS = ['messaging', 'support', 'talk'] as const;
export type AgentChannelName = (typeof AGENT_CHANNELS)[number];

/** Capacity-rule channels (Zendesk names them differently from availability channels). */
export const CAPACITY_CHANNELS = ['email', 'messaging', 'voice'] as const;
export type CapacityChannelName = (typeof CAPACITY_CHANNELS)[number];

/** The value types a fact can have; conditions are checked against them. */
export type FactType = 'number' | 'string' | 'boolean' | 'number[]' | 'string[]';

/** Whether a fact describes one agent (agent rules) or the whole account (capacity rules). */
export type FactScope = 'agent' | 'account';

/** The least and the greatest value of a number fact, both included. */
export interface FactRange {
  readonly min: number;
  readonly max: number;
}

/** Counts and durations: never negative, no upper bound. */
const NOT_NEGATIVE: FactRange = { min: 0, max: Infinity };
/**
 * Work items over capacity. Above 1 when work is assigned by hand beyond capacity; 10 times the
 * capacity is far past anything routing allows, so a larger value is a percentage written as such.
 */
const RATIO: FactRange = { min: 0, max: 10 };

/** One entry of the fact catalogue: what rule authors can write in `fact:`. */
export interface FactDefinition {
  readonly name: string;
  readonly scope: FactScope;
  readonly type: FactType;
  readonly description: string;
  /** A value as a rule author would write it. */
  readonly example: string | number | boolean | readonly (string | number)[];
  /** Allowed string values, when the set is closed. */
  readonly values?: readonly string[];
  /** `params` the condition must give (e.g. which group). */
  readonly params?: Readonly<Record<string, 'number' | 'string'>>;
  /** What a number measures: `minutes`, or `ratio` (a share: 0.85 means 85%, 1 means full). */
  readonly unit?: string;
  /**
   * Every value the fact can take, bounds included (`max` may be `Infinity`): `rules check`
   * refuses a comparison with a value outside it, which could never hold or would always hold.
   */
  readonly range?: FactRange;
  /** Its value moves with the clock alone (a duration, the local time): ticks must re-evaluate it. */
  readonly changesWithTime?: true;
}

const CHANNEL_STATES = ['online', 'away', 'transfers_only', 'offline'] as const;
/** Who made an agent's last status change. */
export const STATUS_SETTERS = ['human', 'router', 'zendesk'] as const;

/**
 * Zendesk's status reasons (docs/zendesk-api.md §8.1.2) that mean a person chose the status:
 * the agent in the status switcher, a supervisor in Explore or the monitoring assistant, or
 * another integration acting for them (the public API, WFM). A status with one of these reasons
 * that the router did not write makes `status.setBy` `human`, and the human hold applies to it.
 */
export const HUMAN_STATUS_REASONS: ReadonlySet<string> = new Set([
  'AGENT_STATUS_SWITCHER',
  'SWITCHER_AUTO_RECONNECT',
  'EXPLORE_TAKE_AN_ACTION',
  'PUBLIC_API',
  'WFM_STATUS_UPDATE',
  'MONITORING_ASSISTANT_UPDATE',
]);
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function channelFacts(channel: AgentChannelName): FactDefinition[] {
  return [
    {
      name: `${channel}.status`,
      scope: 'agent',
      type: 'string',
      values: CHANNEL_STATES,
      example: 'online',
      description: `The agent's status on ${channel}; absent when the agent has no ${channel} channel.`,
    },
    {
      name: `${channel}.minutesInStatus`,
      scope: 'agent',
      type: 'number',
      unit: 'minutes',
      range: NOT_NEGATIVE,
      changesWithTime: true,
      example: 12,
      description: `Minutes since the ${channel} status last changed.`,
    },
    {
      name: `${channel}.workItems`,
      scope: 'agent',
      type: 'number',
      range: NOT_NEGATIVE,
      example: 2,
      description: `Work items assigned to the agent on ${channel}.`,
    },
    {
      name: `${channel}.maxCapacity`,
      scope: 'agent',
      type: 'number',
      range: NOT_NEGATIVE,
      example: 3,
      description: `The most work items routing gives the agent on ${channel} (from the agent's capacity rule).`,
    },
    {
      name: `${channel}.utilization`,
      scope: 'agent',
      type: 'number',
      unit: 'ratio',
      range: RATIO,
      example: 0.67,
      description: `${channel}.workItems / ${channel}.maxCapacity (0 when the capacity is 0); above 1 when assigned by hand beyond capacity.`,
    },
    {
      name: `${channel}.oldestWorkItemMinutes`,
      scope: 'agent',
      type: 'number',
      unit: 'minutes',
      range: NOT_NEGATIVE,
      changesWithTime: true,
      example: 25,
      description: `Age of the agent's oldest ${channel} work item; 0 without work.`,
    },
  ];
}

function accountChannelFacts(channel: AgentChannelName): FactDefinition[] {
  return [
    {
      name: `account.${channel}.agentsOnline`,
      scope: 'account',
      type: 'number',
      range: NOT_NEGATIVE,
      example: 42,
      description: `Agents whose ${channel} status is online.`,
    },
    {
      name: `account.${channel}.workItems`,
      scope: 'account',
      type: 'number',
      range: NOT_NEGATIVE,
      example: 97,
      description: `Work items on ${channel} across all agents.`,
    },
    {
      name: `account.${channel}.utilization`,
      scope: 'account',
      type: 'number',
      unit: 'ratio',
      range: RATIO,
      example: 0.82,
      description: `Work items over capacity, summed over agents online on ${channel}.`,
    },
    {
      name: `account.${channel}.agentsAtCapacity`,
      scope: 'account',
      type: 'number',
      range: NOT_NEGATIVE,
      example: 12,
      description: `Online ${channel} agents with as many work items as their capacity, or more.`,
    },
  ];
}

/**
 * The fact catalogue: every fact a rule can use, defined once. The rule author's guide and
 * `rules/schema.json` are generated from it (a test keeps them in step).
 */
export const FACTS: readonly FactDefinition[] = [
  {
    name: 'agent.id',
    scope: 'agent',
    type: 'number',
    example: 360099100001,
    description: "The agent's Zendesk user id.",
  },
  {
    name: 'agent.groups',
    scope: 'agent',
    type: 'number[]',
    example: [360001000001],
    description: 'Ids of the groups the agent belongs to.',
  },
  {
    name: 'agent.skills',
    scope: 'agent',
    type: 'string[]',
    example: ['5b0c9a2e-7d41-4f0e-9a53-2c1f8e6b7d10'],
    description: "Ids of the agent's skills.",
  },
  {
    name: 'status.id',
    scope: 'agent',
    type: 'number',
    example: 3,
    description: "The agent's unified status id.",
  },
  {
    name: 'status.name',
    scope: 'agent',
    type: 'string',
    example: 'online',
    description:
      "The agent's unified status name, as in the account's status list (defaults: online, offline, away, transfers_only).",
  },
  {
    name: 'status.minutes',
    scope: 'agent',
    type: 'number',
    unit: 'minutes',
    range: NOT_NEGATIVE,
    changesWithTime: true,
    example: 47,
    description: 'Minutes since the unified status was set.',
  },
  {
    name: 'status.reason',
    scope: 'agent',
    type: 'string',
    example: 'AGENT_STATUS_SWITCHER',
    description:
      'Why Zendesk says the status was set (PUBLIC_API, AGENT_STATUS_SWITCHER, AGENT_IDLE_TIMEOUT, ...).',
  },
  {
    name: 'status.setBy',
    scope: 'agent',
    type: 'string',
    values: STATUS_SETTERS,
    example: 'human',
    description:
      'Who made the last status change: a person (human), this router (router) or Zendesk itself (zendesk: logout, idle timeout, disconnect).',
  },
  ...AGENT_CHANNELS.flatMap(channelFacts),
  {
    name: 'workItems',
    scope: 'agent',
    type: 'number',
    range: NOT_NEGATIVE,
    example: 4,
    description: 'Work items on all channels.',
  },
  {
    name: 'idleMinutes',
    scope: 'agent',
    type: 'number',
    unit: 'minutes',
    range: NOT_NEGATIVE,
    changesWithTime: true,
    example: 18,
    description: 'Minutes the agent has been online with no work item at all; 0 while working or not online.',
  },
  ...AGENT_CHANNELS.flatMap(accountChannelFacts),
  {
    name: 'group.agentsOnline',
    scope: 'account',
    type: 'number',
    range: NOT_NEGATIVE,
    params: { group: 'number', channel: 'string' },
    example: 5,
    description: 'Agents of one group online on one channel (params: group id, channel).',
  },
  {
    name: 'capacityRule.capacity',
    scope: 'account',
    type: 'number',
    range: NOT_NEGATIVE,
    params: { rule: 'string', channel: 'string' },
    example: 3,
    description:
      "A capacity rule's current capacity on one channel (params: rule name, channel email/messaging/voice).",
  },
  {
    name: 'localTime.weekday',
    changesWithTime: true,
    scope: 'agent',
    type: 'string',
    values: WEEKDAYS,
    example: 'mon',
    description: "Day of the week in the rule set's time zone.",
  },
  {
    name: 'localTime.hour',
    changesWithTime: true,
    scope: 'agent',
    type: 'number',
    range: { min: 0, max: 23 },
    example: 17,
    description: "Hour (0-23) in the rule set's time zone.",
  },
  {
    name: 'localTime.minute',
    changesWithTime: true,
    scope: 'agent',
    type: 'number',
    range: { min: 0, max: 59 },
    example: 30,
    description: "Minute of the hour in the rule set's time zone.",
  },
  {
    name: 'localTime.time',
    changesWithTime: true,
    scope: 'agent',
    type: 'string',
    example: '17:30',
    description: "HH:MM in the rule set's time zone; compare with timeBetween.",
  },
  {
    name: 'localTime.date',
    changesWithTime: true,
    scope: 'agent',
    type: 'string',
    example: '2026-12-24',
    description: "YYYY-MM-DD in the rule set's time zone.",
  },
];

/** The `localTime.*` facts: computed from the clock in the rule set's zone, never from an agent. */
export const LOCAL_TIME_FACTS: readonly FactDefinition[] = FACTS.filter((f) =>
  f.name.startsWith('localTime.'),
);

/** Calendar facts are named after the calendars a rule set declares: `calendar.<name>`. */
export const CALENDAR_FACT_PREFIX = 'calendar.';

const BY_NAME = new Map(FACTS.map((f) => [f.name, f]));

/**
 * The definition of a fact name, including `calendar.<name>` for declared calendars. Time facts
 * are usable in both scopes.
 */
export function factDefinition(name: string, calendars: ReadonlySet<string>): FactDefinition | undefined {
  if (name.startsWith(CALENDAR_FACT_PREFIX) && calendars.has(name.slice(CALENDAR_FACT_PREFIX.length))) {
    return {
      name,
      scope: 'agent',
      type: 'boolean',
      example: true,
      description: `Whether now is inside calendar ${name.slice(CALENDAR_FACT_PREFIX.length)}.`,
    };
  }
  return BY_NAME.get(name);
}

/** Whether a fact may be used by a rule of `scope` (time and calendar facts work everywhere). */
export function factUsableIn(fact: FactDefinition, scope: FactScope): boolean {
  return (
    fact.scope === scope || fact.name.startsWith('localTime.') || fact.name.startsWith(CALENDAR_FACT_PREFIX)
  );
}
