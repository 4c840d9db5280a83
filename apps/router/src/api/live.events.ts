import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { DecisionRecord } from '../audit/audit.store';

/** What the live stream carries: every recorded decision and every agent change the router sees. */
export type LiveEvent =
  | { type: 'decision'; decision: DecisionRecord }
  | { type: 'agent'; agentId: number; version: number; status: string | null };

/** The router's live events, for the Server-Sent Events stream. */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly events = new Subject<LiveEvent>();

  /** Hot: subscribers see what happens after they subscribe. */
  readonly events$: Observable<LiveEvent> = this.events.asObservable();

  publish(event: LiveEvent): void {
    this.events.next(event);
  }

  onApplicationShutdown(): void {
    this.events.complete();
  }
}
