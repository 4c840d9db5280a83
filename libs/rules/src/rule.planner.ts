import { ACTIONS } from './actions/action.registry';
import type { RuleAction } from './actions/action.types';
import type { Rule } from './rule-set.model';
import type { RuleEvaluation } from './rule.evaluator';

/** What the planner decided about one rule for one target at one moment. */
export type PlanDecision =
  /** The rule is ready and may fire: carry it out (through the safety gate); `shadow` records instead. */
  | { kind: 'fire'; rule: Rule; action: RuleAction; shadow: boolean }
  /** It matches but has not held for its `for` yet. */
  | { kind: 'pending'; rule: Rule; since: number; readyAt: number }
  /** It would fire, but it fired for this target less than `cooldown` ago. */
  | { kind: 'cooldown'; rule: Rule; until: number }
  /** It would fire, but a higher-priority rule wins for this target. */
  | { kind: 'outranked'; rule: Rule; by: Rule }
  /** Its reversible change stays although the condition ended: `keepFor` (until then) or `release` (null). */
  | { kind: 'keep'; rule: Rule; until: number | null }
  /** No rule holds this target's reversible change any more: put it back. */
  | { kind: 'revert'; ruleName: string; rule: Rule | null; shadow: boolean; why: string };

/** A reversible change in force on a target. */
export interface ChangeInForce {
  rule: string;
  shadow: boolean;
  /** Epoch ms when it was made. */
  since: number;
  /** Epoch ms when its rule stopped matching (keepFor counts from here); absent while it matches. */
  endedAt?: number;
}

/** The planner's memory, as plain data a store can keep across restarts. */
export interface PlannerState {
  /** `target|rule` → when the rule started matching without interruption. */
  pendingSince: Record<string, number>;
  /** `target|rule` → when the rule last fired (was carried out or recorded in shadow). */
  firedAt: Record<string, number>;
  /** Reversible changes in force: by target for enforce rules, by `target|rule` for shadow rules. */
  changes: Record<string, ChangeInForce>;
}

/** State written by the planner before reversible changes were tracked with their history. */
interface LegacyPlannerState {
  pendingSince?: Record<string, number>;
  firedAt?: Record<string, number>;
  changes?: Record<string, ChangeInForce>;
  activeCapacity?: Record<string, string>;
}

/**
 * Turns rule matches into decisions for one target (an agent, or a capacity rule): `for` as in
 * Prometheus alerting (the condition must hold continuously for that long), cooldowns, the
 * conflict policy, shadow rules and reversible changes that are kept (`keepFor`, `release`) and
 * put back.
 *
 * Planning consumes nothing: a rule's cooldown starts only when the caller reports that it was
 * carried out (`fired`), so a decision held back by a safety limit, a person or the pause acts as
 * soon as the hold ends. A reversible change stays in force until `reverted` is reported, so a
 * put-back that fails or is held is planned again at the next pass.
 *
 * Conflict policy: among the enforce rules ready to fire for a target, the highest priority wins
 * (equal priorities with different actions are refused when the rule set loads, so the winner is
 * unique); the others are `outranked`. A rule still waiting for its `for` does not block a lower
 * one that is ready; a change kept by `keepFor` or `release` does. Shadow rules never act and
 * never outrank: each ready shadow rule is reported on its own, subject to its own cooldown.
 */
export class RulePlanner {
  private state: PlannerState = { pendingSince: {}, firedAt: {}, changes: {} };
  private changesCount = 0;

  /** Counts changes to the memory, so a store can skip saving what it already has. */
  get version(): number {
    return this.changesCount;
  }

