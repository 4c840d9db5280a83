import { Injectable } from '@nestjs/common';
import { SimClock, type ClockTimer } from '../clock/sim.clock';
import { AccountStore, StoreError } from './account.store';
import { Prng, ulid } from './prng';

/** Zendesk keeps job data for one day after creation (section 10.6). */
const JOB_TTL_MS = 86_400_000;
/** A job nobody polls still runs, this long after it was created (simulator time). */
const RUN_UNPOLLED_AFTER_MS = 1_000;

/** One agent's outcome in a bulk status update (section 10.6 result item). */
export interface StatusJobResult {
  readonly agentId: number;
  readonly status: 'success' | 'failed';
  readonly error: string | null;
  readonly completedAt: number;
}

/**
 * A bulk status update job. Zendesk also reports `working` while a job runs; here a job runs in
 * one synchronous step, so no caller can ever observe that state and it is left out.
 */
export interface StatusJob {
  readonly id: string;
  readonly agentIds: readonly number[];
  readonly statusId: number;
  readonly createdAt: number;
  status: 'queued' | 'completed';
  results: StatusJobResult[];
  completedAt: number | null;
  timer: ClockTimer | null;
}

/** The seed of job ids, restored on every reset so that a replayed test sees the same ids. */
const JOB_ID_SEED = 0x10b5;

/**
 * Bulk status update jobs. A job runs when it is first polled, or a second of simulator time
 * after creation if nobody polls, so a test sees `queued` in the answer to the update and the
 * finished job on its first poll, with or without a frozen clock.
 */
@Injectable()
export class StatusJobRegistry {
  private jobs = new Map<string, StatusJob>();
  private ids = new Prng(JOB_ID_SEED);

  constructor(
    private readonly clock: SimClock,
    private readonly store: AccountStore,
  ) {}

  /** Queues a job setting every agent in `agentIds` to a status the caller has checked exists. */
  create(agentIds: readonly number[], statusId: number): StatusJob {
    const now = this.clock.now();
    // Expired jobs are otherwise only dropped when polled; a long-running simulator would keep them all.
    for (const [id, old] of this.jobs) if (now - old.createdAt >= JOB_TTL_MS) this.jobs.delete(id);
    const job: StatusJob = {
      id: ulid(now, this.ids),
      agentIds,
      statusId,
      createdAt: now,
      status: 'queued',
      results: [],
      completedAt: null,
      timer: null,
    };
    job.timer = this.clock.schedule(RUN_UNPOLLED_AFTER_MS, () => this.run(job));
    this.jobs.set(job.id, job);
    return job;
  }

  /** The job, run first if it is still queued; undefined when unknown or expired. */
  poll(id: string): StatusJob | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (this.clock.now() - job.createdAt >= JOB_TTL_MS) {
      this.jobs.delete(id);
      return undefined;
    }
    this.run(job);
    return job;
  }

  /** Forgets every job and cancels their timers (simulation reset). */
  clear(): void {
    for (const job of this.jobs.values()) job.timer?.cancel();
    this.jobs.clear();
    this.ids = new Prng(JOB_ID_SEED);
  }

  private run(job: StatusJob): void {
    if (job.status === 'completed') return;
    job.timer?.cancel();
    job.timer = null;
    const now = this.clock.now();
    job.results = job.agentIds.map((agentId) => {
      try {
        this.store.setUnifiedStatus(agentId, job.statusId, 'PUBLIC_API');
        return { agentId, status: 'success', error: null, completedAt: now };
      } catch (error) {
        // Only the store's refusals are per-agent outcomes; anything else is a simulator bug.
        if (!(error instanceof StoreError)) throw error;
        const reason =
          error.code === 'not_found'
            ? `AgentNotFound: agent ${agentId} does not exist`
            : `InvalidStatus: ${error.message}`;
        return { agentId, status: 'failed', error: reason, completedAt: now };
      }
    });
    job.status = 'completed';
    job.completedAt = now;
  }
}
