import { parentPort, workerData } from 'node:worker_threads';
import { RuleSetError, type RuleSetProblem } from './rule-set.errors';
import { readRuleFiles } from './rule-set.files';
import type { RuleLimits } from './rule-set.limits';
import type { RuleSet } from './rule-set.model';
import { parseRuleSet } from './rule-set.parser';

/** What the loader asks of a worker. */
export interface RuleSetJob {
  directory: string;
  limits: RuleLimits;
}

/** What a worker answers: the checked rule set, or every problem found. */
export type RuleSetOutcome =
  { ok: true; ruleSet: RuleSet } | { ok: false; problems: readonly RuleSetProblem[] };

/** Reads and checks a rule directory; what `RuleSetLoader` runs in a worker thread. */
export async function loadRuleDirectory(job: RuleSetJob): Promise<RuleSetOutcome> {
  try {
    return { ok: true, ruleSet: parseRuleSet(await readRuleFiles(job.directory, job.limits), job.limits) };
  } catch (error) {
    if (error instanceof RuleSetError) return { ok: false, problems: error.problems };
    const code = (error as NodeJS.ErrnoException).code;
    const message = code
      ? `cannot read the rules directory (${code})`
      : `the rules could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    return { ok: false, problems: [{ file: job.directory, line: 1, column: 1, message }] };
  }
}

const job = (workerData as { ruleSetJob?: RuleSetJob } | null)?.ruleSetJob;
if (parentPort && job) {
  const port = parentPort;
  void loadRuleDirectory(job).then((outcome) => port.postMessage(outcome));
}
