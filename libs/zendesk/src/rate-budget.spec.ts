import {
  type BudgetError,
  RateBudget,
  type BudgetClock,
  type BudgetPermit,
  type RequestPriority,
} from './rate-budget';

/** A clock that only moves when told to, firing timers in order with promise jobs run between. */
class ManualClock implements BudgetClock {
  private time = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  pending(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = target;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Records when each acquire is granted, in grant order. */
function recorder(budget: RateBudget, clock: ManualClock) {
  const grants: Array<{ label: string; at: number; permit: BudgetPermit }> = [];
  const request = (label: string, priority: RequestPriority = 'read', signal?: AbortSignal) =>
    budget.acquire(priority, signal).then((permit) => {
      grants.push({ label, at: clock.now(), permit });
      return permit;
    });
  return { grants, request };
}

describe('RateBudget', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });

  it('grants up to the budget at once, then exactly when a finished request leaves the window', async () => {
    const budget = new RateBudget({ requestsPerWindow: 3, windowMs: 1_000, clock });
    const { grants, request } = recorder(budget, clock);
    for (const label of ['a', 'b', 'c', 'd']) void request(label);
    await flush();
    expect(grants.map((g) => g.label)).toEqual(['a', 'b', 'c']);
    expect(budget.remaining()).toBe(0);
    await clock.advance(100);
    grants[0]!.permit.done();
    await clock.advance(999);
    expect(grants).toHaveLength(3);
    await clock.advance(1);
    expect(grants.map((g) => [g.label, g.at])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['d', 1_100],
    ]);
  });

  it('keeps unfinished requests holding their slots', async () => {
    const budget = new RateBudget({ requestsPerWindow: 2, windowMs: 1_000, clock });
    const { grants, request } = recorder(budget, clock);
    void request('a');
    void request('b');
    void request('c');
    await clock.advance(10_000);
    expect(grants).toHaveLength(2);
    expect(budget.inFlight()).toBe(2);
    expect(clock.pending()).toBe(0);
    grants[1]!.permit.done();
    await clock.advance(1_000);
    expect(grants.map((g) => g.label)).toEqual(['a', 'b', 'c']);
  });

  it('counts a sliding window, not a fixed one', async () => {
    const budget = new RateBudget({ requestsPerWindow: 10, windowMs: 1_000, clock });
    const { grants, request } = recorder(budget, clock);
    for (let i = 0; i < 6; i++) void request(`early${i}`);
    await flush();
    grants.forEach((g) => g.permit.done());
    await clock.advance(500);
    for (let i = 0; i < 5; i++) void request(`late${i}`);
    await flush();
    expect(grants).toHaveLength(10);
    grants.slice(6).forEach((g) => g.permit.done());
    await clock.advance(499);
    expect(grants).toHaveLength(10);
    await clock.advance(1);
    expect(grants[10]).toMatchObject({ label: 'late4', at: 1_000 });
  });

  it('serves writes, then reads, then bulk reads, in arrival order within each', async () => {
    const budget = new RateBudget({ requestsPerWindow: 1, windowMs: 10, clock });
    const { grants, request } = recorder(budget, clock);
    void request('first', 'bulk');
    await flush();
    const order: RequestPriority[] = ['bulk', 'read', 'write'];
    for (let i = 0; i < 300; i++) void request(`${order[i % 3]}${Math.floor(i / 3)}`, order[i % 3]);
    expect(budget.queueLength()).toBe(300);
    expect(budget.queueLength('write')).toBe(100);
    for (let i = 0; i < 300; i++) {
      grants[grants.length - 1]!.permit.done();
      await clock.advance(10);
    }
    const labels = grants.slice(1).map((g) => g.label);
    const expected = (['write', 'read', 'bulk'] as const).flatMap((p) =>
      Array.from({ length: 100 }, (_, i) => `${p}${i}`),
    );
    expect(labels).toEqual(expected);
  });

  it('lets a write overtake a thousand waiting bulk reads', async () => {
    const budget = new RateBudget({ requestsPerWindow: 1, windowMs: 10, clock });
    const { grants, request } = recorder(budget, clock);
    void request('running', 'bulk');
    await flush();
    for (let i = 0; i < 1_000; i++) void request(`bulk${i}`, 'bulk');
    void request('write', 'write');
    grants[0]!.permit.done();
    await clock.advance(10);
    expect(grants[1]!.label).toBe('write');
  });

  it('pauses everything until a pause ends, extending but never shortening it', async () => {
    const budget = new RateBudget({ requestsPerWindow: 100, windowMs: 1_000, clock });
    const { grants, request } = recorder(budget, clock);
    budget.pauseUntil(5_000);
    budget.pauseUntil(3_000);
    expect(budget.remaining()).toBe(0);
    expect(budget.pausedUntil()).toBe(5_000);
    void request('a');
    await clock.advance(4_999);
    expect(grants).toHaveLength(0);
    budget.pauseUntil(6_000);
    await clock.advance(1_000);
    expect(grants).toHaveLength(0);
    await clock.advance(1);
    expect(grants.map((g) => g.at)).toEqual([6_000]);
    expect(budget.pausedUntil()).toBeNull();
  });

  it('drops a waiting call whose signal aborts', async () => {
    const budget = new RateBudget({ requestsPerWindow: 1, windowMs: 1_000, clock });
    const { grants, request } = recorder(budget, clock);
    void request('a');
    const controller = new AbortController();
    const aborted = request('b', 'read', controller.signal).then(
      () => 'granted',
      (e: Error) => e.name,
    );
    void request('c');
    expect(budget.queueLength()).toBe(2);
    controller.abort();
    expect(await aborted).toBe('AbortError');
    expect(budget.queueLength()).toBe(1);
    grants[0]!.permit.done();
    await clock.advance(1_000);
    expect(grants.map((g) => g.label)).toEqual(['a', 'c']);
  });

  it('refuses at once beyond maxQueue, and rejects everything waiting when closed', async () => {
    const budget = new RateBudget({ requestsPerWindow: 1, windowMs: 1_000, maxQueue: 2, clock });
    const outcomes: string[] = [];
    const track = (p: Promise<BudgetPermit>) =>
      p.then(
        () => outcomes.push('granted'),
        (e: BudgetError) => outcomes.push(e.code),
      );
    await Promise.all([
      track(budget.acquire('read')),
      (async () => {
        const waiting = [track(budget.acquire('read')), track(budget.acquire('read'))];
        await track(budget.acquire('read'));
        budget.close();
        await Promise.all(waiting);
        await track(budget.acquire('write'));
      })(),
    ]);
    expect(outcomes).toEqual([
      'granted',
      'BUDGET_QUEUE_FULL',
      'BUDGET_CLOSED',
      'BUDGET_CLOSED',
      'BUDGET_CLOSED',
    ]);
  });

  it('never lets more arrivals than the budget into any window, whatever the latencies', async () => {
    const limit = 20;
    const windowMs = 1_000;
    const budget = new RateBudget({ requestsPerWindow: limit, windowMs, clock });
    let seed = 12345;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const arrivals: number[] = [];
    const priorities: RequestPriority[] = ['write', 'read', 'bulk'];
    const calls = Array.from({ length: 3_000 }, (_, i) =>
      budget.acquire(priorities[i % 3]!).then((permit) => {
        const granted = clock.now();
        const latency = Math.floor(random() * 400);
        // The server sees the request somewhere between our send and its answer.
        arrivals.push(granted + Math.floor(random() * (latency + 1)));
        clock.setTimer(() => permit.done(), latency);
      }),
    );
    while (arrivals.length < 3_000) await clock.advance(50);
    await Promise.all(calls);
    arrivals.sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, start = 0; i < arrivals.length; i++) {
      while (arrivals[start]! <= arrivals[i]! - windowMs) start++;
      peak = Math.max(peak, i - start + 1);
    }
    expect(peak).toBeLessThanOrEqual(limit);
    expect(peak).toBe(limit);
  });

  it('refuses nonsense options', () => {
    expect(() => new RateBudget({ requestsPerWindow: 0 })).toThrow(/requestsPerWindow/);
    expect(() => new RateBudget({ windowMs: -1 })).toThrow(/windowMs/);
    expect(() => new RateBudget({ shares: { read: 1.5 } })).toThrow(/shares\.read must be in \(0, 1\]/);
  });

  describe('a share for one priority', () => {
    it('holds reads to their share of the window, letting bulk reads and writes past them', async () => {
      const budget = new RateBudget({ requestsPerWindow: 10, windowMs: 1_000, shares: { read: 0.5 }, clock });
      const { grants, request } = recorder(budget, clock);
      for (let i = 0; i < 8; i++) void request(`read${i}`, 'read');
      void request('bulk', 'bulk');
      void request('write', 'write');
      await flush();
      expect(grants.map((g) => g.label)).toEqual([
        'read0',
        'read1',
        'read2',
        'read3',
        'read4',
        'bulk',
        'write',
      ]);
      expect(budget.queueLength('read')).toBe(3);
      for (const grant of grants) grant.permit.done();
      await clock.advance(999);
      expect(grants).toHaveLength(7);
      await clock.advance(1);
      expect(grants.slice(7).map((g) => g.label)).toEqual(['read5', 'read6', 'read7']);
    });
  });

  describe('following what Zendesk says the account has left', () => {
    /** Grants one call of `priority`, reports `remaining` on it and finishes it. */
    async function answered(budget: RateBudget, remaining: number, priority: RequestPriority = 'read') {
      const permit = await budget.acquire(priority);
      permit.observe({ remaining, limit: 100 });
      permit.done();
    }

    it('stops reads at the reserve, one at a time before it, and lets writes use what is left', async () => {
      const budget = new RateBudget({ requestsPerWindow: 180, windowMs: 60_000, clock });
      await answered(budget, 12);
      expect(budget.accountRemaining()).toBe(12);
      const { grants, request } = recorder(budget, clock);
      for (let i = 0; i < 5; i++) void request(`read${i}`);
      await flush();
      // 12 left is under a quarter of the limit: the next call waits for the previous answer.
      expect(grants.map((g) => g.label)).toEqual(['read0']);
      grants[0]!.permit.observe({ remaining: 11, limit: 100 });
      grants[0]!.permit.done();
      await flush();
      expect(grants.map((g) => g.label)).toEqual(['read0', 'read1']);
      grants[1]!.permit.observe({ remaining: 10, limit: 100 });
      grants[1]!.permit.done();
      await flush();
      // 10 left is the reserve (10% of the limit): reads stop before Zendesk would refuse them.
      expect(grants).toHaveLength(2);
      expect(budget.queueLength('read')).toBe(3);
      expect(budget.holdsForAccount()).toBe(1);
      expect(budget.remaining()).toBe(10);
      void request('write', 'write');
      await flush();
      expect(grants[2]!.label).toBe('write');
      expect(budget.accountRemaining()).toBe(9);
    });

    it('after a window, sends one probe first when little was left, then follows its answer', async () => {
      const budget = new RateBudget({ requestsPerWindow: 180, windowMs: 60_000, clock });
      await answered(budget, 5);
      const { grants, request } = recorder(budget, clock);
      for (let i = 0; i < 4; i++) void request(`read${i}`);
      await clock.advance(59_999);
      expect(grants).toHaveLength(0);
      await clock.advance(1);
      expect(grants.map((g) => g.label)).toEqual(['read0']);
      expect(budget.accountRemaining()).toBeNull();
      grants[0]!.permit.observe({ remaining: 90, limit: 100 });
      grants[0]!.permit.done();
      await flush();
      expect(grants).toHaveLength(4);
    });

    it('holds everything until the reset Zendesk gives with nothing left', async () => {
      const budget = new RateBudget({ requestsPerWindow: 180, windowMs: 60_000, clock });
      const permit = await budget.acquire('bulk');
      permit.observe({ remaining: 0, resetMs: 5_000 });
      permit.done();
      const { grants, request } = recorder(budget, clock);
      void request('write', 'write');
      void request('read');
      await clock.advance(4_999);
      expect(grants).toHaveLength(0);
      await clock.advance(1);
      // The probe goes alone; an answer without the headers ends the account's hold.
      expect(grants.map((g) => g.label)).toEqual(['write']);
      grants[0]!.permit.observe(null);
      grants[0]!.permit.done();
      await flush();
      expect(grants.map((g) => g.label)).toEqual(['write', 'read']);
    });

    it('goes one at a time when the last answer is old, however much it said was left', async () => {
      const budget = new RateBudget({ requestsPerWindow: 180, windowMs: 60_000, clock });
      await answered(budget, 90);
      await clock.advance(1_001);
      const { grants, request } = recorder(budget, clock);
      for (let i = 0; i < 3; i++) void request(`read${i}`);
      await flush();
      expect(grants).toHaveLength(1);
      // A call that fails without an answer counts as used and lets the next one go.
      grants[0]!.permit.done();
      await flush();
      expect(grants).toHaveLength(2);
      grants[1]!.permit.observe({ remaining: 80, limit: 100 });
      grants[1]!.permit.done();
      await flush();
      expect(grants).toHaveLength(3);
      expect(budget.accountRemaining()).toBe(79);
    });

    it("ignores an older call's answer that comes after a newer one's", async () => {
      const budget = new RateBudget({ requestsPerWindow: 180, windowMs: 60_000, clock });
      const older = await budget.acquire('read');
      const newer = await budget.acquire('read');
      newer.observe({ remaining: 50, limit: 100 });
      newer.done();
      older.observe({ remaining: 51, limit: 100 });
      older.done();
      expect(budget.accountRemaining()).toBe(50);
    });
  });
});
