import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ZendeskClient, type CapacityRule, type UnifiedStatus } from '@app/zendesk';
import type { RuleSet } from '@app/rules';
import { AuditStore } from '../audit/audit.store';
import { ROUTER_CONFIG } from '../config/router.tokens';
import type { RouterConfig } from '../config/router.config';
import { AgentStateCache } from '../sync/agent-state.cache';
import { EvaluationPass, type Trigger } from './evaluation.pass';
import { LiveEvents } from '../api/live.events';
import { RouterMetrics } from '../metrics/router.metrics';
import { PauseSwitch } from './pause.switch';

/**
 * Runs evaluation passes one at a time. Agents that change while a pass runs are queued once
 * each (the latest state wins: the pass reads the cache when it gets to them), so a burst of
 * events for one agent costs one evaluation, and one failing agent never stops the others.
 */
@Injectable()
export class PipelineRunner implements OnApplicationShutdown {
  private readonly logger = new Logger('Pipeline');
  private pass: EvaluationPass | null = null;
  private statuses: readonly UnifiedStatus[] = [];
  private readonly dirty = new Map<number, Trigger>();
  private capacityRules: readonly CapacityRule[] = [];
  private accountTrigger: Trigger | null = null;
  private draining: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly cache: AgentStateCache,
    private readonly client: ZendeskClient,
    private readonly audit: AuditStore,
    private readonly pause: PauseSwitch,
    private readonly metrics: RouterMetrics,
    private readonly live: LiveEvents,
  ) {}

  /** The pass of the live rule set (for explanations), if rules are loaded. */
  current(): EvaluationPass | null {
    return this.pass;
  }

  /** Uses a newly loaded rule set from the next pass on; `for` timers and cooldowns carry over. */
  useRules(ruleSet: RuleSet): void {
    this.pass = new EvaluationPass(ruleSet, () => this.statuses, {
      cache: this.cache,
      client: this.client,
      audit: this.audit,
      enforce: this.config.safety.enforce,
      safety: this.config.safety,
      paused: () => this.pause.isPaused(),
      now: Date.now,
      onCapacityRuleChanged: (rule) => {
        this.capacityRules = [...this.capacityRules.filter((r) => r.id !== rule.id), rule];
      },
      onRecorded: (records) => {
        this.metrics.recorded(records);
        for (const decision of records) this.live.publish({ type: 'decision', decision });
      },
    });
  }

  useStatuses(statuses: readonly UnifiedStatus[]): void {
    this.statuses = statuses;
  }

  useCapacityRules(capacityRules: readonly CapacityRule[]): void {
    this.capacityRules = capacityRules;
  }

  /** Queues an evaluation of the capacity rules (the account as a whole). */
  accountChanged(trigger: Trigger): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.accountTrigger ??= trigger;
    return this.kick();
  }

  /** Queues agents for evaluation; resolves when the queue has drained. */
  agentsChanged(agentIds: Iterable<number>, trigger: Trigger): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const id of agentIds) if (!this.dirty.has(id)) this.dirty.set(id, trigger);
    return this.kick();
  }

  private kick(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /** Waits for the passes in progress (graceful shutdown: in-flight writes finish and are recorded). */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.dirty.clear();
    await this.draining;
  }

  private async drain(): Promise<void> {
    while ((this.dirty.size > 0 || this.accountTrigger) && !this.stopped) {
      const batch = [...this.dirty];
      this.dirty.clear();
      const accountTrigger = this.accountTrigger;
      this.accountTrigger = null;
      if (!this.pass) continue;
      if (accountTrigger) {
        try {
          await this.pass.runAccount(this.capacityRules, accountTrigger);
        } catch (error) {
          this.logger.error(
            `Evaluating the capacity rules failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      // One pass per trigger time keeps latency honest for each group of agents.
      for (const [agentId, trigger] of batch) {
        const started = performance.now();
        try {
          await this.pass.run([agentId], trigger);
          this.metrics.evaluated((performance.now() - started) / 1000);
        } catch (error) {
          this.logger.error(
            `Evaluating agent ${agentId} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
  }
}