  /**
   * Decisions for `target` given this moment's evaluations of its rules. With `dryRun` the
   * memory is left as it is (what `explain` shows).
   */
  plan(
    target: string,
    evaluations: readonly RuleEvaluation[],
    now: number,
    { dryRun = false }: { dryRun?: boolean } = {},
  ): PlanDecision[] {
    const decisions: PlanDecision[] = [];
    const writes: Array<() => void> = [];
    const ready: Rule[] = [];
    for (const { rule, matched } of evaluations) {
      const key = `${target}|${rule.name}`;
      const since = this.state.pendingSince[key];
      if (!matched) {
        if (since !== undefined) writes.push(() => delete this.state.pendingSince[key]);
        continue;
      }
      if (since === undefined) writes.push(() => (this.state.pendingSince[key] = now));
      const from = since ?? now;
      if (now - from < rule.forMs)
        decisions.push({ kind: 'pending', rule, since: from, readyAt: from + rule.forMs });
      else ready.push(rule);
    }

    const kept = this.kept(target, false, evaluations, now, writes);
    const contenders = ready.filter((r) => r.mode === 'enforce');
    if (kept.rule && !contenders.includes(kept.rule)) contenders.push(kept.rule);
    contenders.sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
    const winner = contenders[0];
    for (const rule of contenders.slice(1)) decisions.push({ kind: 'outranked', rule, by: winner! });
    let fires = false;
    if (winner && ready.includes(winner)) {
      const decision = this.fire(target, winner, false, now);
      fires = decision.kind === 'fire';
      decisions.push(decision);
    } else if (winner) {
      decisions.push({ kind: 'keep', rule: winner, until: kept.until });
    }
    // A new winner's change replaces the one in force (its baseline stays); otherwise it goes back.
    if (kept.revert && !fires) decisions.push(kept.revert);

    for (const rule of ready.filter((r) => r.mode === 'shadow')) {
      this.kept(target, rule, evaluations, now, writes);
      decisions.push(this.fire(target, rule, true, now));
    }
    // Shadow changes whose rule is no longer ready: kept a while, or put back (in shadow).
    for (const key of Object.keys(this.state.changes)) {
      const change = this.state.changes[key]!;
      if (!change.shadow || !key.startsWith(`${target}|`)) continue;
      const rule = evaluations.find((e) => e.rule.name === change.rule)?.rule;
      if (rule && ready.includes(rule)) continue;
      const shadowKept = this.kept(target, rule ?? change.rule, evaluations, now, writes);
      if (shadowKept.rule) decisions.push({ kind: 'keep', rule: shadowKept.rule, until: shadowKept.until });
      if (shadowKept.revert) decisions.push(shadowKept.revert);
    }

    if (!dryRun && writes.length > 0) {
      for (const write of writes) write();
      this.changesCount++;
    }
    return decisions;
  }

  /** Reports that a `fire` decision was carried out (or recorded in shadow): its cooldown starts now. */
  fired(target: string, rule: Rule, now: number): void {
    this.state.firedAt[`${target}|${rule.name}`] = now;
    if (ACTIONS[rule.then.type].reversible) {
      const shadow = rule.mode === 'shadow';
      const key = changeKey(target, shadow, rule.name);
      const current = this.state.changes[key];
      // The same rule asking again keeps its change's history; a new winner takes the change over.
      if (current?.rule !== rule.name || current.endedAt !== undefined)
        this.state.changes[key] = { rule: rule.name, shadow, since: current?.since ?? now };
    }
    this.changesCount++;
  }

  /** Reports that a `revert` decision was carried out: the target's change is no longer in force. */
  reverted(target: string, decision: Extract<PlanDecision, { kind: 'revert' }>): void {
    delete this.state.changes[changeKey(target, decision.shadow, decision.ruleName)];
    this.changesCount++;
  }

  /**
   * Takes in a change on `target` that no rule is known to hold (the router stopped between
   * making it and recording it): it is put back at this pass.
   */
  adoptOrphan(target: string, now: number): void {
    if (this.state.changes[target]) return;
    this.state.changes[target] = { rule: '', shadow: false, since: now };
    this.changesCount++;
  }

  /** The reversible change in force on `target` (enforce rules), if any. */
  changeOn(target: string): ChangeInForce | undefined {
    return this.state.changes[target];
  }

  /** Targets with any reversible change in force, shadow rules' included. */
  targetsWithChanges(): string[] {
    return [
      ...new Set(Object.entries(this.state.changes).map(([key, c]) => (c.shadow ? shadowTarget(key) : key))),
    ];
  }

  /** Every `target|rule` that matches without interruption, with since when (read-only, not copied). */
  matchingSince(): Readonly<Record<string, number>> {
    return this.state.pendingSince;
  }

