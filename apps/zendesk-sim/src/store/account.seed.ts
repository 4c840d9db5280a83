import {
  DEFAULT_STATUS,
  type Agent,
  type AgentChannel,
  type CapacityRule,
  type ChannelName,
  type ChannelState,
  type Group,
  type Identity,
  type UnifiedStatus,
  type WorkItemReason,
} from './account.model';
import type { AccountData } from './account.store';
import { Prng, ulid } from './prng';

export interface SeedOptions {
  seed: number;
  agentCount: number;
  now: number;
  accountId: number;
  admin: { email: string; apiToken: string };
  agent: { email: string; apiToken: string };
}

/** First agent id; ids ascend from here (Zendesk user ids are large integers). */
export const FIRST_AGENT_ID = 360_099_100_001;
const FIRST_WORK_ITEM_ID = 48_000;

const GROUPS: Group[] = [
  { id: 360_001_000_001, name: 'Tier 1' },
  { id: 360_001_000_002, name: 'Tier 2' },
  { id: 360_001_000_003, name: 'Billing' },
  { id: 360_001_000_004, name: 'VIP' },
];

const all = (state: ChannelState): Record<ChannelName, ChannelState> => ({
  messaging: state,
  support: state,
  talk: state,
});

function defaultStatuses(now: number): UnifiedStatus[] {
  const d = (id: number, name: string, description: string, channels: Record<ChannelName, ChannelState>) => ({
    id,
    kind: 'default' as const,
    name,
    description,
    channels,
    groupIds: [],
    updatedAt: now,
  });
  return [
    d(DEFAULT_STATUS.offline, 'offline', "Can't receive work", all('offline')),
    d(DEFAULT_STATUS.online, 'online', 'Can receive work', all('online')),
    // Away still routes email tickets (section 10.1 conflict resolution).
    d(DEFAULT_STATUS.away, 'away', 'Can only receive email tickets', {
      messaging: 'away',
      support: 'online',
      talk: 'away',
    }),
    d(
      DEFAULT_STATUS.transfers_only,
      'transfers_only',
      'Can only receive work from other agents',
      all('transfers_only'),
    ),
  ];
}

/** Custom statuses a contact centre typically defines; ids as in section 10.3's example. */
export const CUSTOM_STATUS = {
  lunch: 9001,
  break: 9002,
  coaching: 9003,
  training: 9004,
  backOffice: 9005,
} as const;

function customStatuses(now: number): UnifiedStatus[] {
  const c = (
    id: number,
    name: string,
    description: string,
    channels: Record<ChannelName, ChannelState>,
    groupIds: number[] = [],
  ) => ({ id, kind: 'custom' as const, name, description, channels, groupIds, updatedAt: now });
  return [
    c(CUSTOM_STATUS.lunch, 'Lunch', 'Lunch break', all('offline')),
    c(CUSTOM_STATUS.break, 'Break', 'Short break', all('away')),
    c(CUSTOM_STATUS.coaching, 'Coaching', '1:1 with team lead', {
      messaging: 'offline',
      support: 'away',
      talk: 'offline',
    }),
    c(CUSTOM_STATUS.training, 'Training', 'Scheduled training', all('offline')),
    c(
      CUSTOM_STATUS.backOffice,
      'Back office',
      'Email only, no live channels',
      {
        messaging: 'offline',
        support: 'online',
        talk: 'offline',
      },
      [GROUPS[1]!.id, GROUPS[2]!.id],
    ),
  ];
}

const FIRST_NAMES = [
  'Sam',
  'Lee',
  'Alex',
  'Maria',
  'Noah',
  'Priya',
  'Chen',
  'Fatima',
  'Jonas',
  'Aiko',
  'Luca',
  'Zoe',
  'Omar',
  'Ines',
  'Kofi',
  'Mila',
  'Ravi',
  'Elena',
  'Tom',
  'Sara',
];
const LAST_NAMES = [
  'Smith',
  'Garcia',
  'Nguyen',
  'Müller',
  'Okafor',
  'Rossi',
  'Kim',
  'Silva',
  'Dubois',
  'Haddad',
  'Novak',
  'Tanaka',
  'Johansson',
  'Patel',
  'Cohen',
  'Costa',
];

/**
 * A deterministic account: the same options always give the same agents, statuses and rules.
 * About two thirds of the agents start online with some work, the rest offline, away or on a
 * custom status, so every API and every rule has something to see from the first request.
 */
/** Zones agents work in (section 13): Rails names with their IANA names. */
const TIME_ZONES = [
  { rails: 'Berlin', iana: 'Europe/Berlin' },
  { rails: 'London', iana: 'Europe/London' },
  { rails: 'Eastern Time (US & Canada)', iana: 'America/New_York' },
  { rails: 'Pacific Time (US & Canada)', iana: 'America/Los_Angeles' },
  { rails: 'Sydney', iana: 'Australia/Sydney' },
] as const;

