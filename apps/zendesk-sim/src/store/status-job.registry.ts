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

/** A bulk status update job. */
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

/**
 * Bulk status update jobs. A job runs when it is first polled, or a second of simulator time
 * after creation if nobody polls, so a test sees `queued` in the answer to the update and the
 * finished job on its first poll, with or without a frozen clock.
 */
@Injectable()
export class StatusJobRegistry {
  private jobs = new Map<string, StatusJob>();
  private readonly ids = new Prng(0x10b5);

  constructor(
    private readonly clock: SimClock,
    private readonly store: AccountStore,
  ) {}

  create(agentIds: readonly number[], statusId: number): StatusJob {
    const now = this.clock.now();
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

  clear(): void {
    for (const job of this.jobs.values()) job.timer?.cancel();
    this.jobs.clear();
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
        const reason =
          error instanceof StoreError && error.code === 'not_found'
            ? `AgentNotFound: agent ${agentId} does not exist`
            : `InvalidStatus: ${error instanceof Error ? error.message : 'the status cannot be set'}`;
        return { agentId, status: 'failed', error: reason, completedAt: now };
      }
    });
    job.status = 'completed';
    job.completedAt = now;
  }
}
