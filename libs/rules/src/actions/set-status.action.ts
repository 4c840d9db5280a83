import { didYouMean } from '../rule-set.errors';
import type { ActionDefinition } from './action.types';

/** `then: { set_status: away }` — an agent's unified status, by name or id. */
export const SET_STATUS: ActionDefinition<'set_status'> = {
  type: 'set_status',
  description: "Sets the agent's unified status, by name (default or declared under statuses) or id.",
  ruleKind: 'agent',
  targetKind: 'agent',
  reversible: false,
  safety: ['paused', 'human_hold', 'rate_limit', 'min_online'],
  schema: { type: ['string', 'integer'] },
  parse(node, context) {
    const value = node.value;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0)
      return { type: 'set_status', status: value };
    if (typeof value === 'string' && context.statuses.has(value))
      return { type: 'set_status', status: value };
    if (typeof value === 'string') {
      const guess = didYouMean(value, context.statuses);
      node.problem(
        `unknown status "${value}"${guess ? ` (did you mean "${guess}"?)` : ''}; declare your account's custom statuses under "statuses"`,
      );
    } else {
      node.problem(`set_status must be a status name or id (got ${JSON.stringify(value)})`);
    }
    return null;
  },
  accountTarget: () => null,
  describe: (action) => ({ set_status: action.status }),
};
