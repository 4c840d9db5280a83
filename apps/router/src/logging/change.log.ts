import { Logger } from '@nestjs/common';
import { describeAction, type RuleAction } from '@app/rules';
import type { DecisionRecord } from '../audit/audit.store';

const OUTCOME_WORDS: Partial<Record<DecisionRecord['outcome'], string>> = {
  applied: 'Applied',
  failed: 'Failed',
  suppressed: 'Suppressed',
  shadow: 'Shadow (not applied)',
};

const logger = new Logger('Changes');

/**
 * One line for each recorded change that was applied, failed (at warn), suppressed or made in
 * shadow (no-ops are left out): target, action, rule and why, e.g. `Applied: agent:7 set_status
 * away (rule long-break): set to away`. The JSON line carries the same as `decision` fields.
 */
export function logChanges(records: readonly DecisionRecord[]): void {
  for (const record of records) {
    const word = OUTCOME_WORDS[record.outcome];
    if (!word) continue;
    const action = actionText(record.action);
    const line = {
      msg: `${word}: ${record.target} ${action} (rule ${record.rule})${record.reason ? `: ${record.reason}` : ''}`,
      decision: {
        target: record.target,
        rule: record.rule,
        action,
        outcome: record.outcome,
        reason: record.reason,
      },
    };
    if (record.outcome === 'failed') logger.warn(line);
    else logger.log(line);
  }
}

/** `set_status away`, `set_capacity {"rule":…}`, `revert <capacity rule>`. */
function actionText(action: unknown): string {
  if (!action || typeof action !== 'object') return String(action);
  const described =
    'type' in action ? describeAction(action as RuleAction) : (action as Record<string, unknown>);
  return Object.entries(described)
    .map(([name, value]) => `${name} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}
