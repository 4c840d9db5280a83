import type { RuleAction } from './actions/action.types';
import type { Calendar } from './time';

export type { RuleAction } from './actions/action.types';

/** A json-rules-engine condition, as written in a rule's `when`. */
export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { fact: string; operator: string; value: unknown; params?: Record<string, unknown> };

/** Which agents an agent rule applies to; empty lists mean "no restriction". */
export interface RuleScope {
  groups: number[];
  agents: number[];
  excludeGroups: number[];
  excludeAgents: number[];
}

/** Where something was written. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One checked rule. */
export interface Rule {
  name: string;
  description: string;
  /** Agent rules set statuses per agent; account rules set capacity rules. */
  kind: 'agent' | 'account';
  enabled: boolean;
  mode: 'enforce' | 'shadow';
  /** Higher wins when two rules want different things for the same target. */
  priority: number;
  /** How long the condition must hold before the rule fires, in ms. */
  forMs: number;
  /** The least time between two firings for one target, in ms. */
  cooldownMs: number;
  /** Reversible actions: how long the change stays after the condition stops matching, in ms. */
  keepForMs: number;
  /** Reversible actions: the change stays until this matches (instead of ending with `when`). */
  release: Condition | null;
  scope: RuleScope;
  when: Condition;
  then: RuleAction;
  source: SourcePosition;
}

/** A loaded, checked rule set. */
export interface RuleSet {
  /** Content hash of every file: what the audit log records. */
  revision: string;
  /** IANA zone for time facts and calendars. */
  timeZone: string;
  calendars: ReadonlyMap<string, Calendar>;
  /** Custom status names the account has, as declared in the rule set (defaults are implied). */
  customStatuses: readonly string[];
  rules: readonly Rule[];
  files: readonly string[];
}

/** Zendesk's default unified statuses, always known. */
export const DEFAULT_STATUSES = ['online', 'offline', 'away', 'transfers_only'] as const;
