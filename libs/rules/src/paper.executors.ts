import type { SetCapacityAction } from './actions/action.types';
import type { ActionExecutors, TargetState } from './rule-set.runner';

/**
 * Executors that reach no account: scenario tests and what-if explanations run against them. A
 * status change is a no-op when the agent's `status.name` (or `status.id`) already is the one
 * asked for; once carried out it is told to `onStatusSet`, so the world it runs in can move the
 * agent as Zendesk would. Capacity changes are kept in `capacities` per capacity rule, so asking
 * again for what is in force is a no-op, as against a real account.
 */
export function paperExecutors(
  onStatusSet: (state: TargetState, status: string | number) => void = () => {},
  capacities = new Map<string, SetCapacityAction['capacities']>(),
): ActionExecutors {
  return {
    set_status: {
      inspect(state, action) {
        const facts = state.agent?.facts ?? {};
        const current = typeof action.status === 'number' ? facts['status.id'] : facts['status.name'];
        if (current === action.status) return { kind: 'no_op', reason: `already ${String(action.status)}` };
        const leavesOnline = facts['status.name'] === 'online' && action.status !== 'online';
        return { kind: 'needed', leavesOnline };
      },
      apply(state, action) {
        onStatusSet(state, action.status);
        return Promise.resolve({ ok: true, reason: `set to ${String(action.status)}` });
      },
    },
    set_capacity: {
      inspect(_state, action) {
        const current = capacities.get(action.capacityRule);
        const same =
          current &&
          Object.entries(action.capacities).every(([c, v]) => current[c as keyof typeof current] === v);
        return same
          ? { kind: 'no_op', reason: `${action.capacityRule} already has these capacities` }
          : { kind: 'needed', leavesOnline: false };
      },
      apply(_state, action) {
        capacities.set(action.capacityRule, { ...capacities.get(action.capacityRule), ...action.capacities });
        return Promise.resolve({ ok: true, reason: `${action.capacityRule} updated` });
      },
      revert(state, _rule, shadow) {
        const name = state.target.slice('capacity:'.length);
        if (!shadow) capacities.delete(name);
        return Promise.resolve({ ok: true, reason: `${name} restored to its baseline` });
      },
    },
  };
}
