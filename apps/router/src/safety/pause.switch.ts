import { Injectable } from '@nestjs/common';
import { AuditStore } from '../audit/audit.store';

/** The global pause: while on, no rule changes anything (decisions are recorded as suppressed). It survives restarts. */
@Injectable()
export class PauseSwitch {
  private paused: boolean;

  constructor(private readonly audit: AuditStore) {
    this.paused = audit.state<boolean>('paused') ?? false;
  }

  isPaused(): boolean {
    return this.paused;
  }

  set(paused: boolean): void {
    this.audit.recordPass([], { paused });
    this.paused = paused;
  }
}
