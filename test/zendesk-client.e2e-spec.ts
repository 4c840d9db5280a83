import {
  ZendeskClient,
  ZendeskError,
  ZendeskErrorCode,
  type ZendeskClientEvent,
  type ZendeskClientOptions,
} from '@app/zendesk';
import { startSim, type SimHarness } from './support/sim.harness';

const AGENT = 360_099_100_001;

interface LoggedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: string;
  status: number | null;
}

async function requestLog(sim: SimHarness): Promise<LoggedRequest[]> {
  return (await sim.control('get', '/requests')).body.requests;
}

function clientFor(sim: SimHarness, options: Partial<ZendeskClientOptions> = {}): ZendeskClient {
  return new ZendeskClient({
    baseUrl: sim.url,
    auth: { type: 'api_token', email: 'admin@example.com', token: 'sim-admin-token' },
    retry: { baseDelayMs: 20, maxDelayMs: 100 },
    ...options,
  });
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

async function failureOf(promise: Promise<unknown>): Promise<ZendeskError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ZendeskError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ZendeskClient against the simulator', () => {
  let sim: SimHarness;
  let client: ZendeskClient;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 1_234, rateLimitPerMin: 100_000 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.control('post', '/reset', { agents: 1_234, rate_limit_per_min: 100_000 });
    client = clientFor(sim);
  });
  afterEach(() => client.close());

  describe('agent availability', () => {
    it('walks 1,000+ agents in ceil(N / 100) requests, each agent exactly once', async () => {
      const agents = await collect(client.listAgentAvailabilities());
      expect(agents).toHaveLength(1_234);
      expect(new Set(agents.map((a) => a.agentId)).size).toBe(1_234);
      const log = await requestLog(sim);
      expect(log).toHaveLength(13);
      expect(log.every((r) => r.status === 200 && r.path === '/api/v2/agent_availabilities')).toBe(true);
      const sample = agents[0]!;
      expect(sample.status).toEqual({
        id: expect.any(Number),
        name: expect.any(String),
        reason: expect.any(String),
        updatedAt: expect.any(Date),
      });
      expect(sample.channels.map((c) => c.name)).toEqual(expect.arrayContaining(['messaging', 'support']));
      expect(sample.channels[0]).toMatchObject({
        workItemCount: expect.any(Number),
        maxCapacity: expect.any(Number),
      });
    });

    it('applies filters on the server', async () => {
      const online = await collect(
        client.listAgentAvailabilities({
          channelStatus: { channel: 'messaging', status: 'online' },
          selectChannel: 'messaging',
        }),
      );
      expect(online.length).toBeGreaterThan(0);
      expect(online.every((a) => a.channels.length === 1 && a.channels[0]!.status === 'online')).toBe(true);
      const chosen = await collect(client.listAgentAvailabilities({ agentIds: [AGENT + 5, AGENT] }));
      expect(chosen.map((a) => a.agentId)).toEqual([AGENT, AGENT + 5]);
      const offline = await collect(client.listAgentAvailabilities({ statusId: 2 }));
      expect(offline.every((a) => a.status?.id === 2)).toBe(true);
      const roomy = await collect(
        client.listAgentAvailabilities({ remainingCapacity: { channel: 'messaging', atLeast: 2 } }),
      );
      for (const agent of roomy) {
        const messaging = agent.channels.find((c) => c.name === 'messaging')!;
        expect(messaging.maxCapacity! - messaging.workItemCount).toBeGreaterThanOrEqual(2);
      }
    });

    it('reads one agent, following work-item pages when asked', async () => {
      for (let i = 0; i < 8; i++)
        await sim.control('post', `/agents/${AGENT}/work_items`, { channel: 'support' });
      const shallow = await client.getAgentAvailability(AGENT);
      const support = shallow.channels.find((c) => c.name === 'support')!;
      expect(support.hasMoreWorkItems).toBe(true);
      expect(support.workItems).toHaveLength(3);
      const deep = await client.getAgentAvailability(AGENT, { allWorkItems: true });
      const all = deep.channels.find((c) => c.name === 'support')!;
      expect(all.hasMoreWorkItems).toBe(false);
      expect(all.workItems).toHaveLength(all.workItemCount);
      expect(new Set(all.workItems.map((w) => w.id)).size).toBe(all.workItemCount);
    });

    it('reports an unknown agent as NOT_FOUND', async () => {
      const error = await failureOf(client.getAgentAvailability(999));
      expect(error).toMatchObject({ code: ZendeskErrorCode.NOT_FOUND, status: 404 });
      expect(error.message).toContain('999');
    });
  });

  describe('unified statuses', () => {
    it('lists default and custom statuses', async () => {
      const statuses = await client.listStatuses();
      expect(
        statuses
          .filter((s) => s.kind === 'default')
          .map((s) => s.id)
          .sort(),
      ).toEqual([2, 3, 4, 5]);
      const lunch = statuses.find((s) => s.name === 'Lunch')!;
      expect(lunch).toMatchObject({ kind: 'custom', channels: { messaging: 'offline' } });
    });

    it('sets one agent status and Zendesk reports it set by the API', async () => {
      const change = await client.setAgentStatus(AGENT, 4);
      expect(change).toEqual({ agentId: AGENT, status: { id: 4, name: 'away' } });
      const agent = await client.getAgentAvailability(AGENT);
      expect(agent.status).toMatchObject({ id: 4, reason: 'PUBLIC_API' });
    });

    it('sets many agents with a bulk job and waits for it', async () => {
      const jobs = await client.bulkSetAgentStatus([AGENT, AGENT + 1, 999], 2, { pollIntervalMs: 10 });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ status: 'completed', total: 3, progress: 3 });
      const results = new Map(jobs[0]!.results.map((r) => [r.agentId, r.status]));
      expect(results).toEqual(
        new Map([
          [AGENT, 'success'],
          [AGENT + 1, 'success'],
          [999, 'failed'],
        ]),
      );
      expect((await client.getAgentAvailability(AGENT + 1)).status?.id).toBe(2);
    });

    it("reports an unknown status as BAD_REQUEST with Zendesk's reason", async () => {
      const error = await failureOf(client.setAgentStatus(AGENT, 777));
      expect(error).toMatchObject({ code: ZendeskErrorCode.BAD_REQUEST, status: 422 });
    });
  });

  describe('capacity rules', () => {
    it('lists, reads and updates rules, and lists assignees', async () => {
      const rules = await client.listCapacityRules();
      const rule = rules.find((r) => !r.isDefault)!;
      expect(rules.filter((r) => r.isDefault)).toHaveLength(1);
      expect(await client.getCapacityRule(rule.id)).toEqual(rule);
      const updated = await client.updateCapacityRule(rule.id, {
        capacities: { messaging: 7 },
        agentIds: [AGENT],
      });
      expect(updated.capacities).toEqual({ ...rule.capacities, messaging: 7 });
      const agent = await client.getAgentAvailability(AGENT);
      expect(agent.channels.find((c) => c.name === 'messaging')!.maxCapacity).toBe(7);
      const assignees = await collect(client.listCapacityAssignees());
      expect(assignees).toHaveLength(1_234);
      expect(assignees.find((a) => a.agentId === AGENT)!.capacityRuleId).toBe(rule.id);
      const mine = await collect(client.listCapacityAssignees({ ruleId: rule.id }));
      expect(mine.map((a) => a.agentId)).toContain(AGENT);
    });
  });

  describe('credentials', () => {
    it('never shows the token in errors', async () => {
      const bad = new ZendeskClient({
        baseUrl: sim.url,
        auth: { type: 'api_token', email: 'admin@example.com', token: 'wrong-secret-token' },
      });
      try {
        const error = await failureOf(bad.getAgentAvailability(AGENT));
        expect(error.code).toBe(ZendeskErrorCode.UNAUTHORIZED);
        const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error.cause)}`;
        expect(everything).not.toContain('wrong-secret-token');
        expect(everything).not.toContain(
          Buffer.from('admin@example.com/token:wrong-secret-token').toString('base64'),
        );
      } finally {
        bad.close();
      }
    });

    it('authenticates with an OAuth token', async () => {
      const oauth = new ZendeskClient({
        baseUrl: sim.url,
        auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
      });
      try {
        expect((await oauth.getAgentAvailability(AGENT)).agentId).toBe(AGENT);
      } finally {
        oauth.close();
      }
    });
  });
});

describe('ZendeskClient under failure', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 300 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.control('post', '/reset', { agents: 300, rate_limit_per_min: 100_000 });
  });

  it('pauses every call for Retry-After during a 429 storm, then completes everything', async () => {
    const client = clientFor(sim);
    try {
      await sim.control('post', '/faults', { type: 'rate_limit', retry_after_s: 1, count: 2 });
      const first = client.getAgentAvailability(AGENT);
      while (client.budget().pausedUntil === null) await sleep(5);
      // Calls made during the pause wait for it like the one that was refused.
      const rest = Array.from({ length: 9 }, (_, i) => client.getAgentAvailability(AGENT + 1 + i));
      const results = await Promise.all([first, ...rest]);
      expect(results.map((r) => r.agentId)).toEqual(Array.from({ length: 10 }, (_, i) => AGENT + i));
      const log = await requestLog(sim);
      const arrivals = (status: number) =>
        log
          .filter((r) => r.status === status)
          .map((r) => Date.parse(r.time))
          .sort((a, b) => a - b);
      const [firstRefusal, secondRefusal, ...moreRefusals] = arrivals(429);
      const served = arrivals(200);
      expect(moreRefusals).toEqual([]);
      expect(served).toHaveLength(10);
      // Nothing went out during the first pause; the call refused twice waited out the second.
      expect(secondRefusal! - firstRefusal!).toBeGreaterThanOrEqual(1_000);
      expect(served.every((t) => t - firstRefusal! >= 1_000)).toBe(true);
      expect(served.at(-1)! - secondRefusal!).toBeGreaterThanOrEqual(1_000);
    } finally {
      client.close();
    }
  });

  it('opens the breaker on a 5xx burst, fails fast while open, half-opens and closes', async () => {
    const client = clientFor(sim, {
      retry: { maxAttempts: 1 },
      breaker: {
        volumeThreshold: 4,
        errorThresholdPercentage: 50,
        resetTimeoutMs: 300,
        rollingWindowMs: 10_000,
      },
    });
    const events: ZendeskClientEvent[] = [];
    const subscription = client.events$.subscribe((event) => events.push(event));
    try {
      await sim.control('post', '/faults', { type: 'error', status: 503 });
      for (let i = 0; i < 4; i++) {
        expect((await failureOf(client.getAgentAvailability(AGENT))).code).toBe(ZendeskErrorCode.UPSTREAM);
      }
      expect(client.budget().breaker).toBe('open');
      const sentBefore = (await requestLog(sim)).length;
      expect((await failureOf(client.getAgentAvailability(AGENT))).code).toBe(ZendeskErrorCode.CIRCUIT_OPEN);
      expect((await requestLog(sim)).length).toBe(sentBefore);

      await sleep(350);
      expect(client.budget().breaker).toBe('half_open');
      // The trial call fails: open again.
      expect((await failureOf(client.getAgentAvailability(AGENT))).code).toBe(ZendeskErrorCode.UPSTREAM);
      expect(client.budget().breaker).toBe('open');

      await sim.control('delete', '/faults');
      await sleep(350);
      expect((await client.getAgentAvailability(AGENT)).agentId).toBe(AGENT);
      expect(client.budget().breaker).toBe('closed');
      const states = events.filter((e) => e.type === 'breaker').map((e) => (e as { state: string }).state);
      expect(states).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
      // 4xx answers do not count against Zendesk's health.
      for (let i = 0; i < 6; i++) await failureOf(client.getAgentAvailability(999));
      expect(client.budget().breaker).toBe('closed');
    } finally {
      subscription.unsubscribe();
      client.close();
    }
  });

  it('times out slow answers for real: the request is cancelled and nothing is sent afterwards', async () => {
    const client = clientFor(sim, { timeoutMs: 150, retry: { maxAttempts: 1 } });
    try {
      await sim.control('post', '/faults', { type: 'latency', ms: 600, count: 1 });
      const error = await failureOf(client.getAgentAvailability(AGENT));
      expect(error.code).toBe(ZendeskErrorCode.TIMEOUT);
      await sleep(800);
      const log = await requestLog(sim);
      expect(log).toHaveLength(1);
      expect(log[0]!.status).toBeNull();
    } finally {
      client.close();
    }
  });

  it('retries an idempotent read through a timeout and succeeds', async () => {
    const client = clientFor(sim, { timeoutMs: 150 });
    try {
      await sim.control('post', '/faults', { type: 'latency', ms: 600, count: 1 });
      expect((await client.getAgentAvailability(AGENT)).agentId).toBe(AGENT);
      const log = await requestLog(sim);
      // Entries are logged as they complete: the dropped first attempt and the retry.
      expect(log.map((r) => r.status)).toHaveLength(2);
      expect(log.map((r) => r.status)).toEqual(expect.arrayContaining([null, 200]));
    } finally {
      client.close();
    }
  });

  it('survives an outage: network errors, then recovery once Zendesk is back', async () => {
    const client = clientFor(sim, {
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
      breaker: { volumeThreshold: 4, resetTimeoutMs: 200 },
    });
    try {
      await sim.control('post', '/faults', { type: 'outage' });
      const errors = [];
      for (let i = 0; i < 4; i++) errors.push((await failureOf(client.getAgentAvailability(AGENT))).code);
      expect(errors.slice(0, 2)).toEqual([ZendeskErrorCode.NETWORK, ZendeskErrorCode.NETWORK]);
      expect(errors).toContain(ZendeskErrorCode.CIRCUIT_OPEN);
      await sim.control('delete', '/faults');
      await sleep(250);
      const agents = await collect(client.listAgentAvailabilities());
      expect(agents).toHaveLength(300);
      expect(client.budget().breaker).toBe('closed');
    } finally {
      client.close();
    }
  });

  it('does not retry a call that is not idempotent-safe to repeat on 4xx', async () => {
    const client = clientFor(sim);
    try {
      await failureOf(client.setAgentStatus(AGENT, 777));
      expect((await requestLog(sim)).filter((r) => r.method === 'PUT')).toHaveLength(1);
    } finally {
      client.close();
    }
  }, 60_000);
});

describe('rate budget, proved with the request log', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 100, rateLimitPerMin: 1_000_000 });
  });
  afterAll(() => sim.close());

  it('never exceeds the budget in any sliding window, and writes overtake reads', async () => {
    const budget = 150;
    const windowMs = 200;
    // The whole window is open to targeted reads here, so that only the priorities order the calls.
    const client = clientFor(sim, { requestsPerMinute: budget, budgetWindowMs: windowMs, readShare: 1 });
    try {
      const kinds: Array<Promise<unknown>> = [];
      // Bulk reads go to the first 50 agents, targeted reads to the other 50, so the log tells them apart.
      for (let i = 0; i < 1_000; i++)
        kinds.push(client.getAgentAvailability(AGENT + (i % 50), { priority: 'bulk' }));
      for (let i = 0; i < 1_000; i++) kinds.push(client.getAgentAvailability(AGENT + 50 + (i % 50)));
      for (let i = 0; i < 1_000; i++)
        kinds.push(client.setAgentStatus(AGENT + (i % 100), i % 2 === 0 ? 3 : 4));
      expect(client.budget().queued).toBe(3_000 - budget);
      await Promise.all(kinds);

      const log = await requestLog(sim);
      expect(log).toHaveLength(3_000);
      expect(log.every((r) => r.status === 200)).toBe(true);
      // The log is in completion order; the window counts arrivals.
      const times = log.map((r) => Date.parse(r.time)).sort((a, b) => a - b);
      let peak = 0;
      for (let i = 0, start = 0; i < times.length; i++) {
        while (times[start]! <= times[i]! - windowMs) start++;
        peak = Math.max(peak, i - start + 1);
      }
      expect(peak).toBeLessThanOrEqual(budget);
      expect(peak).toBeGreaterThan(budget / 2);

      // Bulk reads were queued first and fill the first window. After that every write is granted
      // before any targeted read and every read before the remaining bulk reads; calls granted in
      // the same instant may arrive in either order, hence one window of tolerance.
      const arrivals = (wanted: (r: LoggedRequest) => boolean) =>
        log
          .filter(wanted)
          .map((r) => Date.parse(r.time))
          .sort((a, b) => a - b);
      const agentOf = (r: LoggedRequest) => Number(r.path.split('/').pop());
      const writes = arrivals((r) => r.method === 'PUT');
      const reads = arrivals((r) => r.method === 'GET' && agentOf(r) >= AGENT + 50);
      const laterBulk = arrivals((r) => r.method === 'GET' && agentOf(r) < AGENT + 50).slice(budget);
      expect(writes.at(-1)!).toBeLessThanOrEqual(reads[0]! + windowMs);
      expect(reads.at(-1)!).toBeLessThanOrEqual(laterBulk[0]! + windowMs);
      expect(writes.at(-1)!).toBeLessThan(laterBulk[0]!);
    } finally {
      client.close();
    }
  }, 60_000);
});
