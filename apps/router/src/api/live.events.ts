import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Subject, type Observable } from 'rxjs';
import type { DecisionRecord } from '../audit/audit.store';
import { RouterMetrics } from '../metrics/router.metrics';

/** What the live stream carries: every recorded decision and every agent change the router sees. */
export type LiveEvent =
  | { type: 'decision'; decision: DecisionRecord }
  | { type: 'agent'; agentId: number; version: number; status: string | null };

/**
 * The most a live-stream client may have waiting for it, in bytes, on top of what the kernel's
 * socket buffers hold: past it, the client is not reading and is dropped (an `EventSource`
 * reconnects by itself). Ten clients that never read hold at most ten times this.
 */
export const LIVE_STREAM_MAX_BUFFERED_BYTES = 1_048_576;

/** The router's live events, and the Server-Sent Events clients that follow them. */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('LiveStream');
  private readonly events = new Subject<LiveEvent>();

  /** Hot: subscribers see what happens after they subscribe. */
  readonly events$: Observable<LiveEvent> = this.events.asObservable();

  constructor(private readonly metrics: RouterMetrics) {}

  publish(event: LiveEvent): void {
    this.events.next(event);
  }

  /**
   * Streams the events to one client as Server-Sent Events (`event: <type>`, `id`, `data: <json>`)
   * until it leaves or the router stops. A client with more than
   * `LIVE_STREAM_MAX_BUFFERED_BYTES` waiting is dropped, logged and counted.
   */
  serve(req: Request, res: Response): void {
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    req.socket.setTimeout(0);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-store, no-transform',
      Connection: 'keep-alive',
      // Proxies such as NGINX pass the events on as they come.
      'X-Accel-Buffering': 'no',
    });
    res.write(': live events of the Availability Router\n\n');
    let id = 0;
    let open = true;
    const subscription = this.events$.subscribe({
      next: (event) => {
        if (!open) return;
        res.write(`event: ${event.type}\nid: ${++id}\ndata: ${JSON.stringify(event)}\n\n`);
        const waiting = res.writableLength;
        if (waiting <= LIVE_STREAM_MAX_BUFFERED_BYTES) return;
        open = false;
        subscription.unsubscribe();
        res.destroy();
        this.metrics.liveClientDropped();
        this.logger.warn(
          `Dropped a live-stream client that is not reading: ${waiting} bytes were waiting for it (at most ${LIVE_STREAM_MAX_BUFFERED_BYTES})`,
        );
      },
      complete: () => res.end(),
    });
    res.once('close', () => {
      open = false;
      subscription.unsubscribe();
    });
  }

  onApplicationShutdown(): void {
    this.events.complete();
  }
}
