/** Which calls go first when the budget is short: writes, then targeted reads, then bulk reads. */
export type RequestPriority = 'write' | 'read' | 'bulk';

const PRIORITIES: readonly RequestPriority[] = ['write', 'read', 'bulk'];

/** Time and timers for the budget; tests pass a manual clock. */
export interface BudgetClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Wall time and Node timers. */
export const systemClock: BudgetClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of `RateBudget`. */
export interface RateBudgetOptions {
  /** Requests allowed in any sliding window (default 180). */
  requestsPerWindow?: number;
  /** The window, in ms (default 60,000). */
  windowMs?: number;
  /** Calls that may wait at once; more are refused at once (default 10,000). */
  maxQueue?: number;
  clock?: BudgetClock;
}

/** A granted request slot; call `done()` once the answer (or the failure) has arrived. */
export interface BudgetPermit {
  done(): void;
}

/** Why the budget refused a call. */
export class BudgetError extends Error {
  constructor(
    readonly code: 'BUDGET_CLOSED' | 'BUDGET_QUEUE_FULL',
    message: string,
  ) {
    super(message);
    this.name = 'BudgetError';
  }
}

interface Waiter {
  resolve(permit: BudgetPermit): void;
  reject(reason: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

/**
 * A request budget that no sliding window can exceed, as the server counts.
 *
 * Zendesk counts a request when it arrives, some time after we send it. Counting send times
 * would let network jitter put one request too many into a server-side window. So a permit
 * holds its slot from grant until `windowMs` after `done()`, and an unfinished permit holds it
 * indefinitely. Grant rule: `inFlight + (permits done within the last windowMs) < limit`. Proof:
 * take any limit+1 arrivals inside one window of length W ending at t, and the one of them granted
 * last, at g <= its arrival <= t. Each other was granted earlier and arrived after t - W, so when
 * g came it was either still in flight or done after its arrival, hence after t - W >= g - W:
 * all `limit` others held slots at g, and g could not have been granted.
 *
 * Waiting calls are served writes first, then reads, then bulk reads, first come first served
 * within each. A 429 pauses everything until its `Retry-After` has passed.
 */
export class RateBudget {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxQueue: number;
  private readonly clock: BudgetClock;
  /** Completion times of finished permits still inside the window, oldest first, from `head`. */
  private done: number[] = [];
  private head = 0;
  private lastDone = -Infinity;
  private running = 0;
  private readonly queues: Record<RequestPriority, Waiter[]> = { write: [], read: [], bulk: [] };
  private readonly queueHeads: Record<RequestPriority, number> = { write: 0, read: 0, bulk: 0 };
  private waiting = 0;
  private pause = 0;
  private timer: unknown = null;
  private timerAt = Infinity;
  private closedWith: Error | null = null;

  constructor(options: RateBudgetOptions = {}) {
    this.limit = options.requestsPerWindow ?? 180;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.clock = options.clock ?? systemClock;
    for (const [name, value] of Object.entries({
      requestsPerWindow: this.limit,
      windowMs: this.windowMs,
      maxQueue: this.maxQueue,
    })) {
      if (!Number.isFinite(value) || value <= 0)
        throw new RangeError(`${name} must be a positive number (got ${value})`);
    }
  }

  /** Waits for a slot. Rejects when the budget is closed, the queue is full or `signal` aborts. */
  acquire(priority: RequestPriority, signal?: AbortSignal): Promise<BudgetPermit> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.waiting === 0 && this.grantable(this.clock.now())) return Promise.resolve(this.grant());
    if (this.waiting >= this.maxQueue) {
      return Promise.reject(
        new BudgetError('BUDGET_QUEUE_FULL', `${this.waiting} calls are already waiting for budget`),
      );
    }
    return new Promise<BudgetPermit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, settled: false };
      if (signal) {
        waiter.onAbort = () => {
          if (waiter.settled) return;
          waiter.settled = true;
          this.waiting--;
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queues[priority].push(waiter);
      this.waiting++;
      this.arm();
    });
  }

  /** Grants nothing before `time` (epoch ms); a later call can extend the pause, never shorten it. */
  pauseUntil(time: number): void {
    if (time <= this.pause) return;
    this.pause = time;
    this.arm();
  }

  /** Slots that could be granted right now. */
  remaining(): number {
    const now = this.clock.now();
    if (now < this.pause) return 0;
    this.evict(now);
    return Math.max(0, this.limit - this.running - (this.done.length - this.head));
  }

  /** Calls waiting for a slot, of one priority or in all. */
  queueLength(priority?: RequestPriority): number {
    if (priority === undefined) return this.waiting;
    return this.queues[priority].slice(this.queueHeads[priority]).filter((w) => !w.settled).length;
  }

  inFlight(): number {
    return this.running;
  }

  pausedUntil(): number | null {
    return this.pause > this.clock.now() ? this.pause : null;
  }

  /** Rejects every waiting call with `reason` and refuses new ones. */
  close(reason: Error = new BudgetError('BUDGET_CLOSED', 'The rate budget was closed')): void {
    if (this.closedWith !== null) return;
    this.closedWith = reason;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    for (const priority of PRIORITIES) {
      for (const waiter of this.queues[priority].slice(this.queueHeads[priority]))
        this.settle(waiter)?.reject(reason);
      this.queues[priority] = [];
      this.queueHeads[priority] = 0;
    }
    this.waiting = 0;
  }

  private grantable(now: number): boolean {
    if (now < this.pause) return false;
    this.evict(now);
    return this.running + (this.done.length - this.head) < this.limit;
  }

  private grant(): BudgetPermit {
    this.running++;
    let finished = false;
    return {
      done: () => {
        if (finished) return;
        finished = true;
        this.running--;
        // Keep completion times ordered even if the wall clock steps back.
        this.lastDone = Math.max(this.lastDone, this.clock.now());
        this.done.push(this.lastDone);
        this.pump();
      },
    };
  }

  private pump(): void {
    const now = this.clock.now();
    while (this.waiting > 0 && this.grantable(now)) {
      const waiter = this.nextWaiter();
      if (!waiter) break;
      this.settle(waiter)?.resolve(this.grant());
    }
    this.arm();
  }

  /** The first unsettled waiter of the highest priority, removed from its queue. */
  private nextWaiter(): Waiter | undefined {
    for (const priority of PRIORITIES) {
      const queue = this.queues[priority];
      while (this.queueHeads[priority] < queue.length) {
        const waiter = queue[this.queueHeads[priority]++]!;
        if (!waiter.settled) {
          this.compact(priority);
          return waiter;
        }
      }
      this.compact(priority);
    }
    return undefined;
  }

  private settle(waiter: Waiter): Waiter | undefined {
    if (waiter.settled) return undefined;
    waiter.settled = true;
    this.waiting--;
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }

  /** One timer, for the earliest moment a waiting call could be granted. */
  private arm(): void {
    if (this.waiting === 0 || this.closedWith !== null) {
      this.disarm();
      return;
    }
    const now = this.clock.now();
    let at: number;
    if (now < this.pause) at = this.pause;
    else if (this.running >= this.limit)
      at = Infinity; // only a done() can free a slot
    else at = (this.done[this.head] ?? now) + this.windowMs;
    if (at === this.timerAt && this.timer !== null) return;
    this.disarm();
    if (at === Infinity) return;
    this.timerAt = at;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - now),
    );
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private evict(now: number): void {
    while (this.head < this.done.length && this.done[this.head]! <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.done.length) {
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
  }

  private compact(priority: RequestPriority): void {
    const head = this.queueHeads[priority];
    if (head > 1024 && head * 2 > this.queues[priority].length) {
      this.queues[priority] = this.queues[priority].slice(head);
      this.queueHeads[priority] = 0;
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('The operation was aborted', 'AbortError');
}
