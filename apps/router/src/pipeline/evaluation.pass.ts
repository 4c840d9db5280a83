import { Logger } from '@nestjs/common';
import {
  DecisionMemory,
  RulePlanner,
  RuleSetRunner,
  type ActionExecutors,
  type ConditionExplanation,
  type Decided,
  type Facts,
  type RuleEvaluation,
  type RuleExplanation,
  type RuleSet,
  type RunnerDeps,
  type SafetyGate,
  type TargetState,
} from '@app/rules';
import type { AgentAvailability, CapacityRule, UnifiedStatus, ZendeskClient } from '@app/zendesk';
import type { AuditStore, DecisionRecord } from '../audit/audit.store';
import { CapacityExecutor } from '../apply/capacity.executor';
import { OwnWrites } from '../apply/own-writes';
import { StatusExecutor } from '../apply/status.executor';
import type { WriteJournal } from '../apply/write.journal';
import type { AgentStateCache } from '../sync/agent-state.cache';
import { accountFacts, agentFacts } from './facts.builder';

/** How long a stopping router lets a status write wait for budget or an answer before cancelling it. */
const STOP_GRACE_MS = 5_000;
/** Decisions without a write kept in memory while the audit store cannot take them (the newest). */
const MAX_UNSAVED_RECORDS = 10_000;

/** What started a pass: a webhook event, a resync, or the clock. */
export interface Trigger {
  kind: 'event' | 'resync' | 'tick';
  /** Epoch ms when the trigger happened (for latency). */
  at: number;
}

/** Everything evaluation works with; all of it outlives a rule reload. */
export interface EvaluationPassDeps {
  cache: AgentStateCache;
  client: ZendeskClient;
  audit: AuditStore;
  /**
   * Writes noted before they are sent, so a crash cannot leave one without its row; every
   * commit goes through it, and it refuses writes while the store cannot write.
   */
  journal: WriteJournal;
  /** The safety limits, pause included: one gate for the process. */
  gate: SafetyGate;
  /** Off: decide and record, change nothing in Zendesk. */
  enforce: boolean;
  statuses: () => readonly UnifiedStatus[];
  capacityRules: () => readonly CapacityRule[];
  now: () => number;
  /** Told of every pass's records once they are committed (metrics, the live stream). */
  onRecorded?: (records: readonly DecisionRecord[]) => void;
  /** Told of a capacity rule as Zendesk returned it after a change, so the next pass sees it. */
  onCapacityRuleChanged?: (rule: CapacityRule) => void;
}

/** A rule that matches an agent and waits for its `for` (epoch ms). */
export interface PendingTimer {
  rule: string;
  since: number;
  firesAt: number;
}

/** One agent explained: its facts and every agent rule with the planner's view. */
export interface AgentExplanation {
  facts: Record<string, unknown>;
  rules: RuleExplanation[];
}

/**
 * Evaluation for the whole process: facts → the rule-set runner (evaluate, plan, gate, carry
 * out) → record. A rule reload swaps the runner and nothing else: the planner's timers, the
 * safety gate's window, the memory of the router's own writes and of what was recorded, and the
 * last matches all carry over. Decisions are recorded with the facts their rule used and its
 * explanation; a write's row commits as soon as Zendesk has answered, the rest with the pass.
 */
export class EvaluationPass {
  private readonly logger = new Logger('Pipeline');
  private runner: RuleSetRunner | null = null;
  private readonly planner = new RulePlanner();
  private readonly memory = new DecisionMemory();
  private readonly ownWrites = new OwnWrites();
  private readonly cancelWrites = new AbortController();
  private readonly statusExecutor: StatusExecutor;
  private readonly capacityExecutor: CapacityExecutor;
  private readonly executors: ActionExecutors;
  /** The planner version last written to the audit store. */
  private savedPlanner = 0;
  /** Records (none of them a write's) whose commit failed, for the next commit. */
  private unsaved: DecisionRecord[] = [];
  private stopping = false;
  /** Each agent's last matches, with the version of the agent and the rule set they were computed for. */
  private readonly lastMatched = new Map<number, { version: number; revision: string; matched: boolean[] }>();

