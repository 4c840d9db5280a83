import type { AgentAvailability, AgentChannel } from '@app/zendesk';

/** The envelope of a Zendesk agent event (section 11.3); members beyond these are ignored. */
export interface AgentEventEnvelope {
  id: string;
  type: string;
  time?: string;
  detail: { agent_id: string; version: string };
  event: Record<string, unknown>;
}

/** What applying an input did to the cache. */
export type CacheOutcome =
  | { kind: 'applied'; agent: AgentAvailability }
  /** Older than (or as old as) what the cache holds: dropped. */
  | { kind: 'stale' }
  /** The cache cannot apply it (unknown agent, missed versions, unknown event): read the agent. */
  | { kind: 'needs_read'; agentId: number; reason: string }
  /** Not an agent event this cache understands; nothing to do. */
  | { kind: 'ignored'; reason: string };

const EVENT_PREFIX = 'zen:event-type:agent.';

/**
 * The live picture of every agent, kept like a Kubernetes informer: full snapshots from the
 * list (and targeted reads) replace an agent when newer; webhook events are applied as deltas
 * when they are the very next `version`. Anything older is dropped, anything that skips versions
 * or concerns an unknown agent asks for one targeted read. Versions are compared only within an
 * agent.
 */
export class AgentStateCache {
  private readonly agents = new Map<number, AgentAvailability>();
  /** When each agent's last work item went away, for idle time. */
  private readonly workEndedAt = new Map<number, number>();

  get size(): number {
    return this.agents.size;
  }

  get(agentId: number): AgentAvailability | undefined {
    return this.agents.get(agentId);
  }

  all(): IterableIterator<AgentAvailability> {
    return this.agents.values();
  }

  lastWorkEndedAt(agentId: number): number | null {
    return this.workEndedAt.get(agentId) ?? null;
  }

  /** A full record (from the list or a read): kept when newer than what the cache holds. */
  applySnapshot(agent: AgentAvailability, now: number): CacheOutcome {
    const current = this.agents.get(agent.agentId);
    if (current && current.version >= agent.version) return { kind: 'stale' };
    const hadWork = current ? totalWork(current) > 0 : false;
    if (hadWork && totalWork(agent) === 0) this.workEndedAt.set(agent.agentId, now);
    this.agents.set(agent.agentId, agent);
    return { kind: 'applied', agent };
  }

  /** A webhook event, applied as a delta when it is the next version of a known agent. */
  applyEvent(envelope: AgentEventEnvelope, now: number): CacheOutcome {
    if (!envelope.type.startsWith(EVENT_PREFIX))
      return { kind: 'ignored', reason: `not an agent event: ${envelope.type}` };
    const agentId = Number(envelope.detail.agent_id);
    const version = Number(envelope.detail.version);
    if (!Number.isSafeInteger(agentId) || !Number.isSafeInteger(version)) {
      return { kind: 'ignored', reason: 'detail.agent_id and detail.version must be integers' };
    }
    const current = this.agents.get(agentId);
    if (!current) return { kind: 'needs_read', agentId, reason: 'unknown agent' };
    if (version <= current.version) return { kind: 'stale' };
    if (version > current.version + 1) {
      return { kind: 'needs_read', agentId, reason: `missed versions ${current.version + 1}–${version - 1}` };
    }
    const next = applyDelta(current, envelope.type.slice(EVENT_PREFIX.length), envelope.event, version);
    if (!next) return { kind: 'needs_read', agentId, reason: `cannot apply ${envelope.type}` };
    return this.applySnapshot(next, now);
  }

  /** Forgets agents the last full list did not return (deleted or no longer agents). */
  retainOnly(agentIds: ReadonlySet<number>): number[] {
    const gone = [...this.agents.keys()].filter((id) => !agentIds.has(id));
    for (const id of gone) {
      this.agents.delete(id);
      this.workEndedAt.delete(id);
    }
    return gone;
  }
}

function totalWork(agent: AgentAvailability): number {
  return agent.channels.reduce((n, c) => n + c.workItemCount, 0);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const date = (v: unknown): Date | null => {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(ms) ? null : new Date(ms);
};

/** The agent after one event (sections 11.4 and 11.5), or null when the event lacks what it needs. */
function applyDelta(
  agent: AgentAvailability,
  type: string,
  event: Record<string, unknown>,
  version: number,
): AgentAvailability | null {
  const at = date(event.updated_at);
  const channels = agent.channels.map((c) => ({ ...c, workItems: [...c.workItems] }));
  const channel = (name: unknown): AgentChannel | undefined => channels.find((c) => c.name === name);
  const next: AgentAvailability = { ...agent, version, channels };
  switch (type) {
    case 'state_changed': {
      const target = channel(event.channel);
      const state = str(event.new_state);
      if (!target || !state) return null;
      target.status = state;
      target.updatedAt = at ?? target.updatedAt;
      return next;
    }
    case 'unified_state_changed': {
      const status = event.new_unified_state as { id?: unknown; name?: unknown } | undefined;
      if (typeof status?.id !== 'number' || typeof status.name !== 'string') return null;
      next.status = { id: status.id, name: status.name, reason: str(event.reason), updatedAt: at };
      return next;
    }
    case 'work_item_added': {
      const target = channel(event.channel);
      const id =
        str(event.work_item_id) ??
        (typeof event.work_item_id === 'number' ? String(event.work_item_id) : null);
      if (!target || id === null) return null;
      target.workItemCount += 1;
      // Only the items seen are listed; the count is what rules use.
      if (!target.hasMoreWorkItems)
        target.workItems.push({ id, addedAt: at, reason: str(event.reason) ?? 'UNKNOWN_ADD' });
      return next;
    }
    case 'work_item_updated': {
      const target = channel(event.channel);
      if (!target) return null;
      const item = target.workItems.find((w) => w.id === String(event.work_item_id));
      if (item) item.reason = str(event.reason) ?? item.reason;
      return next;
    }
    case 'work_item_removed': {
      const target = channel(event.channel);
      if (!target || target.workItemCount === 0) return null;
      target.workItemCount -= 1;
      target.workItems = target.workItems.filter((w) => w.id !== String(event.work_item_id));
      return next;
    }
    case 'max_capacity_changed': {
      const target = channel(event.channel);
      if (!target || typeof event.new_max_capacity !== 'number') return null;
      target.maxCapacity = event.new_max_capacity;
      return next;
    }
    case 'channel_created':
      // A new channel's status and capacity are not in the event: read the agent.
      return null;
    case 'channel_deleted':
      next.channels = channels.filter((c) => c.name !== event.channel);
      return next;
    case 'groups_updated': {
      const groups = event.new_group_ids;
      if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'number')) return null;
      next.groupIds = groups;
      return next;
    }
    default:
      return null;
  }
}
