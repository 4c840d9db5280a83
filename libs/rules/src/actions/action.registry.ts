import type { ActionDefinition, ActionOf, ActionType, RuleAction } from './action.types';
import { SET_CAPACITY } from './set-capacity.action';
import { SET_STATUS } from './set-status.action';

/** Every action type, by the key rule files write under `then:`. A new type is one entry here plus its file. */
export const ACTIONS: { readonly [T in ActionType]: ActionDefinition<T> } = {
  set_status: SET_STATUS,
  set_capacity: SET_CAPACITY,
};

/** The action types, in the order rule authors read about them. */
export const ACTION_TYPES = Object.keys(ACTIONS) as ActionType[];

/** The action types as a sentence names them: "set_status or set_capacity". */
export function actionTypeList(): string {
  return ACTION_TYPES.length < 2
    ? ACTION_TYPES.join('')
    : `${ACTION_TYPES.slice(0, -1).join(', ')} or ${ACTION_TYPES[ACTION_TYPES.length - 1]}`;
}

/** The definition of an action's type. */
export function actionDefinition<T extends ActionType>(action: ActionOf<T>): ActionDefinition<T> {
  return ACTIONS[action.type];
}

/** An action as rule files and the audit log write it. */
export function describeAction(action: RuleAction): Record<string, unknown> {
  return actionDefinition(action).describe(action);
}

/** The target an action acts on, for a rule evaluated for `agentId` (null for account rules). */
export function actionTarget(action: RuleAction, agentId: number | null): string {
  return actionDefinition(action).accountTarget(action) ?? `agent:${agentId}`;
}