  constructor(private readonly deps: EvaluationPassDeps) {
    this.statusExecutor = new StatusExecutor({
      cache: deps.cache,
      client: deps.client,
      journal: deps.journal,
      ownWrites: this.ownWrites,
      statuses: deps.statuses,
      revision: () => this.runner?.ruleSet.revision ?? '',
      now: deps.now,
      cancel: this.cancelWrites.signal,
    });
    this.capacityExecutor = new CapacityExecutor({
      client: deps.client,
      audit: deps.audit,
      journal: deps.journal,
      revision: () => this.runner?.ruleSet.revision ?? '',
      now: deps.now,
      capacityRules: deps.capacityRules,
      onChanged: (rule) => deps.onCapacityRuleChanged?.(rule),
    });
    this.executors = { set_status: this.statusExecutor, set_capacity: this.capacityExecutor };
  }

  /** Reads what a previous run left: the planner's timers and the capacity baselines. */
  async load(): Promise<void> {
    const saved = await this.deps.audit.state('planner');
    if (saved) this.planner.restore(saved);
    this.savedPlanner = this.planner.version;
    await this.capacityExecutor.load();
  }

  /** Uses a newly loaded rule set from the next pass on; nothing else changes. */
  useRules(ruleSet: RuleSet): void {
    this.runner = new RuleSetRunner(ruleSet);
  }

