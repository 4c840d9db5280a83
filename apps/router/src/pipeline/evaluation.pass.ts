import { Logger } from '@nestjs/common';
import {
  CompiledRules,
  RuleEvaluator,
  RulePlanner,
  type ConditionExplanation,
  type PlanDecision,
  type RuleEvaluation,
  type RuleSet,
} from '@app/rules';
import {
  ZendeskError,
  type AgentAvailability,
  type CapacityChannel,
  type CapacityRule,
  type UnifiedStatus,
  type ZendeskClient,
} from '@app/zendesk';
import type { AuditStore, DecisionRecord } from '../audit/audit.store';
import type { AgentStateCache } from '../sync/agent-state.cache';
import { accountFacts, agentFacts } from './facts.builder';
import type { WriteJournal } from './write.journal';

/** How long a sent write may take to show up in the cache before the rule may send it again. */
const EXPECTATION_TTL_MS = 30_000;

/** How long a stopping router lets a status write wait for budget or an answer before cancelling it. */
const STOP_GRACE_MS = 5_000;

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
  /** Status writes noted before they are sent, so a crash cannot leave one without its row. */
  journal: WriteJournal;
  /** Off: decide and record, change nothing in Zendesk. */
  enforce: boolean;
  safety: SafetyLimits;
  /** While true, nothing is changed. */
  paused: () => boolean;
  now: () => number;
  /** Told of every pass's records once they are committed (metrics, the live stream). */
  onRecorded?: (records: readonly DecisionRecord[]) => void;
  /** Told of a capacity rule as Zendesk returned it after a change, so the next pass sees it. */
  onCapacityRuleChanged?: (rule: CapacityRule) => void;
}

/** Limits that stop the router before it does harm, however the rules are written. */
export interface SafetyLimits {
  /** After a person changes an agent's status, rules leave that agent alone this long. */
  humanHoldS: number;
  /** Status changes sent in any sliding minute, at most. */
  maxChangesPerMin: number;
  /** Agents a change may not take a group below (counting agents online in it). */
  minOnlinePerGroup: number;
}

/** Status reasons that mean a person chose the status. */
const HUMAN_REASONS = new Set(['AGENT_STATUS_SWITCHER', 'SWITCHER_AUTO_RECONNECT', 'EXPLORE_TAKE_AN_ACTION']);

/**
 * One evaluation pass over some agents: facts → rules → plan → apply → record. Decisions that act
 * (applied, shadow, no-op, failed) are recorded with the facts their rule used and its
 * explanation, in one audit transaction together with the planner's state.
 */
export class EvaluationPass {
  private readonly logger = new Logger('Pipeline');
  /** The reference engine: explanations of the decisions that are recorded, and `explain`. */
  private readonly evaluator: RuleEvaluator;
  /** The same rules compiled: every agent on every pass. */
  private readonly agentRules: CompiledRules;
  private readonly planner = new RulePlanner();
  /** The planner version last written to the audit store. */
  private savedPlanner: number;
  /** Agents online per group this pass (agents already sent away not counted); built when first needed. */
  private onlineByGroup: Map<number, number> | null = null;
  private stopping = false;
  /** Each agent's last matches, with the version of the agent they were computed for. */
  private readonly lastMatched = new Map<number, { version: number; matched: boolean[] }>();
  private readonly cancelWrites = new AbortController();
  private readonly routerStatus = new Map<number, number>();
  /** Writes sent but not yet visible in the cache: the events that trail them must not repeat them. */
  private readonly expected = new Map<number, { statusId: number; until: number }>();
  /** When recent status changes were sent, for the per-minute limit. */
  private sentAt: number[] = [];
  /** The last suppression recorded per agent and rule, so a held decision is logged once, not every pass. */
  private readonly suppressed = new Map<string, string>();

  constructor(
    readonly ruleSet: RuleSet,
    private readonly statuses: () => readonly UnifiedStatus[],
    private readonly deps: EvaluationPassDeps,
  ) {
    this.evaluator = new RuleEvaluator(ruleSet);
    this.agentRules = new CompiledRules(ruleSet, 'agent');
    const saved = deps.audit.state<ReturnType<RulePlanner['snapshot']>>('planner');
    if (saved) this.planner.restore(saved);
    this.savedPlanner = this.planner.version;
  }

