import { watch, type FSWatcher } from 'node:fs';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Subject, type Observable } from 'rxjs';
import { ruleDirectorySignature } from './rule-set.files';
import { RuleSetError, type RuleSetProblem } from './rule-set.errors';
import { DEFAULT_RULE_LIMITS, type RuleLimits } from './rule-set.limits';
import type { RuleSet } from './rule-set.model';
import type { RuleSetJob, RuleSetOutcome } from './rule-set.worker';

export { readRuleFiles } from './rule-set.files';

/** What happened when the rule files changed. */
export type RuleSetChange =
  | { type: 'loaded'; ruleSet: RuleSet; previousRevision: string | null }
  | { type: 'rejected'; problems: readonly RuleSetProblem[]; keptRevision: string | null }
  /** The files are back to the live revision: the change rejected before is gone. */
  | { type: 'restored'; revision: string };

/** How a `RuleSetLoader` loads and watches. */
export interface RuleSetLoaderOptions {
  /** How long a burst of file events must settle before a reload. */
  readonly debounceMs?: number;
  /** How often the directory is compared with what was loaded, for changes a watch misses; 0: never. */
  readonly pollMs?: number;
  readonly limits?: RuleLimits;
  /** Whether a set without rules loads (otherwise it is a problem naming the directory). */
  readonly allowEmpty?: boolean;
  /** Added to the problem of an empty set: how to allow one where the loader is used. */
  readonly emptyAdvice?: string;
  /** A load that takes longer is stopped and its change rejected. */
  readonly timeoutMs?: number;
  /** The heap a load may use; one that needs more is stopped and its change rejected. */
  readonly maxMemoryMb?: number;
}

const DEFAULTS = {
  debounceMs: 200,
  pollMs: 10_000,
  limits: DEFAULT_RULE_LIMITS,
  allowEmpty: false,
  emptyAdvice: '',
  timeoutMs: 30_000,
  maxMemoryMb: 512,
} satisfies Required<RuleSetLoaderOptions>;

/**
 * Loads the rule set of a directory and keeps it current: on any change the whole set is read
 * and checked again; a valid set replaces the live one, an invalid one is rejected with all its
 * problems and the last good set stays live (as Prometheus does on reload).
 *
 * Reading, parsing and checking run in a worker thread, one load at a time, bounded in time,
 * memory and size (`RuleLimits`), so a huge or hostile file never blocks the event loop: the
 * caller receives the checked set. A change that arrives while a load runs supersedes it: that
 * load's result is dropped and the directory is loaded once more.
 */
export class RuleSetLoader {
  private readonly options: Required<RuleSetLoaderOptions>;
  private live: RuleSet | null = null;
  private problems: readonly RuleSetProblem[] = [];
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private signature: string | null = null;
  private running: Promise<void> | null = null;
  private superseded = false;
  private closed = false;
  private readonly changes = new Subject<RuleSetChange>();

  /** Every reload, accepted or rejected. */
  readonly changes$: Observable<RuleSetChange> = this.changes.asObservable();

  constructor(
    readonly directory: string,
    options: RuleSetLoaderOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Reads and checks the directory; throws `RuleSetError` when it is invalid. */
  async load(): Promise<RuleSet> {
    const outcome = await this.loadOnce();
    if (!outcome.ok) throw new RuleSetError(outcome.problems);
    this.live = outcome.ruleSet;
    this.problems = [];
    return outcome.ruleSet;
  }

  /** The live rule set, if one has loaded. */
  current(): RuleSet | null {
    return this.live;
  }

  /** The problems of the last rejected reload (empty after a good one, or once it is undone). */
  lastProblems(): readonly RuleSetProblem[] {
    return this.problems;
  }

  /**
   * Starts reloading on changes to the directory: a file watch, and a comparison of the files'
   * sizes and times every `pollMs` for what a watch misses (a replaced directory, some network
   * file systems). A ConfigMap's swap of `..data` is a rename in the directory: the watch sees it.
   */
  watch(): void {
    if (this.watcher || this.closed) return;
    this.watcher = watch(this.directory, () => this.schedule());
    this.watcher.on('error', () => this.schedule());
    if (this.options.pollMs > 0) {
      void this.readSignature().then((signature) => (this.signature ??= signature));
      this.poll = setInterval(() => void this.checkSignature(), this.options.pollMs);
      this.poll.unref();
    }
  }

  /**
   * Reloads now (also what a change triggers after the debounce). Resolves once the directory as
   * it is now has been loaded, or rejected.
   */
  reload(): Promise<void> {
    if (this.running) {
      this.superseded = true;
      return this.running;
    }
    this.running = this.reloadUntilCurrent().finally(() => (this.running = null));
    return this.running;
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearInterval(this.poll);
    this.changes.complete();
  }

  private schedule(): void {
    if (this.closed) return;
    // Editors write a file in several steps; wait for the burst to settle.
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, this.options.debounceMs);
  }

