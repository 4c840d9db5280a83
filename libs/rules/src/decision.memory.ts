const HELD = 'held:';

/**
 * What was last recorded per target and rule, so a decision that does not act — held by a safety
 * limit, already in place, recorded in shadow for a target that has not changed since — is
 * recorded once, not at every pass. A rule that stops matching, or acts, starts afresh.
 *
 * One memory lives as long as the process: a rule reload does not make held decisions news again.
 */
export class DecisionMemory {
  /** By target, then by rule: a pass over a target with nothing remembered costs one lookup. */
  private readonly last = new Map<string, Map<string, string>>();

  /** True (and remembered) when `signature` is news for this target and rule. */
  isNews(target: string, rule: string, signature: string): boolean {
    if (this.recorded(target, rule, signature)) return false;
    this.remember(target, rule, signature);
    return true;
  }

  /**
   * True (and remembered) when a hold of `kind` is news for this target and rule: a decision held
   * by several limits in turn is recorded once per limit, not each time the first one changes.
   */
  isNewHold(target: string, rule: string, kind: string): boolean {
    const last = this.last.get(target)?.get(rule);
    const kinds = last?.startsWith(HELD) ? last.slice(HELD.length).split(',') : [];
    if (kinds.includes(kind)) return false;
    this.remember(target, rule, HELD + [...kinds, kind].join(','));
    return true;
  }

  /** Whether `signature` is what was last recorded for this target and rule. */
  recorded(target: string, rule: string, signature: string): boolean {
    return this.last.get(target)?.get(rule) === signature;
  }

  /** Forgets one rule for one target: its next decision is news. */
  forgetRule(target: string, rule: string): void {
    const rules = this.last.get(target);
    if (!rules?.delete(rule)) return;
    if (rules.size === 0) this.last.delete(target);
  }

  /** Forgets a target (an agent that left). */
  forgetTarget(target: string): void {
    this.last.delete(target);
  }

  /** How many target and rule pairs it remembers (it stays bounded by what matches now). */
  get size(): number {
    let size = 0;
    for (const rules of this.last.values()) size += rules.size;
    return size;
  }

  private remember(target: string, rule: string, signature: string): void {
    let rules = this.last.get(target);
    if (!rules) this.last.set(target, (rules = new Map<string, string>()));
    rules.set(rule, signature);
  }
}