  /**
   * Graceful shutdown: passes in progress end after the agent they are on. A write still waiting
   * for budget (or unanswered) after `graceMs` is cancelled and left open in the journal, which
   * settles it from what Zendesk shows at the next start.
   */
  stop(graceMs = STOP_GRACE_MS): void {
    this.stopping = true;
    setTimeout(() => this.cancelWrites.abort(), graceMs).unref();
  }

  /** Every agent rule for one cached agent, evaluated now with explanations; nothing is planned or done. */
  async explain(
    agentId: number,
  ): Promise<{ facts: Record<string, unknown>; evaluations: RuleEvaluation[] } | null> {
    const agent = this.deps.cache.get(agentId);
    if (!agent) return null;
    const now = this.deps.now();
    const facts = this.factsOf(agent, now);
    return {
      facts: { ...facts, ...this.evaluator.timeFacts(now) },
      evaluations: await this.evaluator.evaluateAgent({ id: agentId, groups: agent.groupIds }, facts, now),
    };
  }

  /** Agent rules evaluated against facts a caller supplies (what-if), with explanations. */
  explainFacts(groups: readonly number[], facts: Record<string, unknown>): Promise<RuleEvaluation[]> {
    const id = typeof facts['agent.id'] === 'number' ? facts['agent.id'] : 0;
    return this.evaluator.evaluateAgent(
      { id, groups },
      { 'agent.groups': groups, ...facts },
      this.deps.now(),
    );
  }

