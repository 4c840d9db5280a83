import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  BehaviorSubject,
  Subject,
  filter,
  firstValueFrom,
  lastValueFrom,
  share,
  type Observable,
} from 'rxjs';
import { ZendeskClient, type CapacityRule, type UnifiedStatus } from '@app/zendesk';
import { SafetyGate, type RuleSet } from '@app/rules';
import { AuditHealth } from '../audit/audit.health';
import { AuditStore, type DecisionRecord } from '../audit/audit.store';
import { ROUTER_CONFIG } from '../config/router.tokens';
import type { RouterConfig } from '../config/router.config';
import { AgentStateCache } from '../sync/agent-state.cache';
import { EvaluationPass, type Trigger } from './evaluation.pass';
import { LiveEvents } from '../api/live.events';
import { logChanges } from '../logging/change.log';
import { RouterMetrics } from '../metrics/router.metrics';
import { PauseSwitch } from '../safety/pause.switch';
import { coalesceWhileBusy, type BatchDone } from './coalesce-while-busy';
import { WriteJournal } from '../apply/write.journal';

/** Something to evaluate: one agent, or the capacity rules (the account as a whole). */
interface Change {
  agentId: number | null;
  trigger: Trigger;
}

/**
 * The evaluation pipeline. Changes (webhook events, resyncs, the clock) flow through one RxJS
 * stream into evaluation passes, one pass at a time. While a pass runs, each agent that changes
 * waits once in the next batch, whatever the number of its events (the pass reads the cache when
 * it gets there, so the latest state wins); the capacity rules wait once too. A pass isolates its
 * agents (one that fails is logged, the others go on) and a failed pass never ends the stream.
 */
