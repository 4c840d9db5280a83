import { Injectable } from '@nestjs/common';
import { SimClock } from '../clock/sim.clock';

export const RATE_WINDOW_MS = 60_000;

export type RateDecision =
  | { allowed: true; limit: number; remaining: number }
  | { allowed: false; limit: number; remaining: 0; retryAfterS: number };

/**
 * The account-wide request budget (section 4): at most `limit` accepted requests in any sliding
 * 60 s window of the simulator's clock. Refused requests do not use up the budget.
 */
@Injectable()
export class RateLimiter {
  private limit = 200;
  /** Accept times, oldest first; `head` skips those that left the window. */
  private accepted: number[] = [];
  private head = 0;

  constructor(private readonly clock: SimClock) {}

  configure(limitPerMin: number): void {
    this.limit = limitPerMin;
  }

  get limitPerMin(): number {
    return this.limit;
  }

  take(): RateDecision {
    const now = this.clock.now();
    this.evict(now);
    const used = this.accepted.length - this.head;
    if (used >= this.limit) {
      const oldest = this.accepted[this.head] ?? now;
      const retryAfterS = Math.max(1, Math.ceil((oldest + RATE_WINDOW_MS - now) / 1000));
      return { allowed: false, limit: this.limit, remaining: 0, retryAfterS };
    }
    this.accepted.push(now);
    return { allowed: true, limit: this.limit, remaining: this.limit - used - 1 };
  }

  /** Requests accepted in the current window. */
  used(): number {
    this.evict(this.clock.now());
    return this.accepted.length - this.head;
  }

  reset(): void {
    this.accepted = [];
    this.head = 0;
  }

  private evict(now: number): void {
    while (this.head < this.accepted.length && this.accepted[this.head]! <= now - RATE_WINDOW_MS) this.head++;
    if (this.head > 1024 && this.head * 2 > this.accepted.length) {
      this.accepted = this.accepted.slice(this.head);
      this.head = 0;
    }
  }
}