export function seedAccount(options: SeedOptions): AccountData {
  const prng = new Prng(options.seed);
  const { now } = options;
  const statuses = [...defaultStatuses(now), ...customStatuses(now)];
  const capacityRules: CapacityRule[] = [
    rule('Default capacity', 'Applies to everyone not in another rule', true, {
      email: 10,
      messaging: 3,
      voice: 1,
    }),
    rule('New starters', 'Lower load while ramping up', false, { email: 4, messaging: 1, voice: 0 }),
    rule('Senior agents', 'Experienced agents take more chats', false, { email: 12, messaging: 5, voice: 1 }),
  ];
  function rule(
    name: string,
    description: string,
    isDefault: boolean,
    capacities: CapacityRule['capacities'],
  ) {
    return {
      id: ulid(now - 90 * 86_400_000, prng),
      name,
      description,
      isDefault,
      capacities,
      createdAt: now - 90 * 86_400_000,
      updatedAt: now - 86_400_000,
    };
  }
  const skillPool = Array.from({ length: 8 }, () => prng.uuid());
  let nextWorkItemId = FIRST_WORK_ITEM_ID;
  const agents: Agent[] = [];
  for (let i = 0; i < options.agentCount; i++) {
    const id = FIRST_AGENT_ID + i;
    const first = prng.pick(FIRST_NAMES);
    const last = prng.pick(LAST_NAMES);
    const email = i === 0 ? options.agent.email : `${first}.${last}.${i}@example.com`.toLowerCase();
    const primary = prng.next() < 0.5 ? GROUPS[0]! : prng.pick(GROUPS.slice(1));
    const groupIds = [primary.id];
    if (prng.chance(0.15)) groupIds.push(prng.pick(GROUPS).id);
    const channelNames: ChannelName[] = prng.chance(0.7)
      ? ['messaging', 'support', 'talk']
      : ['messaging', 'support'];
    const roll = prng.next();
    const statusId =
      roll < 0.62
        ? DEFAULT_STATUS.online
        : roll < 0.8
          ? DEFAULT_STATUS.offline
          : roll < 0.87
            ? DEFAULT_STATUS.away
            : roll < 0.92
              ? DEFAULT_STATUS.transfers_only
              : prng.pick([
                  CUSTOM_STATUS.lunch,
                  CUSTOM_STATUS.break,
                  CUSTOM_STATUS.coaching,
                  CUSTOM_STATUS.training,
                ]);
    const status = statuses.find((s) => s.id === statusId)!;
    const statusSince = now - prng.int(1, 180) * 60_000;
    const capacityRuleId = prng.chance(0.1)
      ? capacityRules[1]!.id
      : prng.chance(0.15)
        ? capacityRules[2]!.id
        : capacityRules[0]!.id;
    const capacities = capacityRules.find((r) => r.id === capacityRuleId)!.capacities;
    const channels = new Map<ChannelName, AgentChannel>();
    for (const name of channelNames) {
      const state = status.channels[name];
      const channel: AgentChannel = { name, status: state, updatedAt: statusSince, workItems: [] };
      const cap =
        name === 'messaging'
          ? capacities.messaging
          : name === 'support'
            ? capacities.email
            : capacities.voice;
      const load =
        state === 'online' ? prng.int(0, cap) : state === 'offline' ? 0 : prng.int(0, Math.min(1, cap));
      for (let w = 0; w < load; w++) {
        const reason: WorkItemReason = prng.pick([
          'ASSIGNED',
          'ACCEPTED',
          'ACCEPTED',
          'MANUAL_ASSIGNED',
          'REOPENED',
        ]);
        channel.workItems.push({ id: nextWorkItemId++, addedAt: now - prng.int(1, 90) * 60_000, reason });
      }
      channel.workItems.sort((a, b) => a.addedAt - b.addedAt || a.id - b.id);
      channels.set(name, channel);
    }
    agents.push({
      id,
      name: `${first} ${last}`,
      email,
      // From the id, not the generator, so that adding zones did not change any other seeded value.
      timeZone: TIME_ZONES[i % TIME_ZONES.length]!,
      groupIds: [...new Set(groupIds)].sort((a, b) => a - b),
      skills: skillPool.filter(() => prng.chance(0.3)),
      version: prng.int(1, 60),
      status: { id: statusId, reason: 'AGENT_STATUS_SWITCHER', updatedAt: statusSince },
      channels,
      capacityRuleId,
    });
  }
  const identities: Identity[] = [
    { email: options.admin.email, role: 'admin', apiToken: options.admin.apiToken, agentId: null },
    {
      email: options.agent.email,
      role: 'agent',
      apiToken: options.agent.apiToken,
      agentId: agents[0]?.id ?? null,
    },
  ];
  return {
    accountId: options.accountId,
    omnichannelRouting: true,
    groups: GROUPS.map((g) => ({ ...g })),
    statuses,
    capacityRules,
    agents,
    identities,
    nextWorkItemId,
  };
}
