import type { SafetyCheck } from './actions/action.types';
import type { Facts } from './rule.evaluator';

/** Limits that stop the router before it does harm, however the rules are written. */
export interface SafetyLimits {
  /** After a person changes an agent's status, rules leave that agent alone this long. */
  humanHoldS: number;
  /** Status changes carried out in any sliding minute, at most. */
  maxChangesPerMin: number;
  /** Agents a change may not take a group below (counting agents online in it). */
  minOnlinePerGroup: number;
}

/** Why a decision is held back now, and until when (null: until something else changes). */
export interface Hold {
  kind: SafetyCheck;
  reason: string;
  until: number | null;
}

/** What the gate needs to know about the change a decision would make. */
export interface GatedChange {
  /** What it changes (`agent:<id>`), and that target's state now (as `TargetState.stateKey`). */
  target: string;
  stateKey: string;
  /** The agent it changes, with its facts (`status.setBy`, `status.minutes`, `status.name`); null for account changes. */
  agent: { groups: readonly number[]; facts: Facts } | null;
  /** The change takes the agent from online to another status (it counts against the group minimum). */
  leavesOnline: boolean;
  /** The limits that apply to this action type. */
  checks: readonly SafetyCheck[];
  /** Shadow decisions are counted apart: they say what enforcement would do without using its allowance. */
  shadow: boolean;
}

const MINUTE_MS = 60_000;

/**
 * The safety limits as one gate, in the order they are reported: the pause, a person's recent
 * change (the human hold), the per-minute limit and the group minimum. The same gate decides for
 * the router, shadow mode, `explain` and scenario tests; a shadow decision passes through it
 * exactly as an enforced one would, with its own per-minute window and group counts.
 *
 * One gate lives as long as the process: a rule reload changes rules, not the per-minute window.
 */
export class SafetyGate {
  private readonly sentAt: Record<'enforce' | 'shadow', number[]> = { enforce: [], shadow: [] };
  /** Agents online per group this pass, per mode; counted when first needed. */
  private online: Record<'enforce' | 'shadow', Map<number, number> | null> = { enforce: null, shadow: null };
  private countOnline: () => ReadonlyMap<number, number> = () => new Map();
  private stateOf: (target: string) => string | undefined = () => undefined;
  /**
   * Agents shadow mode has taken out of online on paper, with their groups and their state then.
   * Nothing changed in Zendesk, so they still count as online there; for shadow's own group
   * counts they are gone until their state changes, as they would be after an enforced change.
   */
  private readonly shadowGone = new Map<string, { groups: readonly number[]; stateKey: string }>();

  constructor(
    readonly limits: SafetyLimits,
    private readonly paused: () => boolean,
  ) {}

  /**
   * Starts a pass: `countOnline` gives the agents online per group as it begins (agents already
   * sent away not counted); it is called once, and only if a change could take someone offline.
   * `stateOf` gives a target's state now, so an agent shadow took offline counts as gone only
   * while it stays as it was.
   */
  startPass(
    countOnline: () => ReadonlyMap<number, number>,
    stateOf: (target: string) => string | undefined,
  ): void {
    this.countOnline = countOnline;
    this.stateOf = stateOf;
    this.online = { enforce: null, shadow: null };
  }

  /** Why `change` may not be carried out now, or null when it may. Changes nothing. */
  check(change: GatedChange, now: number): Hold | null {
    const { humanHoldS, maxChangesPerMin, minOnlinePerGroup } = this.limits;
    const checks = change.checks;
    if (checks.includes('paused') && this.paused())
      return { kind: 'paused', reason: 'the router is paused', until: null };
    const facts = change.agent?.facts;
    if (checks.includes('human_hold') && facts && facts['status.setBy'] === 'human' && humanHoldS > 0) {
      const minutes = typeof facts['status.minutes'] === 'number' ? facts['status.minutes'] : 0;
      const leftMs = humanHoldS * 1000 - minutes * MINUTE_MS;
      if (leftMs > 0) {
        const until = Math.ceil((now + leftMs) / 1000) * 1000;
        return {
          kind: 'human_hold',
          reason: `a person set ${String(facts['status.name'])} ${Math.round(minutes)} min ago; rules wait until ${new Date(until).toISOString()}`,
          until,
        };
      }
    }
    const mode = change.shadow ? 'shadow' : 'enforce';
    if (checks.includes('rate_limit')) {
      const recent = this.recent(mode, now);
      if (recent.length >= maxChangesPerMin) {
        const until = recent[recent.length - maxChangesPerMin]! + MINUTE_MS;
        return {
          kind: 'rate_limit',
          reason: `safety limit: ${recent.length} status changes in the last minute (at most ${maxChangesPerMin})`,
          until,
        };
      }
    }
    if (checks.includes('min_online') && change.leavesOnline && change.agent && minOnlinePerGroup > 0) {
      for (const group of change.agent.groups) {
        const left = (this.onlineIn(mode).get(group) ?? 0) - 1;
        if (left < minOnlinePerGroup) {
          return {
            kind: 'min_online',
            reason: `safety limit: group ${group} would have ${left} agents online (at least ${minOnlinePerGroup})`,
            until: null,
          };
        }
      }
    }
    return null;
  }

  /** Counts a change that was carried out (or recorded in shadow) against the limits. */
  note(change: GatedChange, now: number): void {
    const mode = change.shadow ? 'shadow' : 'enforce';
    if (change.checks.includes('rate_limit')) this.sentAt[mode].push(now);
    if (change.leavesOnline && change.agent) {
      const online = this.onlineIn(mode);
      for (const group of change.agent.groups) online.set(group, (online.get(group) ?? 1) - 1);
      if (change.shadow)
        this.shadowGone.set(change.target, { groups: change.agent.groups, stateKey: change.stateKey });
    }
  }

  private onlineIn(mode: 'enforce' | 'shadow'): Map<number, number> {
    let online = this.online[mode];
    if (online) return online;
    online = this.online[mode] = new Map(this.countOnline());
    if (mode === 'enforce') return online;
    for (const [target, gone] of this.shadowGone) {
      if (this.stateOf(target) !== gone.stateKey) {
        this.shadowGone.delete(target);
        continue;
      }
      for (const group of gone.groups) online.set(group, (online.get(group) ?? 1) - 1);
    }
    return online;
  }

  /** The sliding minute's send times, oldest first (older ones dropped). */
  private recent(mode: 'enforce' | 'shadow', now: number): number[] {
    const times = this.sentAt[mode];
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - MINUTE_MS) drop++;
    if (drop > 0) times.splice(0, drop);
    return times;
  }
}
