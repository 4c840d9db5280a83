import {
  describeAction,
  type ActionExecutor,
  type Applied,
  type Inspection,
  type Rule,
  type SetStatusAction,
  type TargetState,
} from '@app/rules';
import { ZendeskError, type UnifiedStatus, type ZendeskClient } from '@app/zendesk';
import type { AgentStateCache } from '../sync/agent-state.cache';
import type { OwnWrites } from './own-writes';
import type { WriteJournal } from './write.journal';

/** What the status executor works with; all of it outlives a rule reload. */
export interface StatusExecutorDeps {
  cache: AgentStateCache;
  client: ZendeskClient;
  journal: WriteJournal;
  ownWrites: OwnWrites;
  statuses: () => readonly UnifiedStatus[];
  revision: () => string;
  now: () => number;
  /** Aborted when a stopping router gives up on writes still waiting. */
  cancel: AbortSignal;
}

/**
 * `set_status` against Zendesk: resolves the status by name or id in the account's list, sees
 * when the agent is already there or our write is still on its way, and sends the write — noted
 * durably in the journal first, so a crash cannot leave a write Zendesk took without its row. A
 * write the journal cannot note (the store fails) is not sent: the decision waits for the store.
 */
export class StatusExecutor implements ActionExecutor<'set_status'> {
  constructor(private readonly deps: StatusExecutorDeps) {}

  /** The account's status a `set_status` names, if it has one. */
  resolve(wanted: string | number): UnifiedStatus | undefined {
    return this.deps
      .statuses()
      .find((s) => (typeof wanted === 'number' ? s.id === wanted : s.name === wanted));
  }

  inspect(state: TargetState, action: SetStatusAction): Inspection {
    const agentId = state.agent?.id;
    const agent = agentId === undefined ? undefined : this.deps.cache.get(agentId);
    const status = this.resolve(action.status);
    if (!agent) return { kind: 'invalid', reason: `agent ${agentId} is not in the router's view` };
    if (!status)
      return { kind: 'invalid', reason: `the account has no status ${JSON.stringify(action.status)}` };
    const { ownWrites } = this.deps;
    if (agent.status?.id === status.id) {
      // Our own write in place is not a decision; anything else already in place is a no-op.
      return ownWrites.setByRouter(agent.agentId, status.id)
        ? { kind: 'in_flight' }
        : { kind: 'no_op', reason: `already ${status.name}` };
    }
    if (ownWrites.inFlight(agent.agentId, this.deps.now()) === status.id) return { kind: 'in_flight' };
    return { kind: 'needed', leavesOnline: agent.status?.name === 'online' && status.name !== 'online' };
  }

  async apply(state: TargetState, action: SetStatusAction, rule: Rule): Promise<Applied> {
    const agentId = state.agent!.id;
    const status = this.resolve(action.status)!;
    const { journal, client, ownWrites, now, cancel } = this.deps;
    const id = await journal.begin({
      kind: 'status',
      target: state.target,
      agentId,
      statusId: status.id,
      statusName: status.name,
      rule: rule.name,
      revision: this.deps.revision(),
      action: describeAction(action),
      sentAt: now(),
    });
    // Not noted, not sent: nothing happened, and the rules decide again once the store works.
    if (id === null) return null;
    try {
      await client.setAgentStatus(agentId, status.id, { priority: 'write', signal: cancel });
      journal.answered(id);
      ownWrites.wrote(agentId, status.id, now());
      return { ok: true, reason: `set to ${status.name}` };
    } catch (error) {
      // Cancelled by a stop: whether Zendesk took it is settled from the journal at the next start.
      if (cancel.aborted) return null;
      journal.answered(id);
      // Level-triggered: the next pass recomputes and tries again; nothing is queued.
      return { ok: false, reason: failure(error) };
    }
  }
}

/** A failed call as a record's reason: the client's code and message, never a secret. */
export function failure(error: unknown): string {
  return error instanceof ZendeskError ? `${error.code}: ${error.message}` : 'unexpected failure';
}