  /** The live rule set, if one is loaded. */
  get ruleSet(): RuleSet | null {
    return this.runner?.ruleSet ?? null;
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

  /**
   * The `for` timers running now, by agent: each agent rule that matches but has not held for its
   * `for` yet, with since when and when it fires. One walk over the planner's memory.
   */
  pendingTimers(now: number): Map<number, PendingTimer[]> {
    const timers = new Map<number, PendingTimer[]>();
    const rules = new Map((this.runner?.ruleSet.rules ?? []).map((r) => [r.name, r]));
    for (const [key, since] of Object.entries(this.planner.matchingSince())) {
      const match = /^agent:(\d+)\|(.+)$/.exec(key);
      const rule = match ? rules.get(match[2]!) : undefined;
      if (!match || !rule || !rule.enabled || since + rule.forMs <= now) continue;
      const agentId = Number(match[1]);
      const timer = { rule: rule.name, since, firesAt: since + rule.forMs };
      const list = timers.get(agentId);
      if (list) list.push(timer);
      else timers.set(agentId, [timer]);
    }
    return timers;
  }

  /** Every agent rule for one cached agent, explained with the planner's view; nothing is changed. */
  async explain(agentId: number): Promise<AgentExplanation | null> {
    const runner = this.runner;
    const agent = this.deps.cache.get(agentId);
    if (!runner || !agent) return null;
    const now = this.deps.now();
    const facts = this.factsOf(agent, now);
    const state = this.agentTarget(agent, facts);
    const explained = await runner.evaluator.evaluateAgent(state.agent!, facts, now);
    this.startGate();
    return {
      facts: { ...facts, ...runner.timeFacts(now) },
      rules: runner.explainTarget(state, explained, now, this.runnerDeps()),
    };
  }

  /** The capacity rules explained for the account as it is now, with the planner's view. */
  async explainAccount(): Promise<Array<{ target: string; rules: RuleExplanation[] }> | null> {
    const runner = this.runner;
    if (!runner) return null;
    const now = this.deps.now();
    const facts = accountFacts([...this.deps.cache.all()], this.deps.capacityRules());
    const explained = await runner.evaluator.evaluateAccount(facts, now);
    return [...runner.accountTargets(explained, this.planner)].map(([target, evaluations]) => ({
      target,
      rules: runner.explainTarget(this.capacityTarget(target), evaluations, now, this.runnerDeps()),
    }));
  }

  /** What the rules say about supplied facts at `at` (what-if), through the live gate; nothing is changed. */
  async whatIf(input: {
    scope: 'agent' | 'account';
    facts: Facts;
    agent: { id: number; groups: readonly number[] };
    at: number;
  }): Promise<Array<{ target: string; rules: RuleExplanation[] }>> {
    const runner = this.runner;
    if (!runner) return [];
    this.startGate();
    return runner.whatIf(input, { gate: this.deps.gate, enforce: this.deps.enforce });
  }

  /**
   * Evaluates and acts for the given agents, each with what triggered it; returns what it
   * recorded. Every agent is matched by the compiled rules; the reference engine explains only
   * the decisions that are recorded. An agent that cannot be evaluated is logged and skipped.
   */
  async run(batch: Iterable<readonly [agentId: number, trigger: Trigger]>): Promise<DecisionRecord[]> {
    const runner = this.runner;
    if (!runner) return [];
    const all: DecisionRecord[] = [];
    const records: DecisionRecord[] = [];
    const now = this.deps.now();
    const time = runner.timeFacts(now);
    const deps = this.runnerDeps();
    this.startGate();
    for (const [agentId, trigger] of batch) {
      // Stopping: the write in progress finishes and is recorded; the rest are decided again at
      // the next start (nothing is lost: the rules are level-triggered).
      if (this.stopping) break;
      const agent = this.deps.cache.get(agentId);
      if (!agent) {
        this.forgetAgent(agentId);
        continue;
      }
      try {
        const facts = this.factsOf(agent, now);
        const state = this.agentTarget(agent, facts);
        // On a tick, an agent unchanged since its last evaluation keeps the results of the rules
        // that only its state can change; the rules that change with time are evaluated again.
        const last = this.lastMatched.get(agentId);
        const previous =
          trigger.kind === 'tick' &&
          last?.version === agent.version &&
          last.revision === runner.ruleSet.revision
            ? last.matched
            : undefined;
        const evaluations = runner.evaluateAgent(state.agent!, facts, time, previous);
        this.lastMatched.set(agentId, {
          version: agent.version,
          revision: runner.ruleSet.revision,
          matched: evaluations.map((e) => e.matched),
        });
        const decided = await runner.decide(state, evaluations, now, deps);
        if (decided.length === 0) continue;
        // The outcome is known now (a write answered): explaining it is not part of its latency.
        const decidedAt = this.deps.now();
        // The reference engine explains this agent once, and only when a decision is recorded.
        const explained = await runner.evaluator.evaluateAgent(state.agent!, facts, now);
        for (const decision of decided) {
          const record = this.record(decision, runner, explained, trigger, decidedAt, agentId);
          all.push(record);
          // A write's outcome is committed as soon as Zendesk has answered, with the write's
          // removal from the journal: a crash later in the pass cannot leave a change in Zendesk
          // without its row. The rest commit with the pass.
          if (!decision.shadow && this.deps.journal.attach(record)) await this.commit([]);
          else records.push(record);
        }
      } catch (error) {
        this.logger.error(
          `Evaluating agent ${agentId} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    await this.commit(records);
    return all;
  }

  /**
   * The capacity rules: account facts → rules → plan per capacity rule → update it, recording
   * its values before the first change (the baseline) and putting them back when no rule holds
   * the change any more — after `keepFor`, on `release`, or when the rule is removed or disabled.
   */
  async runAccount(trigger: Trigger): Promise<DecisionRecord[]> {
    const runner = this.runner;
    if (!runner) return [];
    const now = this.deps.now();
    const facts = accountFacts([...this.deps.cache.all()], this.deps.capacityRules());
    const evaluations = runner.evaluateAccount(facts, runner.timeFacts(now));
    // A change recorded in the baselines that no planner entry holds (the router stopped between
    // the write and its pass's commit) is put back like any other.
    for (const name of this.capacityExecutor.changed()) this.planner.adoptOrphan(`capacity:${name}`, now);
    const deps = this.runnerDeps();
    const all: DecisionRecord[] = [];
    const records: DecisionRecord[] = [];
    let explained: Promise<RuleEvaluation[]> | undefined;
    for (const [target, targetEvaluations] of runner.accountTargets(evaluations, this.planner)) {
      if (this.stopping) break;
      const decided = await runner.decide(this.capacityTarget(target), targetEvaluations, now, deps);
      const decidedAt = this.deps.now();
      for (const decision of decided) {
        explained ??= runner.evaluator.evaluateAccount(facts, now);
        const record = this.record(decision, runner, await explained, trigger, decidedAt, null, facts);
        all.push(record);
        if (!decision.shadow && this.deps.journal.attach(record)) await this.commit([]);
        else records.push(record);
      }
    }
    await this.commit(records);
    return all;
  }

  private record(
    decision: Decided,
    runner: RuleSetRunner,
    explained: readonly RuleEvaluation[],
    trigger: Trigger,
    decidedAt: number,
    agentId: number | null,
    accountFactValues?: Facts,
  ): DecisionRecord {
    const evaluation = explained.find((e) => e.rule.name === decision.ruleName);
    const reverting = 'revert' in decision.action;
    // A put-back shows why it ended: the release condition when the rule has one, else its own.
    const explanation =
      (reverting && evaluation?.rule.release ? evaluation.releaseExplanation : evaluation?.explanation) ??
      null;
    const facts = explanation || !accountFactValues ? usedFacts(explanation) : plainFacts(accountFactValues);
    return {
      time: decidedAt,
      target: decision.target,
      agentId,
      rule: decision.ruleName || 'baseline',
      revision: runner.ruleSet.revision,
      facts,
      explanation,
      action: decision.action,
      outcome: decision.outcome,
      reason: decision.reason,
      until: decision.until,
      latencyMs: decidedAt - trigger.at,
    };
  }

  /**
   * Writes the records, the rows of answered writes and whatever state changed in one
   * transaction; tells listeners. When the store fails, the records wait in memory for the next
   * commit (the newest `MAX_UNSAVED_RECORDS`), the writes' rows in the journal.
   */
  private async commit(records: readonly DecisionRecord[]): Promise<void> {
    const plannerChanged = this.planner.version !== this.savedPlanner;
    const version = this.planner.version;
    const baselines = this.capacityExecutor.unsavedState();
    const waiting = this.unsaved;
    this.unsaved = [];
    const committed = await this.deps.journal.commit([...waiting, ...records], {
      ...baselines,
      ...(plannerChanged ? { planner: this.planner.snapshot() } : {}),
    });
    if (!committed) {
      this.unsaved = [...waiting, ...records, ...this.unsaved];
      const over = this.unsaved.length - MAX_UNSAVED_RECORDS;
      if (over > 0) {
        this.unsaved.splice(0, over);
        this.deps.journal.health.dropped(over);
      }
      return;
    }
    if (plannerChanged) this.savedPlanner = version;
    this.capacityExecutor.saved(baselines.baselines);
    if (committed.length > 0) this.deps.onRecorded?.(committed);
  }

  private runnerDeps(): RunnerDeps {
    return {
      planner: this.planner,
      memory: this.memory,
      gate: this.deps.gate,
      executors: this.executors,
      enforce: this.deps.enforce,
    };
  }

  private agentTarget(agent: AgentAvailability, facts: Facts): TargetState {
    return {
      target: `agent:${agent.agentId}`,
      agent: { id: agent.agentId, groups: agent.groupIds, facts },
      stateKey: String(agent.version),
    };
  }

  private capacityTarget(target: string): TargetState {
    const name = target.slice('capacity:'.length);
    const rule = this.deps.capacityRules().find((r) => r.name === name);
    return { target, agent: null, stateKey: JSON.stringify(rule?.capacities ?? null) };
  }

  private forgetAgent(agentId: number): void {
    if (!this.lastMatched.delete(agentId)) return;
    this.planner.forget(`agent:${agentId}`);
    this.memory.forgetTarget(`agent:${agentId}`);
    this.ownWrites.forget(agentId);
  }

  private factsOf(agent: AgentAvailability, now: number): Record<string, unknown> {
    return agentFacts(
      agent,
      {
        routerSetStatus: this.ownWrites.setByRouter(agent.agentId, agent.status?.id),
        lastWorkEndedAt: this.deps.cache.lastWorkEndedAt(agent.agentId),
      },
      now,
    );
  }

  /** Starts the safety gate's pass: group counts from the cache, each agent's state its version. */
  private startGate(): void {
    this.deps.gate.startPass(
      () => this.onlineCounts(),
      (target) => {
        const agent = this.deps.cache.get(Number(target.slice('agent:'.length)));
        return agent ? String(agent.version) : undefined;
      },
    );
  }

  /** Agents online per group; agents the router already sent away count as gone, though their events may not be in yet. */
  private onlineCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    const now = this.deps.now();
    for (const a of this.deps.cache.all()) {
      if (a.status?.name !== 'online' || this.leavingOnline(a.agentId, now)) continue;
      for (const group of a.groupIds) counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    return counts;
  }

  private leavingOnline(agentId: number, now: number): boolean {
    const statusId = this.ownWrites.inFlight(agentId, now);
    if (statusId === null) return false;
    return this.deps.statuses().find((s) => s.id === statusId)?.name !== 'online';
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

/** The account's plain facts, for a put-back whose rule is gone. */
function plainFacts(facts: Facts): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(facts)) if (typeof value !== 'function') plain[name] = value;
  return plain;
}
