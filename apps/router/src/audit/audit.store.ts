import type { PlannerState } from '@app/rules';
import type { Baselines } from '../apply/capacity.executor';
import type { OpenWrite } from '../apply/write.journal';

/** How a decision ended. */
export type DecisionOutcome = 'applied' | 'shadow' | 'no_op' | 'suppressed' | 'failed';

/** One decision: what a rule wanted for a target, what happened, and why. */
export interface DecisionRecord {
  /** Epoch ms. */
  time: number;
  /** `agent:<id>` or `capacity:<rule name>`. */
  target: string;
  agentId: number | null;
  rule: string;
  revision: string;
  /** The facts that mattered (the rule's facts, not every fact). */
  facts: Record<string, unknown>;
  /** Why the rule matched: each condition with the value it saw. */
  explanation: unknown;
  action: unknown;
  outcome: DecisionOutcome;
  /** Why it was suppressed or failed, or what was done. */
  reason: string | null;
  /** Suppressed decisions: when the hold ends (epoch ms), if known. */
  until?: number | null;
  /** From the trigger (event or tick) to the outcome. */
  latencyMs: number | null;
}

/** A stored decision, with its place in the log. */
export interface StoredDecision extends DecisionRecord {
  id: number;
  until: number | null;
}

/** Which decisions to read; all filters combine. */
export interface DecisionQuery {
  agentId?: number;
  rule?: string;
  outcome?: DecisionOutcome;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Newest first; continue after this id. */
  before?: number;
  limit?: number;
}

/** How many decisions one rule made with one outcome in a time range. */
export interface RuleOutcomeCount {
  rule: string;
  outcome: DecisionOutcome;
  count: number;
}

/** Who asked for a pause or resume: the bearer token, or a dashboard session (with the name given at sign-in). */
export interface ControlActor {
  via: 'bearer' | 'session';
  name: string | null;
}

/** A pause or resume asked for through the API: when, by whom and why. */
export interface ControlRecord {
  /** Epoch ms. */
  time: number;
  action: 'pause' | 'resume';
  by: ControlActor;
  reason: string | null;
}

/** A stored control, with its place in the log. */
export interface StoredControl extends ControlRecord {
  id: number;
}

/** The router's durable state, by key, each with the one class that owns it. */
export interface StateKeys {
  /** `EvaluationPass`: `for` timers, cooldowns, reversible changes in force. */
  planner: PlannerState;
  /** `CapacityExecutor`: each changed capacity rule's values from before the change. */
  baselines: Baselines;
  /** `PauseSwitch`: the global pause. */
  paused: boolean;
  /** `PauseSwitch`: the pause in force (the control that started it), or null. */
  pausedBy: ControlRecord | null;
  /** `WriteJournal`: status and capacity writes noted before they were sent, whose rows are not committed yet. */
  openWrites: OpenWrite[];
  /** The probe's last write that went through (epoch ms). */
  health: number;
}

/**
 * The audit log and the router's durable state. Each evaluation pass is one transaction: its
 * decisions and the state it changed commit together, durably, so a crash — even `kill -9` —
 * never keeps a decision without its state or the other way round. The log is append-only.
 * Asynchronous, so a store on a server (PostgreSQL) is one more implementation behind it.
 */
export abstract class AuditStore {
  /** Writes decisions and state changes atomically and durably. */
  abstract recordPass(decisions: readonly DecisionRecord[], state?: Partial<StateKeys>): Promise<void>;

  /** Appends a pause or resume to the log, with the state it changes, atomically and durably. */
  abstract recordControl(control: ControlRecord, state?: Partial<StateKeys>): Promise<void>;

  /** Pauses and resumes, newest first, at most `limit` (default 20, at most 500). */
  abstract controls(limit?: number): Promise<StoredControl[]>;

  /** A state value written by `recordPass` or `recordControl`, or undefined. */
  abstract state<K extends keyof StateKeys>(key: K): Promise<StateKeys[K] | undefined>;

  /** Decisions newest first, at most `limit` (default 50, at most 500), and the cursor for more. */
  abstract decisions(
    query?: DecisionQuery,
  ): Promise<{ decisions: StoredDecision[]; nextBefore: number | null }>;

  /**
   * Decisions counted by rule and outcome with `from <= time < to` (epoch ms): one aggregate over
   * the range, answered from an index, whatever the number of rows. Pairs without decisions are left out.
   */
  abstract countByRule(from: number, to: number): Promise<RuleOutcomeCount[]>;

  /** When each of `rules` last fired (applied or shadow), epoch ms; a rule that never fired is left out. */
  abstract lastFired(rules: readonly string[]): Promise<Record<string, number>>;

  /**
   * Each agent's newest decision with one of `outcomes`, one per agent that has one: a single
   * indexed query, however long the log (the agents list reads it once, then follows the stream).
   */
  abstract latestPerAgent(outcomes: readonly DecisionOutcome[]): Promise<StoredDecision[]>;

  /**
   * A small write that needs room, as the health check and a store that failed are tried with:
   * resolves when it went through, rejects with the store's own error (disk full, read-only,
   * locked, corrupted) when it did not.
   */
  abstract probe(): Promise<void>;

  abstract close(): Promise<void>;
}
