import { didYouMean, type RuleSetProblem } from './rule-set.errors';
import type { Condition, Rule, RuleAction, RuleSet } from './rule-set.model';

/** The names a Zendesk account has that rules refer to; Zendesk matches them exactly. */
export interface AccountNames {
  /** Unified status names, default and custom, as the account lists them. */
  readonly statuses: readonly string[];
  /** Capacity rule names. */
  readonly capacityRules: readonly string[];
}

/** A name one rule uses, and what kind of thing in the account it must name. */
interface NameUse {
  kind: 'status' | 'capacityRule';
  name: string;
  /** How the rule uses it, for the message. */
  how: string;
}

/**
 * Every name a valid rule set uses that the account lacks: statuses set by name or compared with
 * `status.name`, capacity rules changed by `set_capacity` or read by `capacityRule.capacity`. Each
 * problem is at its rule, once per name, with the closest name the account has when one is close.
 * Statuses set by id are not checked (ids are not names).
 */
export function checkAgainstAccount(ruleSet: RuleSet, account: AccountNames): RuleSetProblem[] {
  const known = { status: new Set(account.statuses), capacityRule: new Set(account.capacityRules) };
  const problems: RuleSetProblem[] = [];
  for (const rule of ruleSet.rules) {
    const seen = new Set<string>();
    for (const use of namesUsed(rule)) {
      const key = `${use.kind}\0${use.name}`;
      if (known[use.kind].has(use.name) || seen.has(key)) continue;
      seen.add(key);
      const guess = didYouMean(use.name, known[use.kind]);
      problems.push({
        ...rule.source,
        message: `rule "${rule.name}" ${use.how} "${use.name}", which the account does not have${guess ? ` (did you mean "${guess}"?)` : ''}`,
      });
    }
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function namesUsed(rule: Rule): NameUse[] {
  const action = actionName(rule.then);
  return [...(action ? [action] : []), ...conditionNames(rule.when)];
}

/** The one name an action gives, if any. */
function actionName(action: RuleAction): NameUse | null {
  switch (action.type) {
    case 'set_status':
      return typeof action.status === 'string'
        ? { kind: 'status', name: action.status, how: 'sets status' }
        : null;
    case 'set_capacity':
      return { kind: 'capacityRule', name: action.capacityRule, how: 'changes capacity rule' };
  }
}

function conditionNames(condition: Condition): NameUse[] {
  if ('all' in condition) return condition.all.flatMap(conditionNames);
  if ('any' in condition) return condition.any.flatMap(conditionNames);
  if ('not' in condition) return conditionNames(condition.not);
  if (condition.fact === 'status.name') {
    const values: unknown[] = Array.isArray(condition.value) ? condition.value : [condition.value];
    return values
      .filter((v): v is string => typeof v === 'string')
      .map((name) => ({ kind: 'status', name, how: 'compares status.name with' }));
  }
  const rule = condition.params?.rule;
  if (condition.fact === 'capacityRule.capacity' && typeof rule === 'string')
    return [{ kind: 'capacityRule', name: rule, how: 'reads capacityRule.capacity of' }];
  return [];
}