  /**
   * Evaluates and acts for the given agents, each with what triggered it; returns what it
   * recorded. Every agent is matched by the compiled rules; the reference engine explains only
   * the decisions that are recorded. An agent that cannot be evaluated is logged and skipped.
   */
  async run(batch: Iterable<readonly [agentId: number, trigger: Trigger]>): Promise<DecisionRecord[]> {
    const all: DecisionRecord[] = [];
    const records: DecisionRecord[] = [];
    const now = this.deps.now();
    const time = this.evaluator.timeFacts(now);
    this.onlineByGroup = null;
    for (const [agentId, trigger] of batch) {
      // Stopping: the write in progress finishes and is recorded; the rest are decided again at
      // the next start (nothing is lost: the rules are level-triggered).
      if (this.stopping) break;
      const agent = this.deps.cache.get(agentId);
      if (!agent) {
        this.lastMatched.delete(agentId);
        continue;
      }
      try {
        const identity = { id: agentId, groups: agent.groupIds };
        const facts = this.factsOf(agent, now);
        // On a tick, an agent unchanged since its last evaluation keeps the results of the rules
        // that only its state can change; the rules that change with time are evaluated again.
        const last = this.lastMatched.get(agentId);
        const previous =
          trigger.kind === 'tick' && last?.version === agent.version ? last.matched : undefined;
        const evaluations = this.agentRules.evaluate(facts, time, identity, previous);
        this.lastMatched.set(agentId, { version: agent.version, matched: evaluations.map((e) => e.matched) });
        // The reference engine explains this agent once, and only if a decision is recorded.
        let explained: Promise<RuleEvaluation[]> | undefined;
        for (const decision of this.planner.plan(`agent:${agentId}`, evaluations, now)) {
          const record = await this.carryOut(agent, decision, trigger);
          if (!record) continue;
          explained ??= this.evaluator.evaluateAgent(identity, facts, now);
          const explanation = (await explained).find((e) => e.rule.name === record.rule)?.explanation ?? null;
          const full = { ...record, explanation, facts: usedFacts(explanation) };
          all.push(full);
          // A write's outcome is committed as soon as Zendesk has answered: a crash later in the
          // pass cannot leave a change in Zendesk without its row. The rest commit with the pass.
          if (full.outcome === 'applied' || full.outcome === 'failed')
            this.commit([full], this.deps.journal.end(agentId));
          else records.push(full);
        }
      } catch (error) {
        this.logger.error(
          `Evaluating agent ${agentId} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    this.commit(records, {});
    return all;
  }

  /** Writes the pass's records and whatever state changed in one transaction; tells listeners. */
  private commit(records: readonly DecisionRecord[], state: Record<string, unknown>): void {
    const plannerChanged = this.planner.version !== this.savedPlanner;
    if (records.length === 0 && !plannerChanged && Object.keys(state).length === 0) return;
    this.deps.audit.recordPass(
      records,
      plannerChanged ? { ...state, planner: this.planner.snapshot() } : state,
    );
    this.savedPlanner = this.planner.version;
    if (records.length > 0) this.deps.onRecorded?.(records);
  }

  private factsOf(agent: AgentAvailability, now: number): Record<string, unknown> {
    return agentFacts(
      agent,
      {
        routerSetStatus: this.routerStatus.get(agent.agentId) === agent.status?.id,
        lastWorkEndedAt: this.deps.cache.lastWorkEndedAt(agent.agentId),
      },
      now,
    );
  }

  /** A person's recent change, the per-minute limit, or a group left too thin. */
  private holdReason(
    agent: AgentAvailability,
    target: UnifiedStatus,
  ): { kind: string; reason: string } | null {
    const now = this.deps.now();
    const { humanHoldS, maxChangesPerMin, minOnlinePerGroup } = this.deps.safety;
    if (this.deps.paused()) return { kind: 'paused', reason: 'the router is paused' };
    const status = agent.status;
    const byHuman =
      status !== null &&
      HUMAN_REASONS.has(status.reason ?? '') &&
      this.routerStatus.get(agent.agentId) !== status.id;
    const changedAt = status?.updatedAt?.getTime() ?? 0;
    if (byHuman && now - changedAt < humanHoldS * 1000) {
      const until = new Date(changedAt + humanHoldS * 1000).toISOString();
      return {
        kind: 'human_hold',
        reason: `a person set ${status.name} ${Math.round((now - changedAt) / 60_000)} min ago; rules wait until ${until}`,
      };
    }
    this.sentAt = this.sentAt.filter((t) => t > now - 60_000);
    if (this.sentAt.length >= maxChangesPerMin) {
      return {
        kind: 'rate_limit',
        reason: `safety limit: ${this.sentAt.length} status changes in the last minute (at most ${maxChangesPerMin})`,
      };
    }
    if (status?.name === 'online' && target.name !== 'online' && minOnlinePerGroup > 0) {
      const online = this.onlineCounts();
      for (const group of agent.groupIds) {
        const left = (online.get(group) ?? 0) - 1;
        if (left < minOnlinePerGroup) {
          return {
            kind: 'min_online',
            reason: `safety limit: group ${group} would have ${left} agents online (at least ${minOnlinePerGroup})`,
          };
        }
      }
    }
    return null;
  }

  /**
   * Agents online per group, counted once per pass; agents already sent away count as gone,
   * though their events may not be in yet.
   */
  private onlineCounts(): Map<number, number> {
    if (this.onlineByGroup) return this.onlineByGroup;
    const counts = new Map<number, number>();
    for (const a of this.deps.cache.all()) {
      if (a.status?.name !== 'online' || this.leavingOnline(a.agentId)) continue;
      for (const group of a.groupIds) counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    this.onlineByGroup = counts;
    return counts;
  }

  private leavingOnline(agentId: number): boolean {
    const pending = this.expected.get(agentId);
    if (!pending || this.deps.now() >= pending.until) return false;
    return this.statuses().find((s) => s.id === pending.statusId)?.name !== 'online';
  }

  /**
   * The capacity rules: account facts → rules → plan per capacity rule → update it, recording
   * its values before the first change (the baseline) and restoring them when no rule asks for
   * the change any more.
   */
  async runAccount(capacityRules: readonly CapacityRule[], trigger: Trigger): Promise<DecisionRecord[]> {
    const now = this.deps.now();
    const evaluations = await this.evaluator.evaluateAccount(
      accountFacts([...this.deps.cache.all()], capacityRules),
      now,
    );
    const byTarget = new Map<string, RuleEvaluation[]>();
    for (const evaluation of evaluations) {
      if (evaluation.rule.then.type !== 'set_capacity') continue;
      const target = evaluation.rule.then.capacityRule;
      byTarget.set(target, [...(byTarget.get(target) ?? []), evaluation]);
    }
    const baselines = {
      ...(this.deps.audit.state<Record<string, Partial<Record<CapacityChannel, number>>>>('baselines') ?? {}),
    };
    const baselinesBefore = JSON.stringify(baselines);
    const records: DecisionRecord[] = [];
    const endedBy = new Map<string, string>();
    for (const [target, targetEvaluations] of byTarget) {
      for (const decision of this.planner.plan(`capacity:${target}`, targetEvaluations, now)) {
        if (decision.kind === 'revert') endedBy.set(target, decision.after.name);
        const record = await this.carryOutCapacity(
          target,
          decision,
          targetEvaluations,
          capacityRules,
          baselines,
          trigger,
        );
        if (record) records.push(record);
      }
    }
    // Level-triggered reverts: any changed capacity rule no rule holds any more goes back to its
    // baseline — after a failed revert, a restart, or a rule removed from the set, too.
    const active = this.planner.snapshot().activeCapacity;
    for (const target of Object.keys(baselines)) {
      if (active[target] !== undefined) continue;
      const record = await this.revertCapacity(
        target,
        endedBy.get(target) ?? 'baseline',
        capacityRules,
        baselines,
        trigger,
      );
      if (record) records.push(record);
    }
    this.commit(records, JSON.stringify(baselines) === baselinesBefore ? {} : { baselines });
    return records;
  }

  private async carryOutCapacity(
    target: string,
    decision: PlanDecision,
    evaluations: readonly RuleEvaluation[],
    capacityRules: readonly CapacityRule[],
    baselines: Record<string, Partial<Record<CapacityChannel, number>>>,
    trigger: Trigger,
  ): Promise<DecisionRecord | null> {
    if (decision.kind !== 'act' && decision.kind !== 'shadow') return null;
    const ruleName = decision.rule.name;
    const explanation = evaluations.find((e) => e.rule.name === ruleName)?.explanation ?? null;
    const wanted = decision.action.type === 'set_capacity' ? decision.action.capacities : undefined;
    const record = (outcome: DecisionRecord['outcome'], reason: string | null): DecisionRecord => ({
      time: this.deps.now(),
      target: `capacity:${target}`,
      agentId: null,
      rule: ruleName,
      revision: this.ruleSet.revision,
      facts: usedFacts(explanation),
      explanation,
      action: { set_capacity: { rule: target, capacities: wanted } },
      outcome,
      reason,
      latencyMs: this.deps.now() - trigger.at,
    });
    const rule = capacityRules.find((r) => r.name === target);
    if (!rule) return record('failed', `the account has no capacity rule named ${JSON.stringify(target)}`);
    if (!wanted) return record('failed', 'no capacities to set');
    const same = (Object.entries(wanted) as Array<[CapacityChannel, number]>).every(
      ([channel, value]) => rule.capacities[channel] === value,
    );
    if (decision.kind === 'shadow') return record('shadow', 'the rule is in shadow mode');
    if (this.deps.paused()) return record('suppressed', 'the router is paused');
    if (!this.deps.enforce) return record('shadow', 'enforcement is off');
    const alreadyChanged = baselines[target] !== undefined;
    if (!alreadyChanged) {
      baselines[target] = Object.fromEntries(
        Object.keys(wanted).map((channel) => [channel, rule.capacities[channel as CapacityChannel]]),
      );
    }
    // Once changed, a rule that keeps asking for the same values is not news.
    if (same) return alreadyChanged ? null : record('no_op', `${target} already has these capacities`);
    try {
      this.deps.onCapacityRuleChanged?.(
        await this.deps.client.updateCapacityRule(rule.id, { capacities: wanted }, { priority: 'write' }),
      );
      return record('applied', `${target} updated`);
    } catch (error) {
      return record(
        'failed',
        error instanceof ZendeskError ? `${error.code}: ${error.message}` : 'unexpected failure',
      );
    }
  }

  private async revertCapacity(
    target: string,
    ruleName: string,
    capacityRules: readonly CapacityRule[],
    baselines: Record<string, Partial<Record<CapacityChannel, number>>>,
    trigger: Trigger,
  ): Promise<DecisionRecord | null> {
    const baseline = baselines[target]!;
    const record = (outcome: DecisionRecord['outcome'], reason: string): DecisionRecord => ({
      time: this.deps.now(),
      target: `capacity:${target}`,
      agentId: null,
      rule: ruleName,
      revision: this.ruleSet.revision,
      facts: {},
      explanation: null,
      action: { revert: target, capacities: baseline },
      outcome,
      reason,
      latencyMs: this.deps.now() - trigger.at,
    });
    if (this.deps.paused()) return null;
    const rule = capacityRules.find((r) => r.name === target);
    if (!rule) {
      delete baselines[target];
      return record(
        'failed',
        `the capacity rule ${JSON.stringify(target)} no longer exists; its baseline is dropped`,
      );
    }
    try {
      this.deps.onCapacityRuleChanged?.(
        await this.deps.client.updateCapacityRule(rule.id, { capacities: baseline }, { priority: 'write' }),
      );
      delete baselines[target];
      return record('applied', `${target} restored to its baseline`);
    } catch (error) {
      // The baseline stays: the next pass tries again.
      return record(
        'failed',
        error instanceof ZendeskError ? `${error.code}: ${error.message}` : 'unexpected failure',
      );
    }
  }

  /** Applies one decision for one agent; the record's facts and explanation are the caller's to add. */
  private async carryOut(
    agent: AgentAvailability,
    decision: PlanDecision,
    trigger: Trigger,
  ): Promise<DecisionRecord | null> {
    if (decision.kind !== 'act' && decision.kind !== 'shadow') return null;
    if (decision.action.type !== 'set_status') return null;
    const wanted = decision.action.status;
    const status = this.statuses().find((s) =>
      typeof wanted === 'number' ? s.id === wanted : s.name === wanted,
    );
    const record = (outcome: DecisionRecord['outcome'], reason: string | null): DecisionRecord => ({
      time: this.deps.now(),
      target: `agent:${agent.agentId}`,
      agentId: agent.agentId,
      rule: decision.rule.name,
      revision: this.ruleSet.revision,
      facts: {},
      explanation: null,
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
    const key = `${agent.agentId}|${decision.rule.name}`;
    const held = this.holdReason(agent, status);
    if (held) {
      if (this.suppressed.get(key) === held.kind) return null;
      this.suppressed.set(key, held.kind);
      return record('suppressed', held.reason);
    }
    this.suppressed.delete(key);
    if (!this.deps.enforce) return record('shadow', 'enforcement is off');
    this.deps.journal.begin({
      agentId: agent.agentId,
      statusId: status.id,
      statusName: status.name,
      rule: decision.rule.name,
      revision: this.ruleSet.revision,
      sentAt: this.deps.now(),
    });
    try {
      await this.deps.client.setAgentStatus(agent.agentId, status.id, {
        priority: 'write',
        signal: this.cancelWrites.signal,
      });
      this.routerStatus.set(agent.agentId, status.id);
      this.expected.set(agent.agentId, { statusId: status.id, until: this.deps.now() + EXPECTATION_TTL_MS });
      this.sentAt.push(this.deps.now());
      if (agent.status?.name === 'online' && status.name !== 'online' && this.onlineByGroup) {
        for (const group of agent.groupIds)
          this.onlineByGroup.set(group, (this.onlineByGroup.get(group) ?? 1) - 1);
      }
      return record('applied', `set to ${status.name}`);
    } catch (error) {
      // Cancelled by a stop: whether Zendesk took it is settled from the journal at the next start.
      if (this.cancelWrites.signal.aborted) return null;
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
