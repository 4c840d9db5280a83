/**
 * How big a rule set may be. A rule set is written by people and holds dozens of rules; these
 * bounds are far above that and keep a hostile or generated file from costing the service more
 * than a few seconds of a worker thread. Each limit broken is a problem at its `file:line:column`.
 */
export interface RuleLimits {
  /** Bytes of one rule file. */
  readonly maxFileBytes: number;
  /** Rules in one file. */
  readonly maxRulesPerFile: number;
  /** Rules in the whole set. */
  readonly maxRules: number;
  /** Levels of `all`/`any`/`not` in one condition (a bare fact condition is level 1). */
  readonly maxConditionDepth: number;
  /** Characters of a name: a rule's, a calendar's, a status's, any key. */
  readonly maxNameLength: number;
  /** Characters of any other text: descriptions, values. */
  readonly maxStringLength: number;
  /** Nodes that YAML aliases (`*name`) may add to a file when they are expanded. */
  readonly maxAliasNodes: number;
}

/** The limits the router and `rules check` apply (documented in `rules/README.md`). */
export const DEFAULT_RULE_LIMITS: RuleLimits = Object.freeze({
  maxFileBytes: 524_288,
  maxRulesPerFile: 1_000,
  maxRules: 2_000,
  maxConditionDepth: 16,
  maxNameLength: 128,
  maxStringLength: 4_096,
  maxAliasNodes: 10_000,
});

/** A byte count the way a person reads it: `1 MiB`, `512 KiB`, `300 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576 && bytes % 1_048_576 === 0) return `${bytes / 1_048_576} MiB`;
  if (bytes >= 1_048_576) return `${(bytes / 1_048_576).toFixed(1)} MiB`;
  if (bytes >= 1_024) return `${Math.round(bytes / 1_024)} KiB`;
  return `${bytes} bytes`;
}
