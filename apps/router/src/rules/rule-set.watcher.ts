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

/**
 * Loads the rule files at start (an invalid set stops the start, with every problem listed) and
 * keeps them live: a valid change is used from the next pass on; an invalid one is logged and
 * rejected, and the last good set keeps working.
 */
@Injectable()
export class RuleSetWatcher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Rules');
  private subscription: Subscription | null = null;

  constructor(
    private readonly loader: RuleSetLoader,
    private readonly pipeline: PipelineRunner,
  ) {}

  async onModuleInit(): Promise<void> {
    const set = await this.loader.load();
    this.pipeline.useRules(set);
    this.logger.log(
      `Loaded ${set.rules.length} rules from ${this.loader.directory} (revision ${set.revision})`,
    );
    this.subscription = this.loader.changes$.subscribe((change) => {
      if (change.type === 'loaded') {
        this.pipeline.useRules(change.ruleSet);
        this.logger.log(
          `Reloaded ${change.ruleSet.rules.length} rules (revision ${change.ruleSet.revision})`,
        );
      } else {
        this.logger.warn(
          `Rejected a change to the rules; revision ${change.keptRevision} stays live:\n${change.problems.map(formatProblem).join('\n')}`,
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

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.loader.close();
  }
}
