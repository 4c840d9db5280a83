import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AuditStore, type ControlActor, type ControlRecord } from '../audit/audit.store';

/** The global pause: while on, no rule changes anything (decisions are recorded as suppressed). It survives restarts. */
@Injectable()
export class PauseSwitch implements OnModuleInit {
  private readonly logger = new Logger('Safety');
  private paused = false;
  /** The pause in force: when, by whom and why (null when not paused, or paused before this was kept). */
  private pausedBy: ControlRecord | null = null;

  constructor(private readonly audit: AuditStore) {}

  async onModuleInit(): Promise<void> {
    this.paused = (await this.audit.state('paused')) ?? false;
    this.pausedBy = this.paused ? ((await this.audit.state('pausedBy')) ?? null) : null;
    if (this.paused) {
      const by = this.pausedBy;
      const since = by
        ? ` (since ${new Date(by.time).toISOString()}, by ${describeActor(by.by)}${by.reason === null ? '' : `: ${JSON.stringify(by.reason)}`})`
        : '';
      this.logger.warn(
        `Paused since before this start${since}: no rule changes anything until POST /api/resume`,
      );
    }
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** The pause in force: since when, by whom and why; null when not paused or not known. */
  inForce(): ControlRecord | null {
    return this.paused ? this.pausedBy : null;
  }

  /**
   * Sets the pause, logged, and appends who asked and why to the audit log (a pause while paused
   * is logged too, but the pause in force keeps its start). Pausing takes effect at once and is
   * then stored; resuming is stored first and then takes effect. So a store that cannot write (see `/health`) can only leave the
   * router paused: a pause it could not store holds for this process and is refused with
   * `PauseNotStoredError` (a restart would forget it); a resume it could not store is refused.
   */
  async set(paused: boolean, by: ControlActor, reason: string | null = null): Promise<void> {
    const was = this.paused;
    const control: ControlRecord = { time: Date.now(), action: paused ? 'pause' : 'resume', by, reason };
    const inForce = paused ? (was ? this.pausedBy : control) : null;
    if (paused) {
      this.paused = true;
      this.pausedBy = inForce;
    }
    try {
      await this.audit.recordControl(control, { paused, pausedBy: inForce });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(
        paused
          ? `Paused, but the pause could not be stored (${reason}): it holds until this process stops`
          : `Resume refused: it could not be stored (${reason}); still paused`,
      );
      throw new PauseNotStoredError(paused, reason);
    }
    this.paused = paused;
    this.pausedBy = inForce;
    const asked = `by ${describeActor(by)}${reason === null ? '' : ` (reason: ${JSON.stringify(reason)})`}`;
    if (was === paused)
      this.logger.log(
        paused ? `Pause asked for ${asked}: already paused` : `Resume asked for ${asked}: not paused`,
      );
    else if (paused)
      this.logger.log(
        `Paused ${asked}: no rule changes anything until POST /api/resume (decisions are recorded as suppressed)`,
      );
    else this.logger.log(`Resumed ${asked}: rules change things again`);
  }
}

/** `the bearer token`, `session "Ana"` or `a session`, for log lines. */
export function describeActor(by: ControlActor): string {
  if (by.via === 'bearer') return 'the bearer token';
  return by.name === null ? 'a session' : `session ${JSON.stringify(by.name)}`;
}

/** The audit store could not record a pause or resume; `paused` is what is in force now. */
export class PauseNotStoredError extends Error {
  constructor(
    readonly asked: boolean,
    readonly reason: string,
  ) {
    super(
      asked
        ? `paused for this process, but not stored (${reason}): a restart would forget it`
        : `not resumed: the resume could not be stored (${reason}); still paused`,
    );
    this.name = 'PauseNotStoredError';
  }
}