  private async checkSignature(): Promise<void> {
    const signature = await this.readSignature();
    if (this.signature !== null && signature !== this.signature) this.schedule();
    this.signature = signature;
  }

  private readSignature(): Promise<string> {
    return ruleDirectorySignature(this.directory).catch(() => 'unreadable');
  }

  private async reloadUntilCurrent(): Promise<void> {
    let outcome: RuleSetOutcome;
    do {
      this.superseded = false;
      outcome = await this.loadOnce();
    } while (this.superseded && !this.closed);
    if (this.closed) return;
    const previous = this.live?.revision ?? null;
    if (!outcome.ok) {
      this.problems = outcome.problems;
      this.changes.next({ type: 'rejected', problems: outcome.problems, keptRevision: previous });
      return;
    }
    const set = outcome.ruleSet;
    if (set.revision === previous) {
      if (this.problems.length === 0) return;
      this.problems = [];
      this.changes.next({ type: 'restored', revision: set.revision });
      return;
    }
    this.live = set;
    this.problems = [];
    this.changes.next({ type: 'loaded', ruleSet: set, previousRevision: previous });
  }

  /** One load in a worker thread of its own: the checked set, or every problem. */
  private async loadOnce(): Promise<RuleSetOutcome> {
    const outcome = await runInWorker(
      { directory: this.directory, limits: this.options.limits },
      this.options.timeoutMs,
      this.options.maxMemoryMb,
    );
    if (!outcome.ok || outcome.ruleSet.rules.length > 0 || this.options.allowEmpty) return outcome;
    const files = outcome.ruleSet.files.length;
    const advice = this.options.emptyAdvice ? `; ${this.options.emptyAdvice}` : '';
    return {
      ok: false,
      problems: [
        {
          file: this.directory,
          line: 1,
          column: 1,
          message: `no rules: the directory has ${files} rule file${files === 1 ? '' : 's'} (*.yaml, *.yml, *.json) and no rule in them${advice}`,
        },
      ],
    };
  }
}

/**
 * Runs `rule-set.worker` on `job`, stopped when it takes longer than `timeoutMs` or needs more
 * than `maxMemoryMb` of heap. Built, the worker is the compiled file beside this one; run from
 * the TypeScript sources (the tests), it loads them through the repository's swc require hook.
 */
function runInWorker(job: RuleSetJob, timeoutMs: number, maxMemoryMb: number): Promise<RuleSetOutcome> {
  const problem = (message: string): RuleSetOutcome => ({
    ok: false,
    problems: [{ file: job.directory, line: 1, column: 1, message }],
  });
  const fromSources = extname(__filename) === '.ts';
  const entry = join(__dirname, `rule-set.worker${extname(__filename)}`);
  const hook = join(__dirname, '..', '..', '..', 'test', 'support', 'ts-register.cjs');
  const worker = new Worker(
    fromSources ? `require(${JSON.stringify(hook)}); require(${JSON.stringify(entry)});` : entry,
    {
      eval: fromSources,
      execArgv: [],
      workerData: { ruleSetJob: job },
      resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb },
    },
  );
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: RuleSetOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => settle(problem(`loading the rules took longer than ${timeoutMs / 1000} s and was stopped`)),
      timeoutMs,
    );
    worker.once('message', (outcome: RuleSetOutcome) => settle(outcome));
    worker.once('error', (error: Error & { code?: string }) =>
      settle(
        problem(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `loading the rules needed more than the ${maxMemoryMb} MB of memory allowed and was stopped`
            : `the rules could not be loaded: ${error.message}`,
        ),
      ),
    );
    worker.once('exit', (code) => settle(problem(`the rule loader stopped (exit code ${code})`)));
  });
}
