import type { AuditStore, DecisionRecord, StateKeys } from '../audit/audit.store';
import type { AgentStateCache } from '../sync/agent-state.cache';

/** A status write sent to Zendesk whose outcome has no row yet. */
export interface OpenWrite {
  agentId: number;
  statusId: number;
  statusName: string;
  rule: string;
  revision: string;
  /** Epoch ms when the write was sent. */
  sentAt: number;
}

/**
 * Status writes between "about to send" and "recorded", kept durably in the audit store. A
 * process that dies after Zendesk took a write but before its row was committed leaves the write
 * here; the next process settles it against what Zendesk reports at its first full sync —
 * `applied` when the agent has the status, `failed` when it does not — so every write Zendesk
 * took has its row. One journal per process, shared by every rule set's passes.
 */
export class WriteJournal {
  private readonly open = new Map<number, OpenWrite>();
  /** Writes a previous process left open, until they are settled. */
  private inherited: OpenWrite[] = [];

  constructor(private readonly audit: AuditStore) {}

  /** Reads the writes a previous process left open. */
  async load(): Promise<void> {
    this.inherited = (await this.audit.state('openWrites')) ?? [];
  }

  /** Notes a write durably, before it is sent. */
  async begin(write: OpenWrite): Promise<void> {
    this.open.set(write.agentId, write);
    await this.audit.recordPass([], this.state());
  }

  /** Closes a write: the state to commit together with its row. */
  end(agentId: number): Partial<StateKeys> {
    this.open.delete(agentId);
    return this.state();
  }

  /** How many writes a previous process left open and are not settled yet. */
  unsettled(): number {
    return this.inherited.length;
  }

  /**
   * Settles the writes a previous process left open, against the agents as the cache has them
   * after a full sync, and records each. Returns the rows it committed.
   */
  async settle(cache: AgentStateCache, now: number): Promise<DecisionRecord[]> {
    if (this.inherited.length === 0) return [];
    const records = this.inherited.map((write): DecisionRecord => {
      const agent = cache.get(write.agentId);
      const took = agent?.status?.id === write.statusId;
      return {
        time: now,
        target: `agent:${write.agentId}`,
        agentId: write.agentId,
        rule: write.rule,
        revision: write.revision,
        facts: {},
        explanation: null,
        action: { set_status: write.statusName },
        outcome: took ? 'applied' : 'failed',
        reason: took
          ? `set to ${write.statusName}; the router stopped before recording it, and Zendesk confirmed it at the next start`
          : `interrupted: the router stopped while sending it, and Zendesk did not take it (the rules decide again)`,
        latencyMs: now - write.sentAt,
      };
    });
    this.inherited = [];
    await this.audit.recordPass(records, this.state());
    return records;
  }

  private state(): Pick<StateKeys, 'openWrites'> {
    return { openWrites: [...this.inherited, ...this.open.values()] };
  }
}
