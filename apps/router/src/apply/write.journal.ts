import type { CapacityChannel, CapacityRule } from '@app/zendesk';
import { AuditHealth } from '../audit/audit.health';
import type { AuditStore, DecisionRecord, StateKeys } from '../audit/audit.store';
import type { AgentStateCache } from '../sync/agent-state.cache';

interface WriteBase {
  /** Unique within the process that noted it. */
  id: number;
  /** `agent:<id>` or `capacity:<name>`. */
  target: string;
  rule: string;
  revision: string;
  /** The decision's action as its row writes it. */
  action: Record<string, unknown>;
  /** Epoch ms when the write was sent. */
  sentAt: number;
}

/** A status write: the agent should end up with `statusId`. */
export interface StatusWrite extends WriteBase {
  kind: 'status';
  agentId: number;
  statusId: number;
  statusName: string;
}

/** A capacity write (a change or its put-back): the capacity rule should end up with `capacities`. */
export interface CapacityWrite extends WriteBase {
  kind: 'capacity';
  capacityRule: string;
  capacities: Partial<Record<CapacityChannel, number>>;
}

/** A write to Zendesk noted before it was sent, whose outcome has no row yet. */
export type OpenWrite = StatusWrite | CapacityWrite;

/** A saved entry: files written before capacity writes were journaled hold status writes like this. */
type SavedWrite = OpenWrite | Omit<StatusWrite, 'id' | 'kind' | 'target' | 'action'>;

/** What a write is before the journal gives it an id. */
export type NewWrite = Omit<StatusWrite, 'id'> | Omit<CapacityWrite, 'id'>;

interface Entry {
  write: OpenWrite;
  /** Zendesk answered (took the write or refused it). */
  answered: boolean;
  /** The outcome's row, waiting to commit with the write's removal from the journal. */
  row: DecisionRecord | null;
}

/**
 * Writes to Zendesk between "about to send" and "recorded", kept durably in the audit store. A
 * write is sent only once its entry is durable; it leaves the journal in the same transaction
 * that commits its row, so a failed commit (a full disk) keeps both the entry and the row, and
 * the next commit tries again. A process that stops first leaves the entry here; the next one
 * settles it against what Zendesk reports — `applied` when Zendesk has the change, `failed` when
 * not. So every write Zendesk took ends with exactly one row. While the store cannot write, no
 * entry is noted and no write is sent (see `AuditHealth`). One journal per process, shared by
 * every rule set's passes; every write to the store goes through it, one at a time.
 */
