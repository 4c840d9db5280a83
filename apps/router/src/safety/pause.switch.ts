import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditStore } from '../audit/audit.store';

/** The global pause: while on, no rule changes anything (decisions are recorded as suppressed). It survives restarts. */
@Injectable()
export class PauseSwitch implements OnModuleInit {
  private paused = false;

  constructor(private readonly audit: AuditStore) {}

  async onModuleInit(): Promise<void> {
    this.paused = (await this.audit.state('paused')) ?? false;
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** Sets the pause durably, then in memory: a pause that was answered survives a restart. */
  async set(paused: boolean): Promise<void> {
    await this.audit.recordPass([], { paused });
    this.paused = paused;
  }
}