@Injectable()
export class PipelineRunner implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Pipeline');
  private readonly pass: EvaluationPass;
  private statuses: readonly UnifiedStatus[] = [];
  private capacityRules: readonly CapacityRule[] = [];
  /** Whether the capacity rules were read from Zendesk at least once. */
  private capacityRulesRead = false;
  /** Whether a full sync has shown what Zendesk took, so open writes can be settled. */
  private synced = false;
  private readonly changes = new Subject<Change>();
  private readonly idle = new BehaviorSubject(true);
  private readonly passes: Observable<BatchDone<void>>;
  private readonly journal: WriteJournal;
  private stopped = false;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly cache: AgentStateCache,
    private readonly client: ZendeskClient,
    private readonly audit: AuditStore,
    private readonly pause: PauseSwitch,
    private readonly metrics: RouterMetrics,
    private readonly live: LiveEvents,
    private readonly auditHealth: AuditHealth,
  ) {
    this.journal = new WriteJournal(audit, auditHealth);
    // Writes held back while the store could not note them are decided again as soon as it can.
    auditHealth.onRecovered(() => void this.catchUp());
    this.pass = new EvaluationPass({
      cache,
      client,
      audit,
      journal: this.journal,
      gate: new SafetyGate(config.safety, () => pause.isPaused()),
      enforce: config.safety.enforce,
      statuses: () => this.statuses,
      capacityRules: () => this.capacityRules,
      now: Date.now,
      onCapacityRuleChanged: (rule) => {
        this.capacityRules = [...this.capacityRules.filter((r) => r.id !== rule.id), rule];
      },
      onRecorded: (records) => this.recorded(records),
    });
    this.passes = this.changes.pipe(
      coalesceWhileBusy(
        (change) => change.agentId ?? 'account',
        (batch) => this.runBatch(batch),
      ),
      share(),
    );
    this.passes.subscribe(({ idle }) => this.idle.next(idle));
  }

  /** Reads what a previous run left (the journal, the planner's timers, the baselines). */
  async onModuleInit(): Promise<void> {
    await this.journal.load();
    await this.pass.load();
  }

  /** Evaluation, for explanations; it answers with nothing until rules are loaded. */
  evaluation(): EvaluationPass {
    return this.pass;
  }

  /** Uses a newly loaded rule set from the next pass on; nothing but the rules changes. */
  useRules(ruleSet: RuleSet): void {
    this.pass.useRules(ruleSet);
  }

  /** The capacity rules as last read from Zendesk (or as changed by the router since). */
  currentCapacityRules(): readonly CapacityRule[] {
    return this.capacityRules;
  }

  /** The unified statuses as last read from Zendesk. */
  currentStatuses(): readonly UnifiedStatus[] {
    return this.statuses;
  }

  /**
   * Settles the status writes a previous process left open (sent, not recorded), now that a full
   * sync shows what Zendesk took. Call after a full sync, before its passes.
   */
  async settleOpenWrites(now: number): Promise<void> {
    this.synced = true;
    if (this.journal.unsettled() === 0) return;
    const records = await this.journal.settle(
      this.cache,
      this.capacityRulesRead ? this.capacityRules : null,
      now,
    );
    // The store cannot write: they stay open, settled once it can.
    if (!records) return;
    if (records.length > 0)
      this.logger.warn(`Settled ${records.length} writes the previous run left unrecorded`);
    this.recorded(records);
  }

  private recorded(records: readonly DecisionRecord[]): void {
    this.metrics.recorded(records);
    logChanges(records);
    for (const decision of records) this.live.publish({ type: 'decision', decision });
  }

  useStatuses(statuses: readonly UnifiedStatus[]): void {
    this.statuses = statuses;
  }

  useCapacityRules(capacityRules: readonly CapacityRule[]): void {
    this.capacityRules = capacityRules;
    this.capacityRulesRead = true;
  }

  /** Queues an evaluation of the capacity rules; resolves when the pipeline is idle. */
  accountChanged(trigger: Trigger): Promise<void> {
    return this.push([{ agentId: null, trigger }]);
  }

  /** Queues agents for evaluation; resolves when the pipeline is idle. */
  agentsChanged(agentIds: Iterable<number>, trigger: Trigger): Promise<void> {
    const changes: Change[] = [];
    for (const agentId of agentIds) changes.push({ agentId, trigger });
    return this.push(changes);
  }

  /** Stops taking changes; the pass in progress finishes the agent it is on (its write is recorded). */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.pass.stop();
    this.changes.complete();
    await lastValueFrom(this.passes, { defaultValue: undefined });
  }

  private push(changes: readonly Change[]): Promise<void> {
    if (this.stopped || changes.length === 0) return Promise.resolve();
    this.idle.next(false);
    for (const change of changes) this.changes.next(change);
    return firstValueFrom(this.idle.pipe(filter(Boolean))).then(() => undefined);
  }

  /**
   * After the audit store failed and writes again: settles what a previous run left open (when
   * a full sync allows it) and evaluates everything, which commits the rows that waited and
   * sends the writes that were held back.
   */
  private async catchUp(): Promise<void> {
    if (this.stopped) return;
    if (this.synced) await this.settleOpenWrites(Date.now());
    const at = Date.now();
    await Promise.all([
      this.agentsChanged(
        [...this.cache.all()].map((agent) => agent.agentId),
        { kind: 'tick', at },
      ),
      this.accountChanged({ kind: 'tick', at }),
    ]);
  }

  /** One batch: the capacity rules first when they are in it, then its agents in one pass. */
  private async runBatch(batch: readonly Change[]): Promise<void> {
    const pass = this.pass;
    if (this.stopped) return;
    // A store that failed is tried at each pass too, not only on its timer.
    if (!this.auditHealth.writable) await this.auditHealth.probe();
    const agents: Array<[number, Trigger]> = [];
    for (const change of batch) {
      if (change.agentId !== null) {
        agents.push([change.agentId, change.trigger]);
        continue;
      }
      try {
        await pass.runAccount(change.trigger);
      } catch (error) {
        this.logger.error(`Evaluating the capacity rules failed: ${messageOf(error)}`);
      }
    }
    if (agents.length === 0) return;
    const started = performance.now();
    try {
      await pass.run(agents);
      this.metrics.evaluated((performance.now() - started) / 1000);
    } catch (error) {
      this.logger.error(`An evaluation pass failed: ${messageOf(error)}`);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