export class WriteJournal {
  private readonly open = new Map<number, Entry>();
  /** Writes a previous process left open, until they are settled. */
  private inherited: OpenWrite[] = [];
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly audit: AuditStore,
    readonly health: AuditHealth = new AuditHealth(audit),
  ) {}

  /** Reads the writes a previous process left open. */
  async load(): Promise<void> {
    const saved: SavedWrite[] = (await this.audit.state('openWrites')) ?? [];
    this.inherited = saved.map((write) => this.fromFile(write));
  }

  /**
   * Notes a write durably, before it is sent; `state` (a capacity baseline) commits with it.
   * Returns the write's id — or null when the store cannot take the entry: then the write must
   * not be sent (the rules decide again once the store works).
   */
  begin(write: NewWrite, state: Partial<StateKeys> = {}): Promise<number | null> {
    return this.exclusive(async () => {
      if (!this.health.writable) {
        this.health.withheld();
        return null;
      }
      const id = this.nextId++;
      this.open.set(id, { write: { ...write, id }, answered: false, row: null });
      try {
        await this.audit.recordPass([], { ...state, openWrites: this.entries() });
      } catch (error) {
        this.open.delete(id);
        this.health.failed(error);
        this.health.withheld();
        return null;
      }
      this.health.succeeded();
      return id;
    });
  }

  /** Zendesk answered write `id` (took it or refused it): it waits for its row. */
  answered(id: number): void {
    const entry = this.open.get(id);
    if (entry) entry.answered = true;
  }

  /**
   * Takes an `applied` or `failed` row that is the outcome of an answered write on its target;
   * it commits with the write's removal from the journal at the next `commit`. False when no
   * answered write waits for it (the row is not a write's).
   */
  attach(record: DecisionRecord): boolean {
    if (record.outcome !== 'applied' && record.outcome !== 'failed') return false;
    for (const entry of this.open.values()) {
      if (entry.answered && !entry.row && entry.write.target === record.target) {
        entry.row = record;
        return true;
      }
    }
    return false;
  }

  /**
   * Commits `records` and `state` in one transaction with the rows of answered writes, which
   * leave the journal with it. Returns every row committed — or null when the store failed: then
   * nothing is dropped here (the writes stay noted with their rows, for the next commit).
   */
  commit(
    records: readonly DecisionRecord[],
    state: Partial<StateKeys> = {},
  ): Promise<DecisionRecord[] | null> {
    return this.exclusive(async () => {
      // While the store is out, nothing is tried here: the probe alone says when it is back.
      if (!this.health.writable) return null;
      const closing = [...this.open.values()].filter((entry) => entry.row !== null);
      const rows = [...closing.map((entry) => entry.row!), ...records];
      if (rows.length === 0 && Object.keys(state).length === 0) return [];
      const remaining = closing.length > 0 ? { openWrites: this.entries(closing) } : {};
      try {
        await this.audit.recordPass(rows, { ...state, ...remaining });
      } catch (error) {
        this.health.failed(error);
        return null;
      }
      for (const entry of closing) this.open.delete(entry.write.id);
      this.health.succeeded();
      return rows;
    });
  }

  /** How many writes Zendesk answered whose rows are not committed yet. */
  unrecorded(): number {
    let count = 0;
    for (const entry of this.open.values()) if (entry.answered) count += 1;
    return count;
  }

  /** How many writes a previous process left open and are not settled yet. */
  unsettled(): number {
    return this.inherited.length;
  }

  /**
   * Settles the writes a previous process left open, against the agents as the cache has them
   * after a full sync and the capacity rules as last read (null: not read, those wait), and
   * records each. Returns the rows it committed, or null when the store failed (they stay open).
   */
  settle(
    cache: AgentStateCache,
    capacityRules: readonly CapacityRule[] | null,
    now: number,
  ): Promise<DecisionRecord[] | null> {
    return this.exclusive(async () => {
      if (!this.health.writable) return null;
      const settled = this.inherited.filter((write) => write.kind === 'status' || capacityRules !== null);
      if (settled.length === 0) return [];
      const records = settled.map((write) => settlement(write, cache, capacityRules ?? [], now));
      const left = this.inherited.filter((write) => !settled.includes(write));
      try {
        await this.audit.recordPass(records, { openWrites: this.entries([], left) });
      } catch (error) {
        this.health.failed(error);
        return null;
      }
      this.inherited = left;
      this.health.succeeded();
      return records;
    });
  }

  /** The journal as the store keeps it: what a previous process left, then this one's open writes. */
  private entries(without: readonly Entry[] = [], inherited = this.inherited): OpenWrite[] {
    const open = [...this.open.values()].filter((entry) => !without.includes(entry));
    return [...inherited, ...open.map((entry) => entry.write)];
  }

  /** An entry as the store kept it, with an id of this process. */
  private fromFile(write: SavedWrite): OpenWrite {
    const id = this.nextId++;
    if ('kind' in write) return { ...write, id };
    return {
      target: `agent:${write.agentId}`,
      action: { set_status: write.statusName },
      ...write,
      kind: 'status',
      id,
    };
  }

  /** Runs `task` after every earlier one: the journal's writes never interleave. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The row for a write a previous process left open, from what Zendesk shows now. */
function settlement(
  write: OpenWrite,
  cache: AgentStateCache,
  capacityRules: readonly CapacityRule[],
  now: number,
): DecisionRecord {
  const base = {
    time: now,
    target: write.target,
    rule: write.rule,
    revision: write.revision,
    facts: {},
    explanation: null,
    action: write.action,
    latencyMs: now - write.sentAt,
  };
  if (write.kind === 'status') {
    const took = cache.get(write.agentId)?.status?.id === write.statusId;
    return {
      ...base,
      agentId: write.agentId,
      outcome: took ? 'applied' : 'failed',
      reason: took
        ? `set to ${write.statusName}; the router stopped before recording it, and Zendesk confirmed it at the next start`
        : `interrupted: the router stopped while sending it, and Zendesk did not take it (the rules decide again)`,
    };
  }
  const rule = capacityRules.find((r) => r.name === write.capacityRule);
  const took =
    rule !== undefined &&
    (Object.entries(write.capacities) as Array<[CapacityChannel, number]>).every(
      ([channel, value]) => rule.capacities[channel] === value,
    );
  return {
    ...base,
    agentId: null,
    outcome: took ? 'applied' : 'failed',
    reason: took
      ? `${write.capacityRule} set to ${JSON.stringify(write.capacities)}; the router stopped before recording it, and Zendesk confirmed it at the next start`
      : rule
        ? `interrupted: the router stopped while sending it, and Zendesk did not take it (the rules decide again)`
        : `interrupted: the router stopped while sending it, and the capacity rule ${JSON.stringify(write.capacityRule)} no longer exists`,
  };
}
