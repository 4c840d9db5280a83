import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  checkAgainstAccount,
  formatProblem,
  RuleSetLoader,
  type RuleSet,
  type RuleSetProblem,
} from '@app/rules';
import type { Subscription } from 'rxjs';
import { PipelineRunner } from '../pipeline/pipeline.runner';

/** A rejected change logs this many of its problems; `/api/rules` has them all. */
const MAX_LOGGED_PROBLEMS = 20;

function describe(set: RuleSet): string {
  return `revision ${set.revision}, ${set.rules.length} rule${set.rules.length === 1 ? '' : 's'} in ${set.files.length} file${set.files.length === 1 ? '' : 's'}`;
}

/**
 * Loads the rule files at start (an invalid set stops the start, with every problem listed, and
 * so does one without rules unless `RULES_ALLOW_EMPTY=on`) and keeps them live: a valid change is
 * used from the next pass on; an invalid one is logged and rejected, and the last good set keeps
 * working. Loading runs off the event loop (`RuleSetLoader`).
 */
@Injectable()
export class RuleSetWatcher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Rules');
  private subscription: Subscription | null = null;
  /** When the live set was loaded (epoch ms). */
  private loadedAt: number | null = null;
  /** When the change whose problems `lastProblems` returns was rejected (epoch ms). */
  private rejectedAt: number | null = null;

  constructor(
    private readonly loader: RuleSetLoader,
    private readonly pipeline: PipelineRunner,
  ) {}

  async onModuleInit(): Promise<void> {
    const set = await this.loader.load();
    this.pipeline.useRules(set);
    this.loadedAt = Date.now();
    this.logger.log(`Rules loaded from ${this.loader.directory}: ${describe(set)}`);
    this.subscription = this.loader.changes$.subscribe((change) => {
      switch (change.type) {
        case 'loaded':
          this.pipeline.useRules(change.ruleSet);
          this.loadedAt = Date.now();
          this.rejectedAt = null;
          this.logger.log(`Rules reloaded: ${describe(change.ruleSet)} (was ${change.previousRevision})`);
          return;
        case 'rejected': {
          this.rejectedAt = Date.now();
          const shown = change.problems.slice(0, MAX_LOGGED_PROBLEMS).map(formatProblem);
          const more = change.problems.length - shown.length;
          this.logger.warn(
            `Rejected a change to the rules (${change.problems.length} problem${change.problems.length === 1 ? '' : 's'}); revision ${change.keptRevision} stays live:\n${shown.join('\n')}${more > 0 ? `\n… and ${more} more (GET /api/rules)` : ''}`,
          );
          return;
        }
        case 'restored':
          this.rejectedAt = null;
          this.logger.log(
            `The rejected change to the rules is gone: the files are back at revision ${change.revision}`,
          );
      }
    });
    this.loader.watch();
  }

  current(): RuleSet | null {
    return this.loader.current();
  }

  /**
   * What the live rules name that the account does not have (statuses, capacity rules), as the
   * router last read the account; empty until both lists have been read.
   */
  accountProblems(): readonly RuleSetProblem[] {
    const set = this.loader.current();
    const statuses = this.pipeline.currentStatuses();
    const capacityRules = this.pipeline.currentCapacityRules();
    if (!set || statuses.length === 0) return [];
    return checkAgainstAccount(set, {
      statuses: statuses.map((s) => s.name),
      capacityRules: capacityRules.map((r) => r.name),
    });
  }

  lastProblems(): readonly RuleSetProblem[] {
    return this.loader.lastProblems();
  }

  /** When the live rule set was loaded (epoch ms), null before the first load. */
  loadTime(): number | null {
    return this.loadedAt;
  }

  /** When the change `lastProblems` describes was rejected (epoch ms); null when none is outstanding. */
  rejectionTime(): number | null {
    return this.rejectedAt;
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.loader.close();
  }
}
