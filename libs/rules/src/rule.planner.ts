import type { Rule, RuleAction } from './rule-set.model';
import type { RuleEvaluation } from './rule.evaluator';

/** What the planner decided about one rule for one target at one moment. */
export type PlanDecision =
  /** The rule fires: carry out its action (enforce mode). */
  | { kind: 'act'; rule: Rule; action: RuleAction }
  /** The rule fires in shadow mode: record what would be done, do nothing. */
  | { kind: 'shadow'; rule: Rule; action: RuleAction }
  /** It matches but has not held for its `for` yet. */
  | { kind: 'pending'; rule: Rule; readyAt: number }
  /** It would fire, but it fired for this target less than `cooldown` ago. */
  | { kind: 'cooldown'; rule: Rule; until: number }
  /** It would fire, but a higher-priority rule wins for this target. */
  | { kind: 'outranked'; rule: Rule; by: Rule }
  /** No rule asks for a change to this capacity rule any more: restore its baseline. */
  | { kind: 'revert'; capacityRule: string; after: Rule };

/** The planner's memory, as plain data a store can keep across restarts. */
export interface PlannerState {
  /** `target|rule` → when the rule started matching without interruption. */
  pendingSince: Record<string, number>;
  /** `target|rule` → when the rule last fired. */
  firedAt: Record<string, number>;
  /** Capacity rule → the rule whose change is in force. */
  activeCapacity: Record<string, string>;
}

/**
 * Turns rule matches into decisions for one target (an agent, or a capacity rule): `for` as in
 * Prometheus alerting (the condition must hold continuously for that long), cooldowns, the
 * conflict policy and shadow mode.
 *
 * Conflict policy: among the enforce rules ready to fire for a target, the highest priority wins
 * (equal priorities with different actions are refused when the rule set loads, so the winner is
 * unique); the others are `outranked`. A rule still waiting for its `for` does not block a lower
 * one that is ready. Shadow rules never act and never outrank: each ready shadow rule is reported
 * on its own, subject to its own cooldown.
 */
export class RulePlanner {
  private state: PlannerState = { pendingSince: {}, firedAt: {}, activeCapacity: {} };
  private changes = 0;

  /** Counts changes to the memory, so a store can skip saving what it already has. */
  get version(): number {
    return this.changes;
  }

  /** Decisions for `target` given this moment's evaluations of its rules. */
  plan(target: string, evaluations: readonly RuleEvaluation[], now: number): PlanDecision[] {
    const decisions: PlanDecision[] = [];
    const ready: Rule[] = [];
    for (const { rule, matched } of evaluations) {
      const key = `${target}|${rule.name}`;
      if (!matched) {
        if (this.state.pendingSince[key] !== undefined) {
          delete this.state.pendingSince[key];
          this.changes++;
        }
        continue;
      }
      let since = this.state.pendingSince[key];
      if (since === undefined) {
        since = this.state.pendingSince[key] = now;
        this.changes++;
      }
      if (now - since < rule.forMs) decisions.push({ kind: 'pending', rule, readyAt: since + rule.forMs });
      else ready.push(rule);
    }
    const enforce = ready
      .filter((r) => r.mode === 'enforce')
      .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
    const winner = enforce[0];
    for (const rule of enforce.slice(1)) decisions.push({ kind: 'outranked', rule, by: winner! });
    if (winner) decisions.push(this.fire(target, winner, 'act', now));
    for (const rule of ready.filter((r) => r.mode === 'shadow'))
      decisions.push(this.fire(target, rule, 'shadow', now));

    const capacityRule = capacityTarget(evaluations);
    if (capacityRule) {
      const active = this.state.activeCapacity[capacityRule];
      const holding = winner !== undefined;
      if (holding && decisions.some((d) => d.kind === 'act')) {
        this.state.activeCapacity[capacityRule] = winner.name;
        this.changes++;
      }
      if (!holding && active !== undefined) {
        const after = evaluations.find((e) => e.rule.name === active)?.rule;
        delete this.state.activeCapacity[capacityRule];
        this.changes++;
        if (after) decisions.push({ kind: 'revert', capacityRule, after });
      }
    }
    return decisions;
  }

  /** Plain-data copy of the planner's memory. */
  snapshot(): PlannerState {
    return structuredClone(this.state);
  }

  restore(state: PlannerState): void {
    this.state = structuredClone(state);
    this.changes++;
  }

  private fire(target: string, rule: Rule, kind: 'act' | 'shadow', now: number): PlanDecision {
    const key = `${target}|${rule.name}`;
    const last = this.state.firedAt[key];
    if (last !== undefined && now - last < rule.cooldownMs)
      return { kind: 'cooldown', rule, until: last + rule.cooldownMs };
    this.state.firedAt[key] = now;
    this.changes++;
    return { kind, rule, action: rule.then };
  }
}

/** The capacity rule all these (account) evaluations act on, when they are capacity rules. */
function capacityTarget(evaluations: readonly RuleEvaluation[]): string | null {
  const action = evaluations[0]?.rule.then;
  return action?.type === 'set_capacity' ? action.capacityRule : null;
}
