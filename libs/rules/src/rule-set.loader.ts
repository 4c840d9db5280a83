import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { RuleSetError, type RuleSetProblem } from './rule-set.errors';
import type { RuleSet } from './rule-set.model';
import { parseRuleSet, type RuleFile } from './rule-set.parser';

/** What happened when the rule files changed. */
export type RuleSetChange =
  | { type: 'loaded'; ruleSet: RuleSet; previousRevision: string | null }
  | { type: 'rejected'; problems: readonly RuleSetProblem[]; keptRevision: string | null };

const RULE_FILE = /\.(ya?ml|json)$/i;
/** Files in the rules directory that are not rules. */
const NOT_RULES = new Set(['schema.json']);

/** The rule files of a directory (not its subdirectories, where scenario tests live), by name. */
export async function readRuleFiles(directory: string): Promise<RuleFile[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && RULE_FILE.test(e.name) && !NOT_RULES.has(e.name))
    .map((e) => e.name);
  return Promise.all(
    names.sort().map(async (name) => ({
      path: join(directory, name),
      text: await readFile(join(directory, name), 'utf8'),
    })),
  );
}

/**
 * Loads the rule set of a directory and keeps it current: on any change the whole set is read
 * and checked again; a valid set replaces the live one, an invalid one is rejected with all its
 * problems and the last good set stays live (as Prometheus does on reload).
 */
export class RuleSetLoader {
  private live: RuleSet | null = null;
  private problems: readonly RuleSetProblem[] = [];
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<void> = Promise.resolve();
  private readonly changes = new Subject<RuleSetChange>();

  /** Every reload, accepted or rejected. */
  readonly changes$: Observable<RuleSetChange> = this.changes.asObservable();

  constructor(
    readonly directory: string,
    private readonly debounceMs = 200,
  ) {}

  /** Reads and checks the directory; throws `RuleSetError` when it is invalid. */
  async load(): Promise<RuleSet> {
    const set = parseRuleSet(await this.read());
    this.live = set;
    this.problems = [];
    return set;
  }

  /** The live rule set, if one has loaded. */
  current(): RuleSet | null {
    return this.live;
  }

  /** The problems of the last rejected reload (empty after a good one). */
  lastProblems(): readonly RuleSetProblem[] {
    return this.problems;
  }

  /** Starts reloading on changes to the directory. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = watch(this.directory, () => this.schedule());
    this.watcher.on('error', () => this.schedule());
  }

  /** Reloads now (also what a change triggers after the debounce). */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.changes.complete();
  }

  private schedule(): void {
    // Editors write a file in several steps; wait for the burst to settle.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reload();
    }, this.debounceMs);
  }

  private async reloadNow(): Promise<void> {
    const previous = this.live?.revision ?? null;
    try {
      const set = parseRuleSet(await this.read());
      if (set.revision === previous) return;
      this.live = set;
      this.problems = [];
      this.changes.next({ type: 'loaded', ruleSet: set, previousRevision: previous });
    } catch (error) {
      if (!(error instanceof RuleSetError)) throw error;
      this.problems = error.problems;
      this.changes.next({ type: 'rejected', problems: error.problems, keptRevision: previous });
    }
  }

  private async read(): Promise<RuleFile[]> {
    try {
      return await readRuleFiles(this.directory);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new RuleSetError([
        { file: this.directory, line: 1, column: 1, message: `cannot read the rules directory (${reason})` },
      ]);
    }
  }
}
