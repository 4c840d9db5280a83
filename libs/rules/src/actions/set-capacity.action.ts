import { CAPACITY_CHANNELS, type CapacityChannelName } from '../facts';
import type { ActionDefinition } from './action.types';

/** `then: { set_capacity: { rule, capacities } }` — a capacity rule's capacities, put back when released. */
export const SET_CAPACITY: ActionDefinition<'set_capacity'> = {
  type: 'set_capacity',
  description:
    "Sets a capacity rule's capacities per channel; they go back to the values recorded before the change when no rule holds it any more.",
  ruleKind: 'account',
  targetKind: 'capacity',
  reversible: true,
  safety: ['paused'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['rule', 'capacities'],
    properties: {
      rule: { type: 'string' },
      capacities: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: Object.fromEntries(CAPACITY_CHANNELS.map((c) => [c, { type: 'integer', minimum: 0 }])),
      },
    },
  },
  parse(node) {
    const value = node.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      node.problem(
        `set_capacity must be { rule: <capacity rule>, capacities: { messaging: 5 } } (got ${JSON.stringify(value)})`,
      );
      return null;
    }
    const parts = node.entries(['rule', 'capacities']);
    const rule = parts.get('rule');
    if (typeof rule?.value !== 'string' || rule.value.trim() === '')
      (rule ?? node).problem('set_capacity.rule must name the capacity rule to change');
    const capacitiesAt = parts.get('capacities');
    const capacities: Partial<Record<CapacityChannelName, number>> = {};
    for (const [channel, valueAt] of capacitiesAt?.entries([...CAPACITY_CHANNELS]) ?? []) {
      const v = valueAt.value;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
        valueAt.problem(`capacities.${channel} must be a whole number >= 0 (got ${JSON.stringify(v)})`);
      else capacities[channel as CapacityChannelName] = v;
    }
    // Capacities given but each wrong are reported one by one above.
    const given = capacitiesAt?.value;
    if (typeof given !== 'object' || given === null || Object.keys(given).length === 0)
      (capacitiesAt ?? node).problem('set_capacity.capacities needs at least one of email, messaging, voice');
    return typeof rule?.value === 'string' && rule.value.trim() !== ''
      ? { type: 'set_capacity', capacityRule: rule.value, capacities }
      : null;
  },
  accountTarget: (action) => `capacity:${action.capacityRule}`,
  describe: (action) => ({ set_capacity: { rule: action.capacityRule, capacities: action.capacities } }),
};
