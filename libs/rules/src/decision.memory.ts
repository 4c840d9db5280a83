const HELD = 'held:';

/**
 * What was last recorded per target and rule, so a decision that does not act — held by a safety
 * limit, already in place, recorded in shadow for a target that has not changed since — is
 * recorded once, not at every pass. A rule that stops matching, or acts, starts afresh.
 *
 * One memory lives as long as the process: a rule reload does not make held decisions news again.
 */
export class DecisionMemory {
  private readonly last = new Map<string, string>();

  /** True (and remembered) when `signature` is news for this target and rule. */
  isNews(target: string, rule: string, signature: string): boolean {
    const key = `${target}|${rule}`;
    if (this.last.get(key) === signature) return false;
    this.last.set(key, signature);
    return true;
  }

  /**
   * True (and remembered) when a hold of `kind` is news for this target and rule: a decision held
   * by several limits in turn is recorded once per limit, not each time the first one changes.
   */
  isNewHold(target: string, rule: string, kind: string): boolean {
    const key = `${target}|${rule}`;
    const last = this.last.get(key);
    const kinds = last?.startsWith(HELD) ? last.slice(HELD.length).split(',') : [];
    if (kinds.includes(kind)) return false;
    this.last.set(key, HELD + [...kinds, kind].join(','));
    return true;
  }

  /** Whether `signature` is what was last recorded for this target and rule. */
  recorded(target: string, rule: string, signature: string): boolean {
    return this.last.get(`${target}|${rule}`) === signature;
  }

  /** Forgets one rule for one target: its next decision is news. */
  forgetRule(target: string, rule: string): void {
    this.last.delete(`${target}|${rule}`);
  }

  /** Forgets a target (an agent that left). */
  forgetTarget(target: string): void {
    const prefix = `${target}|`;
    for (const key of this.last.keys()) if (key.startsWith(prefix)) this.last.delete(key);
  }

  /** How many target and rule pairs it remembers (it stays bounded by what matches now). */
  get size(): number {
    return this.last.size;
  }
}
