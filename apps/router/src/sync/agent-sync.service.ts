import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ZendeskClient, ZendeskError, type AgentAvailability } from '@app/zendesk';
import { ROUTER_CONFIG } from '../config/router.tokens';
import type { RouterConfig } from '../config/router.config';
import { LiveEvents } from '../api/live.events';
import { RouterMetrics } from '../metrics/router.metrics';
import { PipelineRunner } from '../pipeline/pipeline.runner';
import { AgentDirectory } from './agent-directory';
import { AgentStateCache, type AgentEventEnvelope } from './agent-state.cache';

/** The sweeps, by their names in the scheduler registry. */
const SWEEPS = ['sync.resync', 'sync.statuses', 'sync.capacity-rules', 'sync.tick'] as const;

/** Events kept for one agent while its read is in flight; older ones beyond are dropped. */
const MAX_WAITING_EVENTS = 1_000;

/** An event that arrived while its agent's targeted read was in flight. */
interface WaitingEvent {
  envelope: AgentEventEnvelope;
  receivedAt: number;
}

/**
 * List + watch: a full list of agents at start and on the resync interval (the safety net),
 * statuses on their own schedule, webhook events in between, one targeted read when an event
 * cannot be applied, and a clock tick so time-based rules fire without any change. No two
 * sweeps of one kind overlap: each is scheduled when the previous one has finished.
 *
 * At most one targeted read per agent is waiting or in flight: the events for that agent that
 * arrive meanwhile wait for it, and are then applied in version order or found redundant, so a
 * burst of events past a version gap costs one read, not one each.
 */
@Injectable()
export class AgentSyncService implements OnApplicationShutdown {
  private readonly logger = new Logger('Sync');
  private lastResyncAt: number | null = null;
  private stopped = false;
  /** Agents whose targeted read is waiting or in flight, with the events waiting for it. */
  private readonly reads = new Map<number, WaitingEvent[]>();
  private waitingEvents = 0;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly client: ZendeskClient,
    private readonly cache: AgentStateCache,
    private readonly pipeline: PipelineRunner,
    private readonly metrics: RouterMetrics,
    private readonly live: LiveEvents,
    private readonly scheduler: SchedulerRegistry,
    private readonly directory: AgentDirectory,
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

  /**
   * Applies one verified webhook event; unknown agents and version gaps cost one targeted read,
   * which later events for the same agent wait for.
   */
  async onEvent(envelope: AgentEventEnvelope, receivedAt: number): Promise<void> {
    this.metrics.webhookArrived(envelope.time, receivedAt);
    const waiting = this.reads.get(Number(envelope.detail.agent_id));
    if (waiting) {
      this.wait(waiting, { envelope, receivedAt });
      return;
    }
    const outcome = this.cache.applyEvent(envelope, receivedAt);
    switch (outcome.kind) {
      case 'applied':
        this.publish(outcome.agent);
        await this.pipeline.agentsChanged([outcome.agent.agentId], { kind: 'event', at: receivedAt });
        return;
      case 'needs_read':
        await this.readAgent(outcome.agentId, outcome.reason, { envelope, receivedAt });
        return;
      case 'stale':
      case 'ignored':
        return;
    }
  }

  /** Agents with a targeted read waiting or in flight, and the events waiting for them. */
  pendingReads(): { agents: number; events: number } {
    return { agents: this.reads.size, events: this.waitingEvents };
  }

