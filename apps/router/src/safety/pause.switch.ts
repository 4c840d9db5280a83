import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AuditStore } from '../audit/audit.store';

/** The global pause: while on, no rule changes anything (decisions are recorded as suppressed). It survives restarts. */
@Injectable()
export class PauseSwitch implements OnModuleInit {
  private readonly logger = new Logger('Safety');
  private paused = false;

  constructor(private readonly audit: AuditStore) {}

  async onModuleInit(): Promise<void> {
    this.paused = (await this.audit.state('paused')) ?? false;
    if (this.paused)
      this.logger.warn('Paused since before this start: no rule changes anything until POST /api/resume');
  }

  isPaused(): boolean {
    return this.paused;
  }

  /**
   * Sets the pause, logged. Pausing takes effect at once and is then stored; resuming is stored
   * first and then takes effect. So a store that cannot write (see `/health`) can only leave the
   * router paused: a pause it could not store holds for this process and is refused with
   * `PauseNotStoredError` (a restart would forget it); a resume it could not store is refused.
   */
  async set(paused: boolean): Promise<void> {
    const was = this.paused;
    if (paused) this.paused = true;
    try {
      await this.audit.recordPass([], { paused });
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
    if (was === paused)
      this.logger.log(paused ? 'Pause asked for: already paused' : 'Resume asked for: not paused');
    else if (paused)
      this.logger.log(
        'Paused: no rule changes anything until POST /api/resume (decisions are recorded as suppressed)',
      );
    else this.logger.log('Resumed: rules change things again');
  }
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
