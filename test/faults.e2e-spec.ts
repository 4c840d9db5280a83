import request from 'supertest';
import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const AGENT = '/api/v2/agent_availabilities/360099100001';

/** The outcome of one request that may never get an answer. */
async function attempt(sim: SimHarness, path: string, timeoutMs = 5_000): Promise<number | string> {
  try {
    const res = await request(sim.url).get(path).set('Authorization', AUTH.admin).timeout(timeoutMs);
    return res.status;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

describe('fault injection through the control API', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ rateLimitPerMin: 100_000 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.control('delete', '/faults');
    await sim.control('delete', '/requests');
  });

  it('a 5xx burst fails exactly `count` requests, then switches itself off', async () => {
    const { body } = await sim.control('post', '/faults', { type: 'error', status: 503, count: 3 });
    expect(body.fault).toMatchObject({ type: 'error', status: 503, remaining: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await attempt(sim, AGENT));
    expect(statuses).toEqual([503, 503, 503, 200, 200]);
    expect((await sim.control('get', '/faults')).body.faults).toEqual([]);
  });

  it('an error answer carries the JSON:API error body', async () => {
    await sim.control('post', '/faults', { type: 'error', status: 500, count: 1 });
    const res = await sim.get(AGENT).expect(500);
    expect(res.body.errors[0]).toMatchObject({ status: '500' });
  });

  it('only touches the paths and methods it is scoped to', async () => {
    await sim.control('post', '/faults', { type: 'error', status: 502, path_prefix: '/api/v2/capacity' });
    expect(await attempt(sim, AGENT)).toBe(200);
    expect(await attempt(sim, '/api/v2/capacity/rules')).toBe(502);
    await sim.control('delete', '/faults');
    expect(await attempt(sim, '/api/v2/capacity/rules')).toBe(200);
  });

  it('a fault with a duration ends when the simulator clock passes it', async () => {
    await sim.freezeClock();
    await sim.control('post', '/faults', { type: 'error', status: 500, duration_ms: 10_000 });
    expect(await attempt(sim, AGENT)).toBe(500);
    await sim.advance(9_999);
    expect(await attempt(sim, AGENT)).toBe(500);
    await sim.advance(1);
    expect(await attempt(sim, AGENT)).toBe(200);
    await sim.control('put', '/clock', { frozen: false });
  });

  it('a 429 storm answers with its Retry-After without touching the real budget', async () => {
    await sim.control('post', '/faults', { type: 'rate_limit', retry_after_s: 7, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await sim.get(AGENT).expect(429);
      expect(res.headers['retry-after']).toBe('7');
    }
    await sim.get(AGENT).expect(200);
  });

  it('added latency delays the answer by at least the configured time', async () => {
    await sim.control('post', '/faults', { type: 'latency', ms: 250, count: 1 });
    await sim.get(AGENT).expect(200);
    await sim.get(AGENT).expect(200);
    const log = (await sim.control('get', '/requests')).body.requests;
    expect(log[0].duration_ms).toBeGreaterThanOrEqual(250);
    expect(log[1].duration_ms).toBeLessThan(250);
  });

  it('a timeout holds the request without an answer, then drops the connection', async () => {
    await sim.control('post', '/faults', { type: 'timeout', hold_ms: 300, count: 1 });
    expect(await attempt(sim, AGENT)).toBe('ECONNRESET');
    const log = (await sim.control('get', '/requests')).body.requests;
    expect(log).toHaveLength(1);
    expect(log[0].status).toBeNull();
    expect(await attempt(sim, AGENT)).toBe(200);
  });

  it('a timeout outlasting the client leaves the client to give up', async () => {
    await sim.control('post', '/faults', { type: 'timeout', hold_ms: 2_000, count: 1 });
    expect(await attempt(sim, AGENT, 100)).toBe('ECONNABORTED');
  });

  it('an outage resets connections, or answers 503, until it is switched off', async () => {
    const { body } = await sim.control('post', '/faults', { type: 'outage' });
    expect(await attempt(sim, AGENT)).toBe('ECONNRESET');
    expect(await attempt(sim, '/api/v2/capacity/rules')).toBe('ECONNRESET');
    await sim.control('delete', `/faults/${body.fault.id}`);
    expect(await attempt(sim, AGENT)).toBe(200);

    await sim.control('post', '/faults', { type: 'outage', mode: 'unavailable' });
    expect(await attempt(sim, AGENT)).toBe(503);
    await sim.control('delete', '/faults');
    expect(await attempt(sim, AGENT)).toBe(200);
  });

  it('the most drastic of several faults wins', async () => {
    await sim.control('post', '/faults', { type: 'rate_limit', count: 1 });
    await sim.control('post', '/faults', { type: 'error', status: 500, count: 1 });
    expect(await attempt(sim, AGENT)).toBe(500);
  });

  it('refuses a bad fault naming the field', async () => {
    const bad = async (body: object) =>
      (await sim.http().post('/sim/faults').send(body).expect(400)).body.message;
    expect(await bad({})).toContain('body.type is required');
    expect(await bad({ type: 'meteor' })).toContain('body.type must be one of');
    expect(await bad({ type: 'error', status: 404 })).toContain(
      'body.status must be an integer from 500 to 599',
    );
    expect(await bad({ type: 'error', count: 0 })).toContain('body.count');
    expect(await bad({ type: 'error', probability: 2 })).toContain('body.probability');
    expect(await bad({ type: 'error', colour: 'red' })).toContain('Unknown field in body: colour');
    expect((await sim.control('get', '/faults')).body.faults).toEqual([]);
  });
});

describe('request log', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.close());

  it('records method, path, query, status, time and caller of every Zendesk request, and nothing else', async () => {
    await sim.freezeClock('2025-03-14T09:00:00Z');
    await sim.get('/api/v2/agent_availabilities?page[size]=2').expect(200);
    await sim.advance(1_500);
    await sim.get(`${AGENT}.json`, AUTH.agent).expect(403);
    await sim.http().get('/api/v2/capacity/rules').expect(401);
    await sim.control('get', '/state');
    const { body } = await sim.control('get', '/requests');
    expect(body.requests).toEqual([
      expect.objectContaining({
        seq: 1,
        method: 'GET',
        path: '/api/v2/agent_availabilities',
        query: 'page[size]=2',
        status: 200,
        time: '2025-03-14T09:00:00.000Z',
        identity: 'admin@example.com',
      }),
      expect.objectContaining({
        seq: 2,
        method: 'GET',
        path: `${AGENT}.json`,
        status: 403,
        time: '2025-03-14T09:00:01.500Z',
        identity: 'agent@example.com',
      }),
      expect.objectContaining({ seq: 3, path: '/api/v2/capacity/rules', status: 401, identity: null }),
    ]);
    const after = await sim.control('get', '/requests?after=2');
    expect(after.body.requests.map((r: { seq: number }) => r.seq)).toEqual([3]);
    await sim.control('delete', '/requests');
    expect((await sim.control('get', '/requests')).body.requests).toEqual([]);
  });
});
