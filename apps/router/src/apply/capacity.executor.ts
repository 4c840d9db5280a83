import type { ActionExecutor, Applied, Inspection, SetCapacityAction, TargetState } from '@app/rules';
import type { CapacityChannel, CapacityRule, ZendeskClient } from '@app/zendesk';
import type { AuditStore } from '../audit/audit.store';
import { failure } from './status.executor';

/** A capacity rule's capacities as they were before the router first changed them. */
export type Baselines = Record<string, Partial<Record<CapacityChannel, number>>>;

/** What the capacity executor works with. */
export interface CapacityExecutorDeps {
  client: ZendeskClient;
  audit: AuditStore;
  capacityRules: () => readonly CapacityRule[];
  /** Told of a capacity rule as Zendesk returned it after a change, so the next pass sees it. */
  onChanged: (rule: CapacityRule) => void;
}

/**
 * `set_capacity` against Zendesk. Before the first change to a capacity rule its values on the
 * changed channels are recorded durably (the baseline, by capacity rule name); putting the
 * change back writes the baseline and forgets it.
 */
export class CapacityExecutor implements ActionExecutor<'set_capacity'> {
  private baselines: Baselines = {};

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

  async apply(_state: TargetState, action: SetCapacityAction): Promise<Applied> {
    const rule = this.rule(action.capacityRule)!;
    if (this.baselines[rule.name] === undefined) {
      const baseline = Object.fromEntries(
        Object.keys(action.capacities).map((channel) => [
          channel,
          rule.capacities[channel as CapacityChannel],
        ]),
      );
      await this.save({ ...this.baselines, [rule.name]: baseline });
    }
    try {
      this.deps.onChanged(
        await this.deps.client.updateCapacityRule(
          rule.id,
          { capacities: action.capacities },
          { priority: 'write' },
        ),
      );
      return { ok: true, reason: `${rule.name} updated` };
    } catch (error) {
      return { ok: false, reason: failure(error) };
    }
  }

  async revert(state: TargetState, _ruleName: string, shadow: boolean): Promise<Applied> {
    const name = state.target.slice('capacity:'.length);
    const baseline = this.baselines[name];
    if (shadow) return { ok: true, reason: `${name} would go back to its values from before the change` };
    if (!baseline) return { ok: true, reason: `no baseline is recorded for ${name}; nothing to put back` };
    const rule = this.rule(name);
    if (!rule) {
      await this.save(without(this.baselines, name));
      return {
        ok: true,
        reason: `the capacity rule ${JSON.stringify(name)} no longer exists; its baseline is dropped`,
      };
    }
    try {
      this.deps.onChanged(
        await this.deps.client.updateCapacityRule(rule.id, { capacities: baseline }, { priority: 'write' }),
      );
      await this.save(without(this.baselines, name));
      return { ok: true, reason: `${name} restored to ${JSON.stringify(baseline)}` };
    } catch (error) {
      // The baseline stays: the next pass tries again.
      return { ok: false, reason: failure(error) };
    }
  }

  private rule(name: string): CapacityRule | undefined {
    return this.deps.capacityRules().find((r) => r.name === name);
  }

  private async save(baselines: Baselines): Promise<void> {
    await this.deps.audit.recordPass([], { baselines });
    this.baselines = baselines;
  }
}

function without(baselines: Baselines, name: string): Baselines {
  const { [name]: _dropped, ...rest } = baselines;
  return rest;
}
