import {
  describeAction,
  type ActionExecutor,
  type Applied,
  type Inspection,
  type Rule,
  type SetCapacityAction,
  type TargetState,
} from '@app/rules';
import type { CapacityChannel, CapacityRule, ZendeskClient } from '@app/zendesk';
import type { AuditStore, StateKeys } from '../audit/audit.store';
import { failure } from './status.executor';
import type { WriteJournal } from './write.journal';

/** A capacity rule's capacities as they were before the router first changed them. */
export type Baselines = Record<string, Partial<Record<CapacityChannel, number>>>;

/** What the capacity executor works with. */
export interface CapacityExecutorDeps {
  client: ZendeskClient;
  audit: AuditStore;
  /** Capacity writes are noted here before they are sent, like status writes. */
  journal: WriteJournal;
  revision: () => string;
  now: () => number;
  capacityRules: () => readonly CapacityRule[];
  /** Told of a capacity rule as Zendesk returned it after a change, so the next pass sees it. */
  onChanged: (rule: CapacityRule) => void;
}

/**
 * `set_capacity` against Zendesk. Before the first change to a capacity rule its values on the
 * changed channels are recorded durably (the baseline, by capacity rule name), with the change's
 * journal entry; putting the change back writes the baseline and forgets it (the forgetting
 * commits with the put-back's row). A write the journal cannot note is not sent.
 */
export class CapacityExecutor implements ActionExecutor<'set_capacity'> {
  private baselines: Baselines = {};
  /** The baselines changed in memory and not committed yet. */
  private unsaved = false;

  constructor(private readonly deps: CapacityExecutorDeps) {}

  /** Reads the baselines a previous run left. */
  async load(): Promise<void> {
    this.baselines = (await this.deps.audit.state('baselines')) ?? {};
  }

  /** Capacity rules with a recorded baseline: changed by the router and not yet put back. */
  changed(): string[] {
    return Object.keys(this.baselines);
  }

  inspect(_state: TargetState, action: SetCapacityAction): Inspection {
    const rule = this.rule(action.capacityRule);
    if (!rule)
      return {
        kind: 'invalid',
        reason: `the account has no capacity rule named ${JSON.stringify(action.capacityRule)}`,
      };
    const same = (Object.entries(action.capacities) as Array<[CapacityChannel, number]>).every(
      ([channel, value]) => rule.capacities[channel] === value,
    );
    return same
      ? { kind: 'no_op', reason: `${rule.name} already has these capacities` }
      : { kind: 'needed', leavesOnline: false };
  }

  async apply(state: TargetState, action: SetCapacityAction, decidedBy: Rule): Promise<Applied> {
    const rule = this.rule(action.capacityRule)!;
    const baselines =
      this.baselines[rule.name] === undefined
        ? {
            ...this.baselines,
            [rule.name]: Object.fromEntries(
              Object.keys(action.capacities).map((channel) => [
                channel,
                rule.capacities[channel as CapacityChannel],
              ]),
            ),
          }
        : null;
    const id = await this.begin(
      state,
      rule.name,
      action.capacities,
      decidedBy.name,
      describeAction(action),
      baselines ? { baselines } : {},
    );
    if (id === null) return null;
    if (baselines) this.baselines = baselines;
    try {
      this.deps.onChanged(
        await this.deps.client.updateCapacityRule(
          rule.id,
          { capacities: action.capacities },
          { priority: 'write' },
        ),
      );
      this.deps.journal.answered(id);
      return { ok: true, reason: `${rule.name} updated` };
    } catch (error) {
      this.deps.journal.answered(id);
      return { ok: false, reason: failure(error) };
    }
  }

  async revert(state: TargetState, ruleName: string, shadow: boolean): Promise<Applied> {
    const name = state.target.slice('capacity:'.length);
    const baseline = this.baselines[name];
    if (shadow) return { ok: true, reason: `${name} would go back to its values from before the change` };
    if (!baseline) return { ok: true, reason: `no baseline is recorded for ${name}; nothing to put back` };
    const rule = this.rule(name);
    if (!rule) {
      this.forget(name);
      return {
        ok: true,
        reason: `the capacity rule ${JSON.stringify(name)} no longer exists; its baseline is dropped`,
      };
    }
    const id = await this.begin(state, name, baseline, ruleName || 'baseline', { revert: name });
    if (id === null) return null;
    try {
      this.deps.onChanged(
        await this.deps.client.updateCapacityRule(rule.id, { capacities: baseline }, { priority: 'write' }),
      );
      this.deps.journal.answered(id);
      this.forget(name);
      return { ok: true, reason: `${name} restored to ${JSON.stringify(baseline)}` };
    } catch (error) {
      this.deps.journal.answered(id);
      // The baseline stays: the next pass tries again.
      return { ok: false, reason: failure(error) };
    }
  }

  /** The baselines, when they changed since they were last committed: to commit with the pass. */
  unsavedState(): Pick<StateKeys, 'baselines'> | Record<string, never> {
    return this.unsaved ? { baselines: this.baselines } : {};
  }

  /** `baselines` (from `unsavedState`) are committed. */
  saved(baselines: Baselines | undefined): void {
    if (baselines === this.baselines) this.unsaved = false;
  }

  private rule(name: string): CapacityRule | undefined {
    return this.deps.capacityRules().find((r) => r.name === name);
  }

  /** Notes a capacity write in the journal; null when it must not be sent. */
  private begin(
    state: TargetState,
    capacityRule: string,
    capacities: Partial<Record<CapacityChannel, number>>,
    rule: string,
    action: Record<string, unknown>,
    alsoState: Partial<StateKeys> = {},
  ): Promise<number | null> {
    return this.deps.journal.begin(
      {
        kind: 'capacity',
        target: state.target,
        capacityRule,
        capacities,
        rule,
        revision: this.deps.revision(),
        action,
        sentAt: this.deps.now(),
      },
      alsoState,
    );
  }

  /** Forgets a baseline in memory; the pass commits it. */
  private forget(name: string): void {
    this.baselines = without(this.baselines, name);
    this.unsaved = true;
  }
}

function without(baselines: Baselines, name: string): Baselines {
  const { [name]: _dropped, ...rest } = baselines;
  return rest;
}
