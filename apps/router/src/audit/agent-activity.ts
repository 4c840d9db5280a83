import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { LiveEvents } from '../api/live.events';
import { AuditStore, type DecisionOutcome, type DecisionRecord } from './audit.store';

/** One decision about an agent, as the agents list shows it. */
export interface AgentDecisionRef {
  rule: string;
  outcome: DecisionOutcome;
  /** Epoch ms. */
  time: number;
  reason: string | null;
  /** Suppressed decisions: when the hold ends (epoch ms), if known. */
  until: number | null;
}

/** What the audit log says about one agent, for the agents list. */
export interface AgentActivityView {
  /** The newest decision whose rule fired for the agent (applied or shadow). */
  lastAction: AgentDecisionRef | null;
  /** The newest change the router made to the agent (applied). */
  lastChange: AgentDecisionRef | null;
  /** A hold in force: the newest decision was suppressed, and its hold has not ended. */
  hold: AgentDecisionRef | null;
}

const FIRED: readonly DecisionOutcome[] = ['applied', 'shadow'];

/**
 * Each agent's newest fired, applied and suppressed decision, in memory: read from the audit log
 * once at start (one indexed query per kind, whatever the log's length), then kept current from
 * the decisions the pipeline records. The agents list reads it without touching the store.
 */
@Injectable()
export class AgentActivity implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AgentActivity');
  private readonly fired = new Map<number, AgentDecisionRef>();
  private readonly applied = new Map<number, AgentDecisionRef>();
  private readonly suppressed = new Map<number, AgentDecisionRef>();
  private subscription: Subscription | null = null;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly audit: AuditStore,
    private readonly live: LiveEvents,
  ) {}

  onApplicationBootstrap(): void {
    // Subscribed before the log is read: a decision recorded meanwhile is not missed.
    this.subscription = this.live.events$.subscribe((event) => {
      if (event.type === 'decision') this.note(event.decision);
    });
    void this.ready();
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /**
   * Resolves once the log has been read. A store that cannot be read is logged, and read again
   * at the next call; meanwhile the decisions recorded since start are what is known.
   */
  ready(): Promise<void> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = null;
      this.logger.warn(`Reading the last decision of each agent failed: ${String(error)}`);
    });
    return this.loading;
  }

  /** What the log says about one agent now. */
  of(agentId: number, now: number): AgentActivityView {
    const lastAction = this.fired.get(agentId) ?? null;
    const lastChange = this.applied.get(agentId) ?? null;
    const held = this.suppressed.get(agentId) ?? null;
    const hold =
      held && held.until !== null && held.until > now && held.time >= (lastAction?.time ?? 0) ? held : null;
    return { lastAction, lastChange, hold };
  }

  private async load(): Promise<void> {
    const [fired, applied, suppressed] = await Promise.all([
      this.audit.latestPerAgent(FIRED),
      this.audit.latestPerAgent(['applied']),
      this.audit.latestPerAgent(['suppressed']),
    ]);
    for (const d of [...fired, ...applied, ...suppressed]) this.note(d);
  }

  /** Keeps a decision where it is newer than what is held for its agent. */
  private note(decision: DecisionRecord): void {
    if (decision.agentId === null) return;
    const ref: AgentDecisionRef = {
      rule: decision.rule,
      outcome: decision.outcome,
      time: decision.time,
      reason: decision.reason,
      until: decision.until ?? null,
    };
    const keep = (map: Map<number, AgentDecisionRef>) => {
      const current = map.get(decision.agentId!);
      if (!current || current.time <= ref.time) map.set(decision.agentId!, ref);
    };
    if (FIRED.includes(decision.outcome)) keep(this.fired);
    if (decision.outcome === 'applied') keep(this.applied);
    if (decision.outcome === 'suppressed') keep(this.suppressed);
  }
}
