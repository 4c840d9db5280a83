import request from 'supertest';
import { AuditStore } from '../apps/router/src/audit/audit.store';
import { AgentSyncService } from '../apps/router/src/sync/agent-sync.service';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const AGENTS = [360_099_100_001, 360_099_100_002, 360_099_100_003, 360_099_100_004, 360_099_100_005];
const BREAK = 9002;
const NO_BREAKS = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

interface LoggedRequest {
  time: string;
  method: string;
  path: string;
  status: number | null;
}

/** The most requests that reached the simulator in any sliding window of `windowMs`. */
function peakInWindow(log: readonly LoggedRequest[], windowMs: number): number {
  const times = log.map((r) => Date.parse(r.time)).sort((a, b) => a - b);
  let peak = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

describe('the router when Zendesk misbehaves', () => {
  let h: RouterHarness;
  const statusOf = async (id: number) =>
    (await h.sim.control('get', `/agents/${id}`)).body.agent.status.name as string;
  const requests = async () => (await h.sim.control('get', '/requests')).body.requests as LoggedRequest[];

  afterEach(() => h.close());

  it('waits out a 429 storm within its budget and then applies every intended change', async () => {
    // A small budget (6 requests a second) so the test sees the limit bite.
    h = await startRouter(NO_BREAKS, {}, 10, { requestsPerMinute: 6, budgetWindowMs: 1_000 });
    await h.sim.control('delete', '/requests');
    await h.sim.control('post', '/faults', { type: 'rate_limit', retry_after_s: 1, count: 3 });
    for (const id of AGENTS) await h.sim.control('put', `/agents/${id}`, { status_id: BREAK });
    const statuses = await eventually(
      () => Promise.all(AGENTS.map(statusOf)),
      (s) => s.every((name) => name === 'away'),
      15_000,
    );
    expect(statuses).toEqual(AGENTS.map(() => 'away'));
    const log = await requests();
    expect(log.filter((r) => r.status === 429)).toHaveLength(3);
    expect(log.filter((r) => r.method === 'PUT' && r.status === 200)).toHaveLength(AGENTS.length);
    expect(peakInWindow(log, 1_000)).toBeLessThanOrEqual(6);
  }, 25_000);

  it('stops promptly with writes waiting for the budget, recording what it sent', async () => {
    // Five requests per ten minutes: three to start (statuses, capacity rules, the agent list),
    // two writes, and the third write would wait far longer than this test runs.
    h = await startRouter(NO_BREAKS, {}, 10, { requestsPerMinute: 5, budgetWindowMs: 600_000 });
    await h.sim.control('delete', '/requests');
    for (const id of AGENTS) await h.sim.control('put', `/agents/${id}`, { status_id: BREAK });
    const sent = await eventually(
      async () => (await requests()).filter((r) => r.method === 'PUT'),
      (puts) => puts.length >= 1,
      8_000,
    );
    expect(sent.length).toBeGreaterThanOrEqual(1);
    const audit = h.router.get(AuditStore);
    await h.router.close();
    const puts = (await requests()).filter((r) => r.method === 'PUT' && r.status === 200);
    expect(puts.length).toBeLessThan(AGENTS.length);
    // Every write Zendesk took has its row; the agents not reached are decided again at the next start.
    const applied = (await audit.decisions({ outcome: 'applied', limit: 500 })).decisions;
    expect(applied).toHaveLength(puts.length);
  }, 20_000);

  it('in an outage: records the failed writes, opens the breaker, recovers, and applies them', async () => {
    h = await startRouter(NO_BREAKS, {}, 10, {
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 500 },
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
    });
    await h.sim.control('post', '/faults', { type: 'error', status: 503, path_prefix: '/api/v2' });
    for (const id of AGENTS) await h.sim.control('put', `/agents/${id}`, { status_id: BREAK });
    const audit = h.router.get(AuditStore);
    const failed = await eventually(
      async () => (await audit.decisions({ outcome: 'failed', limit: 500 })).decisions,
      (decisions) => new Set(decisions.map((d) => d.agentId)).size === AGENTS.length,
      10_000,
    );
    expect(new Set(failed.map((d) => d.agentId))).toEqual(new Set(AGENTS));
    const degraded = (await request(h.url).get('/health').expect(200)).body;
    expect(degraded).toMatchObject({ status: 'degraded', details: { zendesk: { status: 'degraded' } } });
    expect(['open', 'half_open']).toContain(degraded.details.zendesk.breaker);
    expect(await Promise.all(AGENTS.map(statusOf))).toEqual(AGENTS.map(() => 'Break'));

    // Zendesk is back: after the breaker's reset time the next pass gets through and closes it.
    await h.sim.control('delete', '/faults');
    const sync = h.router.get(AgentSyncService);
    const recovered = await eventually(
      async () => {
        await sync.tick();
        return Promise.all(AGENTS.map(statusOf));
      },
      (s) => s.every((name) => name === 'away'),
      10_000,
    );
    expect(recovered).toEqual(AGENTS.map(() => 'away'));
    const applied = (await audit.decisions({ outcome: 'applied', limit: 500 })).decisions;
    expect(new Set(applied.map((d) => d.agentId))).toEqual(new Set(AGENTS));
    expect((await request(h.url).get('/health').expect(200)).body.details.zendesk).toMatchObject({
      status: 'up',
      breaker: 'closed',
    });
  }, 30_000);
});
