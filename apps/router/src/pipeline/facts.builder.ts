import { AGENT_CHANNELS, CAPACITY_CHANNELS, HUMAN_STATUS_REASONS, type Facts } from '@app/rules';
import type { AgentAvailability, CapacityRule } from '@app/zendesk';

const MINUTE_MS = 60_000;

/** What the router knows about an agent beyond Zendesk's record. */
export interface AgentHistory {
  /** The router made the agent's current status (its own write at this status version). */
  routerSetStatus: boolean;
  /** When the agent's last work item went away (epoch ms), if seen. */
  lastWorkEndedAt: number | null;
}

const minutesSince = (at: Date | null, now: number): number =>
  at ? Math.max(0, (now - at.getTime()) / MINUTE_MS) : 0;
const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * The one place where a Zendesk agent becomes facts (the names of `libs/rules`' catalogue).
 * Minutes are fractional (rounded to 1/100) so `for` and durations are exact at any interval.
 */
export function agentFacts(
  agent: AgentAvailability,
  history: AgentHistory,
  now: number,
): Record<string, unknown> {
  const facts: Record<string, unknown> = {
    'agent.id': agent.agentId,
    'agent.groups': agent.groupIds,
    'agent.skills': agent.skillIds,
  };
  if (agent.status) {
    facts['status.id'] = agent.status.id;
    facts['status.name'] = agent.status.name;
    facts['status.minutes'] = round(minutesSince(agent.status.updatedAt, now));
    if (agent.status.reason) facts['status.reason'] = agent.status.reason;
    facts['status.setBy'] = history.routerSetStatus
      ? 'router'
      : HUMAN_STATUS_REASONS.has(agent.status.reason ?? '')
        ? 'human'
        : 'zendesk';
  }
  let total = 0;
  for (const channel of agent.channels) {
    if (!(AGENT_CHANNELS as readonly string[]).includes(channel.name)) continue;
    const prefix = channel.name;
    total += channel.workItemCount;
    if (channel.status) facts[`${prefix}.status`] = channel.status;
    facts[`${prefix}.minutesInStatus`] = round(minutesSince(channel.updatedAt, now));
    facts[`${prefix}.workItems`] = channel.workItemCount;
    if (channel.maxCapacity !== null) {
      facts[`${prefix}.maxCapacity`] = channel.maxCapacity;
      facts[`${prefix}.utilization`] =
        channel.maxCapacity > 0 ? round(channel.workItemCount / channel.maxCapacity) : 0;
    }
    const oldest = channel.workItems[0]?.addedAt ?? null;
    facts[`${prefix}.oldestWorkItemMinutes`] = round(minutesSince(oldest, now));
  }
  facts.workItems = total;
  facts.idleMinutes = round(idleMinutes(agent, history, total, now));
  return facts;
}

/** Online with nothing to do since the later of going online and the last work ending. */
function idleMinutes(agent: AgentAvailability, history: AgentHistory, total: number, now: number): number {
  if (total > 0 || agent.status?.name !== 'online') return 0;
  const since = Math.max(agent.status.updatedAt?.getTime() ?? now, history.lastWorkEndedAt ?? 0);
  return Math.max(0, (now - since) / MINUTE_MS);
}

/** Facts about the whole account, for capacity rules; per-group and per-rule facts take params. */
export function accountFacts(
  agents: readonly AgentAvailability[],
  capacityRules: readonly CapacityRule[],
): Facts {
  const facts: Record<string, unknown> = {};
  const online = new Map<string, number>();
  for (const name of AGENT_CHANNELS) {
    let agentsOnline = 0;
    let work = 0;
    let onlineWork = 0;
    let onlineCapacity = 0;
    let atCapacity = 0;
    for (const agent of agents) {
      const channel = agent.channels.find((c) => c.name === name);
      if (!channel) continue;
      work += channel.workItemCount;
      if (channel.status !== 'online') continue;
      agentsOnline++;
      onlineWork += channel.workItemCount;
      onlineCapacity += channel.maxCapacity ?? 0;
      if (channel.maxCapacity !== null && channel.workItemCount >= channel.maxCapacity) atCapacity++;
      for (const group of agent.groupIds)
        online.set(`${group}|${name}`, (online.get(`${group}|${name}`) ?? 0) + 1);
    }
    facts[`account.${name}.agentsOnline`] = agentsOnline;
    facts[`account.${name}.workItems`] = work;
    facts[`account.${name}.utilization`] = onlineCapacity > 0 ? round(onlineWork / onlineCapacity) : 0;
    facts[`account.${name}.agentsAtCapacity`] = atCapacity;
  }
  // json-rules-engine calls a function fact with the condition's params.
  facts['group.agentsOnline'] = (params: { group?: number; channel?: string }) =>
    online.get(`${params.group}|${params.channel}`) ?? 0;
  facts['capacityRule.capacity'] = (params: { rule?: string; channel?: string }) => {
    const rule = capacityRules.find((r) => r.name === params.rule);
    const channel = CAPACITY_CHANNELS.find((c) => c === params.channel);
    return rule && channel ? rule.capacities[channel] : undefined;
  };
  return facts;
}
