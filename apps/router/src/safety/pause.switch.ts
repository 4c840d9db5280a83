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

  /** Sets the pause durably, then in memory: a pause that was answered survives a restart. Logged. */
  async set(paused: boolean): Promise<void> {
    const was = this.paused;
    await this.audit.recordPass([], { paused });
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
