import {
  RuleEvaluator,
  RulePlanner,
  type ConditionExplanation,
  type PlanDecision,
  type RuleEvaluation,
  type RuleSet,
} from '@app/rules';
import { ZendeskError, type AgentAvailability, type UnifiedStatus, type ZendeskClient } from '@app/zendesk';
import type { AuditStore, DecisionRecord } from '../audit/audit.store';
import type { AgentStateCache } from '../sync/agent-state.cache';
import { agentFacts } from './facts.builder';

/** How long a sent write may take to show up in the cache before the rule may send it again. */
const EXPECTATION_TTL_MS = 30_000;

/** What started a pass: a webhook event, a resync, or the clock. */
export interface Trigger {
  kind: 'event' | 'resync' | 'tick';
  /** Epoch ms when the trigger happened (for latency). */
  at: number;
}

/** Everything an evaluation pass works with. */
export interface EvaluationPassDeps {
  cache: AgentStateCache;
  client: ZendeskClient;
  audit: AuditStore;
  /** Off: decide and record, change nothing in Zendesk. */
  enforce: boolean;
  now: () => number;
}

/**
 * One evaluation pass over some agents: facts → rules → plan → apply → record. Decisions that act
 * (applied, shadow, no-op, failed) are recorded with the facts their rule used and its
 * explanation, in one audit transaction together with the planner's state.
 */
export class EvaluationPass {
  private readonly evaluator: RuleEvaluator;
  private readonly planner = new RulePlanner();
  private readonly routerStatus = new Map<number, number>();
  /** Writes sent but not yet visible in the cache: the events that trail them must not repeat them. */
  private readonly expected = new Map<number, { statusId: number; until: number }>();

  constructor(
    readonly ruleSet: RuleSet,
    private readonly statuses: () => readonly UnifiedStatus[],
    private readonly deps: EvaluationPassDeps,
  ) {
    this.evaluator = new RuleEvaluator(ruleSet);
    const saved = deps.audit.state<ReturnType<RulePlanner['snapshot']>>('planner');
    if (saved) this.planner.restore(saved);
  }

  /** Evaluates and acts for the given agents; returns what it recorded. */
  async run(agentIds: Iterable<number>, trigger: Trigger): Promise<DecisionRecord[]> {
    const records: DecisionRecord[] = [];
    for (const agentId of agentIds) {
      const agent = this.deps.cache.get(agentId);
      if (!agent) continue;
      const now = this.deps.now();
      const facts = agentFacts(
        agent,
        {
          routerSetStatus: this.routerStatus.get(agentId) === agent.status?.id,
          lastWorkEndedAt: this.deps.cache.lastWorkEndedAt(agentId),
        },
        now,
      );
      const evaluations = await this.evaluator.evaluateAgent(
        { id: agentId, groups: agent.groupIds },
        facts,
        now,
      );
      for (const decision of this.planner.plan(`agent:${agentId}`, evaluations, now)) {
        const record = await this.carryOut(agent, decision, evaluations, trigger);
        if (record) records.push(record);
      }
    }
    this.deps.audit.recordPass(records, { planner: this.planner.snapshot() });
    return records;
  }

  private async carryOut(
    agent: AgentAvailability,
    decision: PlanDecision,
    evaluations: readonly RuleEvaluation[],
    trigger: Trigger,
  ): Promise<DecisionRecord | null> {
    if (decision.kind !== 'act' && decision.kind !== 'shadow') return null;
    if (decision.action.type !== 'set_status') return null;
    const wanted = decision.action.status;
    const status = this.statuses().find((s) =>
      typeof wanted === 'number' ? s.id === wanted : s.name === wanted,
    );
    const explanation = evaluations.find((e) => e.rule.name === decision.rule.name)?.explanation ?? null;
    const record = (outcome: DecisionRecord['outcome'], reason: string | null): DecisionRecord => ({
      time: this.deps.now(),
      target: `agent:${agent.agentId}`,
      agentId: agent.agentId,
      rule: decision.rule.name,
      revision: this.ruleSet.revision,
      facts: usedFacts(explanation),
      explanation,
      action: { set_status: wanted },
      outcome,
      reason,
      latencyMs: this.deps.now() - trigger.at,
    });
    if (!status) return record('failed', `the account has no status ${JSON.stringify(wanted)}`);
    const pending = this.expected.get(agent.agentId);
    if (agent.status?.id === status.id) {
      this.expected.delete(agent.agentId);
      // Our own write showing up is not a decision; anything else already in place is a no-op.
      return pending?.statusId === status.id ? null : record('no_op', `already ${status.name}`);
    }
    if (pending?.statusId === status.id && this.deps.now() < pending.until) return null;
    if (decision.kind === 'shadow') return record('shadow', 'the rule is in shadow mode');
    if (!this.deps.enforce) return record('shadow', 'enforcement is off');
    try {
      await this.deps.client.setAgentStatus(agent.agentId, status.id, { priority: 'write' });
      this.routerStatus.set(agent.agentId, status.id);
      this.expected.set(agent.agentId, { statusId: status.id, until: this.deps.now() + EXPECTATION_TTL_MS });
      return record('applied', `set to ${status.name}`);
    } catch (error) {
      // Level-triggered: the next pass recomputes and tries again; nothing is queued.
      return record(
        'failed',
        error instanceof ZendeskError ? `${error.code}: ${error.message}` : 'unexpected failure',
      );
    }
  }
}

/** The facts a rule's conditions looked at, with the values they had (time facts included). */
function usedFacts(explanation: ConditionExplanation | null): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  const walk = (node: ConditionExplanation | null): void => {
    if (!node) return;
    if (node.kind === 'fact') facts[node.fact] = node.actual ?? null;
    else if (node.kind === 'not') walk(node.child);
    else node.children.forEach(walk);
  };
  walk(explanation);
  return facts;
}
