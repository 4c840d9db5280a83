import type { CapacityChannelName } from '../facts';
import type { RuleSetProblem } from '../rule-set.errors';

/** An agent's unified status, by name (resolved through the account's status list) or id. */
export interface SetStatusAction {
  type: 'set_status';
  status: string | number;
}

/** A capacity rule's capacities per channel; put back to the recorded baseline when released. */
export interface SetCapacityAction {
  type: 'set_capacity';
  capacityRule: string;
  capacities: Partial<Record<CapacityChannelName, number>>;
}

/** What a rule asks for when it matches. Adding a member makes the compiler name every place that must handle it. */
export type RuleAction = SetStatusAction | SetCapacityAction;

/** The kinds of action, as rule files spell them under `then:`. */
export type ActionType = RuleAction['type'];

/** The action of one type. */
export type ActionOf<T extends ActionType> = Extract<RuleAction, { type: T }>;

/** The part of a parsed YAML node an action needs to read itself and report problems where they are. */
export interface ActionNode {
  readonly value: unknown;
  /** The entries of a mapping; keys not in `known` are reported as problems. */
  entries(known: readonly string[]): Map<string, ActionNode>;
  problem(message: string): void;
}

/** What an action's parser may check against the rest of the rule set. */
export interface ActionContext {
  /** Status names the rule set knows: the defaults and the declared custom ones. */
  statuses: ReadonlySet<string>;
}

/** The safety limits that can hold an action back. */
export type SafetyCheck = 'paused' | 'human_hold' | 'rate_limit' | 'min_online';

/** One action type: how it is read, described, targeted and planned. */
export interface ActionDefinition<T extends ActionType> {
  readonly type: T;
  readonly description: string;
  /** Agent rules act per agent; account rules act on something of the account (a capacity rule). */
  readonly ruleKind: 'agent' | 'account';
  /**
   * Reversible changes are put back when no rule holds them any more (after `keepFor`, or when
   * `release` matches, or when their rule is removed or disabled); others are one-off.
   */
  readonly reversible: boolean;
  /** What its targets are called before the colon: `agent:<id>`, `capacity:<name>`. */
  readonly targetKind: 'agent' | 'capacity';
  /** The safety limits the gate applies to it. */
  readonly safety: readonly SafetyCheck[];
  /** The JSON Schema of its value under `then:`. */
  readonly schema: Record<string, unknown>;
  /** Reads its value under `then:`; null after reporting problems on `node`. */
  parse(node: ActionNode, context: ActionContext): ActionOf<T> | null;
  /**
   * The target an account action acts on (`capacity:<name>`); agent actions act on the agent
   * (`agent:<id>`) and return null.
   */
  accountTarget(action: ActionOf<T>): string | null;
  /** As rule files, scenario files and the audit log write it: `{ set_status: "away" }`. */
  describe(action: ActionOf<T>): Record<string, unknown>;
}

/** Problems are collected, never thrown, while a rule set is read. */
export type ProblemSink = (problem: RuleSetProblem) => void;
