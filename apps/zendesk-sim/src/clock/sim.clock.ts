import { Injectable, type OnApplicationShutdown } from '@nestjs/common';

/** A pending callback on the simulator's clock. */
export interface ClockTimer {
  cancel(): void;
}

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * The simulator's notion of "now". It runs on wall time by default; tests freeze it and move it
 * forward explicitly, and every time-driven behaviour (activity, rate-limit window, webhook
 * retries, fault durations) follows, so a test never sleeps.
 */
@Injectable()
export class SimClock implements OnApplicationShutdown {
  private offsetMs = 0;
  private frozenAt: number | null = null;
  private timers: PendingTimer[] = [];
  private seq = 0;
  private wake: NodeJS.Timeout | null = null;
  private running = false;

  now(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  isFrozen(): boolean {
    return this.frozenAt !== null;
  }

  /** Stops the clock at `at` (default: the current time). */
  freeze(at: number = this.now()): void {
    this.frozenAt = at;
    this.rearm();
  }

  /** Lets the clock run on wall time again, continuing from the current simulated time. */
  resume(): void {
    if (this.frozenAt === null) return;
    this.offsetMs = this.frozenAt - Date.now();
    this.frozenAt = null;
    this.rearm();
  }

  /** Jumps to `at`. Timers due in between fire in order, each seeing its own due time as "now". */
  set(at: number): void {
    if (at < this.now()) {
      // Going back in time fires nothing; timers keep their absolute due times.
      if (this.frozenAt !== null) this.frozenAt = at;
      else this.offsetMs = at - Date.now();
      this.rearm();
      return;
    }
    this.advance(at - this.now());
  }

  /** Moves the clock forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('The clock only moves forward with advance()');
    const target = this.now() + ms;
    const wasFrozen = this.frozenAt !== null;
    this.frozenAt = this.now();
    this.runDue(target);
    this.frozenAt = target;
    if (!wasFrozen) this.resume();
    this.rearm();
  }

  /** Calls `fn` once the clock reaches now + `delayMs`. */
  schedule(delayMs: number, fn: () => void): ClockTimer {
    const timer: PendingTimer = {
      at: this.now() + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.rearm();
    return {
      cancel: () => {
        timer.cancelled = true;
        this.timers = this.timers.filter((t) => t !== timer);
        this.rearm();
      },
    };
  }

  /** Drops every pending timer (used on reset). */
  cancelAll(): void {
    for (const timer of this.timers) timer.cancelled = true;
    this.timers = [];
    this.rearm();
  }

  onApplicationShutdown(): void {
    this.cancelAll();
  }

  private runDue(until: number): void {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const next = this.timers[0];
        if (!next || next.at > until) break;
        this.timers.shift();
        if (next.cancelled) continue;
        if (this.frozenAt !== null) this.frozenAt = Math.max(this.frozenAt, next.at);
        next.fn();
      }
    } finally {
      this.running = false;
    }
  }

  private rearm(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    const next = this.timers[0];
    if (!next || this.frozenAt !== null) return;
    const delay = Math.max(0, next.at - this.now());
    this.wake = setTimeout(() => {
      this.wake = null;
      this.runDue(this.now());
      this.rearm();
    }, delay);
    this.wake.unref();
  }
}
