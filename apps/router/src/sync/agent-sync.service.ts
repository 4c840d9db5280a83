import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ZendeskClient, ZendeskError } from '@app/zendesk';
import { ROUTER_CONFIG } from '../config/router.tokens';
import type { RouterConfig } from '../config/router.config';
import { LiveEvents } from '../api/live.events';
import { RouterMetrics } from '../metrics/router.metrics';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { AgentStateCache, type AgentEventEnvelope } from './agent-state.cache';

/** The sweeps, by their names in the scheduler registry. */
const SWEEPS = ['sync.resync', 'sync.statuses', 'sync.capacity-rules', 'sync.tick'] as const;

/**
 * List + watch: a full list of agents at start and on the resync interval (the safety net),
 * statuses on their own schedule, webhook events in between, one targeted read when an event
 * cannot be applied, and a clock tick so time-based rules fire without any change. No two
 * sweeps of one kind overlap: each is scheduled when the previous one has finished.
 */
@Injectable()
export class AgentSyncService implements OnApplicationShutdown {
  private readonly logger = new Logger('Sync');
  private lastResyncAt: number | null = null;
  private stopped = false;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly client: ZendeskClient,
    private readonly cache: AgentStateCache,
    private readonly pipeline: PipelineRunner,
    private readonly metrics: RouterMetrics,
    private readonly live: LiveEvents,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  /**
   * Starts syncing. Called once the webhook endpoint is listening, so the events that the first
   * pass's own writes cause are not lost at start.
   */
  async start(): Promise<void> {
    await this.refreshStatuses();
    await this.refreshCapacityRules();
    await this.resync();
    this.every('sync.resync', this.config.sync.resyncIntervalS, () => this.resync());
    this.every('sync.statuses', this.config.sync.statusRefreshS, () => this.refreshStatuses());
    this.every('sync.capacity-rules', this.config.sync.capacityRefreshS, () => this.refreshCapacityRules());
    this.every('sync.tick', this.config.sync.evaluationIntervalS, () => this.tick());
  }

  /** Evaluates everything now: every agent, then the capacity rules (time-based rules fire on this). */
  async tick(): Promise<void> {
    const at = Date.now();
    await Promise.all([
      this.pipeline.agentsChanged(this.agentIds(), { kind: 'tick', at }),
      this.pipeline.accountChanged({ kind: 'tick', at }),
    ]);
  }

  private async refreshCapacityRules(): Promise<void> {
    try {
      this.pipeline.useCapacityRules(await this.client.listCapacityRules({ priority: 'bulk' }));
    } catch (error) {
      this.logger.warn(
        `Reading the capacity rules failed: ${error instanceof ZendeskError ? error.code : String(error)}`,
      );
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const name of SWEEPS)
      if (this.scheduler.doesExist('timeout', name)) this.scheduler.deleteTimeout(name);
  }

  /** Seconds since the last full list succeeded, or null before the first. */
  lastResyncAgeS(): number | null {
    return this.lastResyncAt === null ? null : (Date.now() - this.lastResyncAt) / 1000;
  }

  /** Applies one verified webhook event; unknown agents and version gaps cost one targeted read. */
  async onEvent(envelope: AgentEventEnvelope, receivedAt: number): Promise<void> {
    this.metrics.webhookArrived(envelope.time, receivedAt);
    const outcome = this.cache.applyEvent(envelope, receivedAt);
    switch (outcome.kind) {
      case 'applied':
        this.live.publish({
          type: 'agent',
          agentId: outcome.agent.agentId,
          version: outcome.agent.version,
          status: outcome.agent.status?.name ?? null,
        });
        await this.pipeline.agentsChanged([outcome.agent.agentId], { kind: 'event', at: receivedAt });
        return;
      case 'needs_read':
        this.logger.log(`Reading agent ${outcome.agentId}: ${outcome.reason}`);
        await this.readAgent(outcome.agentId, receivedAt);
        return;
      case 'stale':
      case 'ignored':
        return;
    }
  }

  private async readAgent(agentId: number, trigger: number): Promise<void> {
    try {
      const agent = await this.client.getAgentAvailability(agentId, { priority: 'read' });
      if (this.cache.applySnapshot(agent, Date.now()).kind === 'applied') {
        await this.pipeline.agentsChanged([agentId], { kind: 'event', at: trigger });
      }
    } catch (error) {
      // The next resync catches up; log once here, where it is handled.
      this.logger.warn(
        `Reading agent ${agentId} failed: ${error instanceof ZendeskError ? error.code : String(error)}`,
      );
    }
  }

  private async resync(): Promise<void> {
    const started = Date.now();
    const seen = new Set<number>();
    const changed: number[] = [];
    try {
      for await (const page of this.client.listAgentAvailabilities({}, { priority: 'bulk' })) {
        for (const agent of page) {
          seen.add(agent.agentId);
          if (this.cache.applySnapshot(agent, started).kind === 'applied') changed.push(agent.agentId);
        }
      }
      this.cache.retainOnly(seen);
      this.lastResyncAt = Date.now();
      await this.pipeline.settleOpenWrites(this.lastResyncAt);
    } catch (error) {
      this.logger.warn(
        `Resync failed: ${error instanceof ZendeskError ? `${error.code}: ${error.message}` : String(error)}`,
      );
    }
    await Promise.all([
      this.pipeline.agentsChanged(changed, { kind: 'resync', at: started }),
      this.pipeline.accountChanged({ kind: 'resync', at: started }),
    ]);
  }

  private async refreshStatuses(): Promise<void> {
    try {
      this.pipeline.useStatuses(await this.client.listStatuses({ priority: 'bulk' }));
    } catch (error) {
      this.logger.warn(
        `Reading the status list failed: ${error instanceof ZendeskError ? error.code : String(error)}`,
      );
    }
  }

  private agentIds(): number[] {
    return [...this.cache.all()].map((a) => a.agentId);
  }

  /**
   * Runs `task` every `seconds` as a named timeout of the scheduler registry. The next run is
   * scheduled when the previous one has finished, so a slow sweep never overlaps itself.
   */
  private every(name: (typeof SWEEPS)[number], seconds: number, task: () => Promise<unknown>): void {
    const schedule = () => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.scheduler.deleteTimeout(name);
        void task().finally(schedule);
      }, seconds * 1000);
      this.scheduler.addTimeout(name, timer);
    };
    schedule();
  }
}