  /** Forgets what the planner knows about targets that are gone (an agent that left the account). */
  forget(target: string): void {
    const prefix = `${target}|`;
    let changed = false;
    for (const map of [this.state.pendingSince, this.state.firedAt]) {
      for (const key of Object.keys(map)) {
        if (key.startsWith(prefix)) {
          delete map[key];
          changed = true;
        }
      }
    }
    if (changed) this.changesCount++;
  }

  /** Plain-data copy of the planner's memory. */
  snapshot(): PlannerState {
    return structuredClone(this.state);
  }

  restore(state: PlannerState | LegacyPlannerState): void {
    const changes: Record<string, ChangeInForce> = { ...(state.changes ?? {}) };
    // Written before changes carried their history: each was an enforce rule's change, in force.
    const legacy = (state as LegacyPlannerState).activeCapacity ?? {};
    for (const [capacityRule, rule] of Object.entries(legacy))
      changes[`capacity:${capacityRule}`] ??= { rule, shadow: false, since: 0 };
    this.state = structuredClone({
      pendingSince: state.pendingSince ?? {},
      firedAt: state.firedAt ?? {},
      changes,
    });
    this.changesCount++;
  }

  private fire(target: string, rule: Rule, shadow: boolean, now: number): PlanDecision {
    const last = this.state.firedAt[`${target}|${rule.name}`];
    if (last !== undefined && now - last < rule.cooldownMs)
      return { kind: 'cooldown', rule, until: last + rule.cooldownMs };
    return { kind: 'fire', rule, action: rule.then, shadow };
  }

  /**
   * Whether the change in force on `target` (an enforce rule's, or the given shadow rule's) is
   * still held by its rule: matching, inside `keepFor`, or not yet released. Otherwise the
   * `revert` to plan, with why.
   */
  private kept(
    target: string,
    shadowRule: Rule | string | false,
    evaluations: readonly RuleEvaluation[],
    now: number,
    writes: Array<() => void>,
  ): { rule: Rule | null; until: number | null; revert: Extract<PlanDecision, { kind: 'revert' }> | null } {
    const shadowName = typeof shadowRule === 'string' ? shadowRule : shadowRule ? shadowRule.name : null;
    const key = changeKey(target, shadowName !== null, shadowName ?? '');
    const change = this.state.changes[key];
    if (!change) return { rule: null, until: null, revert: null };
    const evaluation = evaluations.find((e) => e.rule.name === change.rule);
    const revert = (why: string, rule: Rule | null) => ({
      rule: null,
      until: null,
      revert: { kind: 'revert' as const, ruleName: change.rule, rule, shadow: change.shadow, why },
    });
    if (!evaluation)
      return revert(
        change.rule === ''
          ? 'no rule holds this change (it was made before the router last stopped)'
          : `rule ${change.rule} is no longer in the rule set`,
        null,
      );
    const rule = evaluation.rule;
    if (!rule.enabled) return revert(`rule ${rule.name} was disabled`, rule);
    if ((rule.mode === 'shadow') !== change.shadow)
      return revert(`rule ${rule.name} changed to ${rule.mode} mode`, rule);
    if (evaluation.matched) {
      if (change.endedAt !== undefined) writes.push(() => delete this.state.changes[key]?.endedAt);
      return { rule, until: null, revert: null };
    }
    if (rule.release) {
      return evaluation.released
        ? revert(`rule ${rule.name} was released: its release condition matches`, rule)
        : { rule, until: null, revert: null };
    }
    const endedAt = change.endedAt ?? now;
    if (change.endedAt === undefined)
      writes.push(() => {
        const current = this.state.changes[key];
        if (current) current.endedAt = now;
      });
    if (now - endedAt < rule.keepForMs) return { rule, until: endedAt + rule.keepForMs, revert: null };
    return revert(
      rule.keepForMs > 0
        ? `rule ${rule.name} stopped matching at ${new Date(endedAt).toISOString()} and its keepFor has passed`
        : `rule ${rule.name} no longer matches`,
      rule,
    );
  }
}

function changeKey(target: string, shadow: boolean, rule: string): string {
  return shadow ? `${target}|${rule}` : target;
}

function shadowTarget(key: string): string {
  return key.slice(0, key.lastIndexOf('|'));
}