  /**
   * Reads one agent, then applies the event that asked for it and those that came in meanwhile,
   * in version order. When some still do not follow from what the read returned and the read
   * moved the agent on, it reads again; when the read did not move it on (Zendesk behind its own
   * webhooks, the agent gone, the read failed), they are dropped and the next resync catches up.
   */
  private async readAgent(agentId: number, reason: string, first: WaitingEvent): Promise<void> {
    let waiting: WaitingEvent[] = [first];
    this.reads.set(agentId, waiting);
    this.waitingEvents++;
    this.updateReadGauges();
    let changed = false;
    try {
      for (;;) {
        this.logger.log(`Reading agent ${agentId}: ${reason}`);
        const before = this.cache.get(agentId)?.version ?? null;
        changed = (await this.readOnce(agentId)) || changed;
        const after = this.cache.get(agentId)?.version ?? null;
        const replay = waiting.sort(
          (a, b) => Number(a.envelope.detail.version) - Number(b.envelope.detail.version),
        );
        this.waitingEvents -= replay.length;
        waiting = [];
        this.reads.set(agentId, waiting);
        const rest = this.replay(replay);
        changed = rest.applied || changed;
        if (rest.unapplied.length === 0) break;
        if (after === null || after === before) {
          this.metrics.targetedReadEvent('dropped', rest.unapplied.length);
          this.logger.warn(
            `Agent ${agentId}: ${rest.unapplied.length} events still do not follow from what Zendesk returned; the next resync catches up`,
          );
          break;
        }
        reason = rest.reason;
        waiting.push(...rest.unapplied);
        this.waitingEvents += rest.unapplied.length;
      }
    } finally {
      this.waitingEvents -= waiting.length;
      this.reads.delete(agentId);
      this.updateReadGauges();
    }
    if (changed) await this.pipeline.agentsChanged([agentId], { kind: 'event', at: first.receivedAt });
  }

  /** One GET of the agent; whether it changed the cache. Failures are logged and counted. */
  private async readOnce(agentId: number): Promise<boolean> {
    try {
      const agent = await this.client.getAgentAvailability(agentId, { priority: 'read' });
      const applied = this.cache.applySnapshot(agent, Date.now()).kind === 'applied';
      this.metrics.targetedRead(applied ? 'applied' : 'unchanged');
      if (applied) this.publish(agent);
      return applied;
    } catch (error) {
      // The next resync catches up; log once here, where it is handled.
      this.metrics.targetedRead('failed');
      this.logger.warn(
        `Reading agent ${agentId} failed: ${error instanceof ZendeskError ? error.code : String(error)}`,
      );
      return false;
    }
  }

  /**
   * Applies events (in version order) after a read: the ones it made redundant are dropped as
   * stale. Stops at the first that still needs a read, which is returned with those after it.
   */
  private replay(events: readonly WaitingEvent[]): {
    applied: boolean;
    unapplied: WaitingEvent[];
    reason: string;
  } {
    let applied = false;
    for (let i = 0; i < events.length; i++) {
      const { envelope, receivedAt } = events[i]!;
      const outcome = this.cache.applyEvent(envelope, receivedAt);
      if (outcome.kind === 'applied') {
        applied = true;
        this.publish(outcome.agent);
      } else if (outcome.kind === 'needs_read') {
        return { applied, unapplied: events.slice(i), reason: outcome.reason };
      }
    }
    return { applied, unapplied: [], reason: '' };
  }

  /** Queues an event behind its agent's read; past the limit the oldest goes (a gap reads again). */
  private wait(waiting: WaitingEvent[], event: WaitingEvent): void {
    waiting.push(event);
    this.waitingEvents++;
    this.metrics.targetedReadEvent('waited');
    if (waiting.length > MAX_WAITING_EVENTS) {
      waiting.shift();
      this.waitingEvents--;
      this.metrics.targetedReadEvent('dropped');
    }
    this.updateReadGauges();
  }

  private updateReadGauges(): void {
    this.metrics.targetedReadsWaiting(this.reads.size, this.waitingEvents);
  }

  private publish(agent: AgentAvailability): void {
    this.live.publish({
      type: 'agent',
      agentId: agent.agentId,
      version: agent.version,
      status: agent.status?.name ?? null,
    });
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
      // Names of agents not known yet, from the Users API's own budget; nothing waits for it.
      this.directory.learnNew();
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
