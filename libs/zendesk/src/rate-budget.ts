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
  /**
   * The largest share of `requestsPerWindow`, in (0, 1], that calls of one priority may hold in
   * any window, e.g. `{ read: 0.5 }` so targeted reads never take the slots resyncs and writes
   * need. Priorities not named may use the whole budget.
   */
  shares?: Partial<Record<RequestPriority, number>>;
  clock?: BudgetClock;
}

/** What Zendesk said about the account's budget in one answer (`X-Rate-Limit*` headers). */
export interface AccountBudgetReport {
  /** Requests the account has left in Zendesk's window, after the one answered. */
  remaining: number;
  /** The account's limit per window, when Zendesk said. */
  limit?: number;
  /** Milliseconds until Zendesk's window resets, when Zendesk said. */
  resetMs?: number;
}

/** A granted request slot; call `done()` once the answer (or the failure) has arrived. */
export interface BudgetPermit {
  /** Passes on what the answer said about the account's budget (call before `done()`). */
  observe(report: AccountBudgetReport | null): void;
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
  priority: RequestPriority;
  resolve(permit: BudgetPermit): void;
  reject(reason: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

/** Completion times of finished permits still inside the window, oldest first, from `head`. */
class DoneTimes {
  private times: number[] = [];
  private head = 0;

  get count(): number {
    return this.times.length - this.head;
  }

  get oldest(): number | undefined {
    return this.times[this.head];
  }

  push(time: number): void {
    this.times.push(time);
  }

  evict(before: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= before) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The last word from Zendesk on the account's budget, which the customer's other integrations
 * share. `remaining` was left after the request granted `seq`-th; every grant since is assumed
 * to have used one more (some may already be in `remaining`: that errs on the safe side).
 */
interface AccountView {
  remaining: number;
  limit: number;
  seq: number;
  observedAt: number;
  /** When Zendesk's window has surely moved on: its reset, or one window after the answer. */
  expiresAt: number;
  /** Expired while little was left: one call at a time until an answer says more. */
  probing: boolean;
}

/** Reads and bulk reads leave this share of the account's limit to writes and other integrations. */
const ACCOUNT_RESERVE_SHARE = 0.1;
/** Below this share of the account's limit left, calls go one at a time, each answer read first. */
const ACCOUNT_LOW_SHARE = 0.25;
/** An answer older than this may no longer tell what other integrations have used since. */
const ACCOUNT_FRESH_MS = 1_000;

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
 * within each; a priority given a share holds at most that share of the window. A 429 pauses
 * everything until its `Retry-After` has passed.
 *
 * The account's budget is shared with the customer's other integrations, so the budget also
 * follows what Zendesk says is left (`observe`), slowing down before a 429 rather than after:
 * reads and bulk reads stop while 10% of the account's limit or less is left, writes only at
 * the last request; below 25% left, or when the last answer is more than a second old, calls
 * go one at a time so each answer is read before the next call. What Zendesk said
 * holds until its reset (when it says) or for one window; if little was left then, one probe goes
 * first.
 */
export class RateBudget {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxQueue: number;
  private readonly clock: BudgetClock;
  private readonly caps: Partial<Record<RequestPriority, number>> = {};
  private readonly done = new DoneTimes();
  private readonly doneBy: Record<RequestPriority, DoneTimes> = {
    write: new DoneTimes(),
    read: new DoneTimes(),
    bulk: new DoneTimes(),
  };
  private lastDone = -Infinity;
  private running = 0;
  private readonly runningBy: Record<RequestPriority, number> = { write: 0, read: 0, bulk: 0 };
  private readonly queues: Record<RequestPriority, Waiter[]> = { write: [], read: [], bulk: [] };
  private readonly queueHeads: Record<RequestPriority, number> = { write: 0, read: 0, bulk: 0 };
  private readonly waitingBy: Record<RequestPriority, number> = { write: 0, read: 0, bulk: 0 };
  private waiting = 0;
  /** Permits granted so far; each permit knows its number. */
  private grants = 0;
  private account: AccountView | null = null;
  private heldByAccount = false;
  private accountHolds = 0;
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
    for (const [priority, share] of Object.entries(options.shares ?? {}) as [RequestPriority, number][]) {
      if (!PRIORITIES.includes(priority)) throw new RangeError(`shares.${priority}: not a priority`);
      if (!Number.isFinite(share) || share <= 0 || share > 1)
        throw new RangeError(`shares.${priority} must be in (0, 1] (got ${share})`);
      this.caps[priority] = Math.max(1, Math.floor(this.limit * share));
    }
  }

  /** Waits for a slot. Rejects when the budget is closed, the queue is full or `signal` aborts. */
  acquire(priority: RequestPriority, signal?: AbortSignal): Promise<BudgetPermit> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (!this.waitersAtOrAbove(priority) && this.grantable(this.clock.now(), priority))
      return Promise.resolve(this.grant(priority));
    if (this.waiting >= this.maxQueue) {
      return Promise.reject(
        new BudgetError('BUDGET_QUEUE_FULL', `${this.waiting} calls are already waiting for budget`),
      );
    }
    return new Promise<BudgetPermit>((resolve, reject) => {
      const waiter: Waiter = { priority, resolve, reject, signal, onAbort: undefined, settled: false };
      if (signal) {
        waiter.onAbort = () => {
          if (this.settle(waiter)) reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queues[priority].push(waiter);
      this.waiting++;
      this.waitingBy[priority]++;
      this.pump();
    });
  }

  /** Grants nothing before `time` (epoch ms); a later call can extend the pause, never shorten it. */
  pauseUntil(time: number): void {
    if (time <= this.pause) return;
    this.pause = time;
    this.arm();
  }

  /** Slots that could be granted right now, by our own window and by what Zendesk said is left. */
  remaining(): number {
    const now = this.clock.now();
    if (now < this.pause) return 0;
    this.evict(now);
    const own = Math.max(0, this.limit - this.running - this.done.count);
    const account = this.accountRemaining();
    return account === null ? own : Math.min(own, account);
  }

  /**
   * Requests the account has left by Zendesk's last word, less what we sent since; null when
   * Zendesk has not said (or what it said is too old to count).
   */
  accountRemaining(): number | null {
    const view = this.account;
    if (view === null || view.probing || this.clock.now() >= view.expiresAt) return null;
    return Math.max(0, view.remaining - (this.grants - view.seq));
  }

  /** Times calls were held back because Zendesk said the account had little left. */
  holdsForAccount(): number {
    return this.accountHolds;
  }

  /** Calls waiting for a slot, of one priority or in all. */
  queueLength(priority?: RequestPriority): number {
    return priority === undefined ? this.waiting : this.waitingBy[priority];
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
    this.disarm();
    for (const priority of PRIORITIES) {
      for (const waiter of this.queues[priority].slice(this.queueHeads[priority]))
        this.settle(waiter)?.reject(reason);
      this.queues[priority] = [];
      this.queueHeads[priority] = 0;
    }
  }

  /** Whether a call of `priority` may go now: pause, own window, its share, the account's word. */
  private grantable(now: number, priority: RequestPriority): boolean {
    return this.ownAllows(now, priority) && this.accountAllows(now, priority);
  }

  private ownAllows(now: number, priority: RequestPriority): boolean {
    if (now < this.pause) return false;
    this.evict(now);
    if (this.running + this.done.count >= this.limit) return false;
    const cap = this.caps[priority];
    return cap === undefined || this.runningBy[priority] + this.doneBy[priority].count < cap;
  }

  private accountAllows(now: number, priority: RequestPriority): boolean {
    const view = this.account;
    if (view === null) return true;
    const answered = this.grants === view.seq;
    if (!view.probing && now >= view.expiresAt) {
      // Everything Zendesk counted then has left its window; if little was left, probe first.
      if (view.remaining - (this.grants - view.seq) >= lowWater(view.limit)) {
        this.account = null;
        return true;
      }
      view.probing = true;
    }
    if (view.probing) return answered;
    const left = view.remaining - (this.grants - view.seq);
    const reserve = priority === 'write' ? 0 : reserveOf(view.limit);
    if (left <= reserve) return false;
    const careful = left <= lowWater(view.limit) || now - view.observedAt > ACCOUNT_FRESH_MS;
    return !careful || answered;
  }

  /** Takes in what one answer said about the account's budget. */
  private observe(seq: number, report: AccountBudgetReport | null): void {
    const now = this.clock.now();
    const view = this.account;
    if (report === null) {
      // An answer without the headers: an expired word is dropped, a live one stays.
      if (view !== null && seq >= view.seq && (view.probing || now >= view.expiresAt)) this.account = null;
      else this.unanswered(seq);
      return;
    }
    if (view !== null && seq < view.seq) return; // an older request's answer
    this.account = {
      remaining: Math.max(0, Math.floor(report.remaining)),
      limit: report.limit !== undefined && report.limit > 0 ? report.limit : this.limit,
      seq,
      observedAt: now,
      expiresAt: now + Math.max(0, report.resetMs ?? this.windowMs),
      probing: false,
    };
  }

  /** A call that told us nothing is counted as one used, and no longer holds the one-at-a-time gate. */
  private unanswered(seq: number): void {
    const view = this.account;
    if (view === null || seq <= view.seq) return;
    view.remaining -= seq - view.seq;
    view.seq = seq;
  }

  private grant(priority: RequestPriority): BudgetPermit {
    this.running++;
    this.runningBy[priority]++;
    const seq = ++this.grants;
    let finished = false;
    let observed = false;
    return {
      observe: (report) => {
        if (finished || observed) return;
        observed = true;
        this.observe(seq, report);
      },
      done: () => {
        if (finished) return;
        finished = true;
        this.running--;
        this.runningBy[priority]--;
        // Keep completion times ordered even if the wall clock steps back.
        this.lastDone = Math.max(this.lastDone, this.clock.now());
        this.done.push(this.lastDone);
        this.doneBy[priority].push(this.lastDone);
        if (!observed) this.unanswered(seq);
        this.pump();
      },
    };
  }

  private pump(): void {
    if (this.closedWith !== null) return;
    const now = this.clock.now();
    for (let waiter = this.nextWaiter(now); waiter; waiter = this.nextWaiter(now))
      this.settle(waiter)?.resolve(this.grant(waiter.priority));
    this.noteHeld(now);
    this.arm();
  }

  /** The first waiter of the highest priority that may go now, removed from its queue. */
  private nextWaiter(now: number): Waiter | undefined {
    for (const priority of PRIORITIES) {
      if (this.waitingBy[priority] === 0) continue;
      const queue = this.queues[priority];
      while (queue[this.queueHeads[priority]]?.settled) this.queueHeads[priority]++;
      this.compact(priority);
      if (!this.grantable(now, priority)) continue;
      const waiter = queue[this.queueHeads[priority]];
      if (waiter) {
        this.queueHeads[priority]++;
        return waiter;
      }
    }
    return undefined;
  }

  private waitersAtOrAbove(priority: RequestPriority): boolean {
    for (const p of PRIORITIES) {
      if (this.waitingBy[p] > 0) return true;
      if (p === priority) return false;
    }
    return false;
  }

  /** Counts each time waiting calls our own budget would let go are held for the account. */
  private noteHeld(now: number): void {
    const held = PRIORITIES.some(
      (p) => this.waitingBy[p] > 0 && this.ownAllows(now, p) && !this.accountAllows(now, p),
    );
    if (held && !this.heldByAccount) this.accountHolds++;
    this.heldByAccount = held;
  }

  private settle(waiter: Waiter): Waiter | undefined {
    if (waiter.settled) return undefined;
    waiter.settled = true;
    this.waiting--;
    this.waitingBy[waiter.priority]--;
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
    const at = this.wakeAt(now);
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

  /** When a slot could next free up by time alone (a `done()` or an answer also pumps). */
  private wakeAt(now: number): number {
    if (now < this.pause) return this.pause;
    const later = (t: number | undefined) => (t !== undefined && t > now ? t : Infinity);
    let at = later(this.done.oldest === undefined ? undefined : this.done.oldest + this.windowMs);
    for (const priority of PRIORITIES) {
      const oldest = this.doneBy[priority].oldest;
      if (this.caps[priority] !== undefined && oldest !== undefined)
        at = Math.min(at, later(oldest + this.windowMs));
    }
    if (this.account !== null && !this.account.probing) at = Math.min(at, later(this.account.expiresAt));
    return at;
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private evict(now: number): void {
    this.done.evict(now - this.windowMs);
    for (const priority of PRIORITIES) this.doneBy[priority].evict(now - this.windowMs);
  }

  private compact(priority: RequestPriority): void {
    const head = this.queueHeads[priority];
    if (head > 1024 && head * 2 > this.queues[priority].length) {
      this.queues[priority] = this.queues[priority].slice(head);
      this.queueHeads[priority] = 0;
    }
  }
}

/** What reads and bulk reads leave of the account's limit. */
function reserveOf(limit: number): number {
  return Math.max(1, Math.ceil(limit * ACCOUNT_RESERVE_SHARE));
}

/** Below this many left, calls go one at a time. */
function lowWater(limit: number): number {
  return Math.max(reserveOf(limit) + 1, Math.ceil(limit * ACCOUNT_LOW_SHARE));
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('The operation was aborted', 'AbortError');
}
