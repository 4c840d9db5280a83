import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const STATUSES = '/api/v2/agent_availabilities/agent_statuses';
const AWAY = 4;

async function versions(sim: SimHarness): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let next: string | undefined = '/api/v2/agent_availabilities';
  while (next) {
    const res: { body: any } = await sim.get(next.replace(sim.url, '')).expect(200);
    for (const a of res.body.data) out.set(a.attributes.agent_id, a.attributes.version);
    next = res.body.links.next;
  }
  return out;
}

describe('live activity', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ activity: true, rateLimitPerMin: 100_000 });
    await sim.freezeClock('2025-03-14T09:00:00Z');
    // Freezing keeps the steps already scheduled; start from a clean, seeded account.
    await sim.control('post', '/reset', { activity: true });
  });
  afterAll(() => sim.close());

  it('moves agents along as the simulator clock advances', async () => {
    const before = await versions(sim);
    await sim.advance(10 * 60_000);
    const after = await versions(sim);
    const changed = [...after].filter(([id, version]) => version > before.get(id)!);
    expect(changed.length).toBeGreaterThan(before.size / 4);
    const state = (await sim.control('get', '/activity')).body;
    expect(state).toMatchObject({ running: true, step_ms: 5_000, steps: 120 });
    expect(state.work_items_added).toBeGreaterThan(0);
    expect(state.status_changes).toBeGreaterThan(0);
    expect(state).toHaveProperty('offers_missed');
  });

  it('keeps a status set through the API while the day goes on', async () => {
    const list = (await sim.get('/api/v2/agent_availabilities?filter[agent_status_id]=3').expect(200)).body;
    const agentId: number = list.data[0].attributes.agent_id;
    await sim
      .http()
      .put(`${STATUSES}/agents/${agentId}`)
      .set('Authorization', AUTH.admin)
      .send({ id: AWAY })
      .expect(200);
    await sim.advance(30_000);
    const agent = (await sim.get(`/api/v2/agent_availabilities/${agentId}`).expect(200)).body.data;
    expect(agent.attributes.agent_status).toMatchObject({ id: AWAY, reason: 'PUBLIC_API' });
  });

  it('stops changing anything when switched off, and starts again when switched on', async () => {
    expect((await sim.control('put', '/activity', { enabled: false })).body.running).toBe(false);
    const before = await versions(sim);
    await sim.advance(10 * 60_000);
    expect(await versions(sim)).toEqual(before);
    expect((await sim.control('put', '/activity', { enabled: true })).body.running).toBe(true);
    await sim.advance(60_000);
    expect(await versions(sim)).not.toEqual(before);
  });

  it('gives the same day for the same seed', async () => {
    const run = async () => {
      await sim.freezeClock('2025-03-14T09:00:00Z');
      await sim.control('post', '/reset', { seed: 9, activity: true });
      await sim.advance(5 * 60_000);
      return versions(sim);
    };
    expect(await run()).toEqual(await run());
  });

  it('refuses a bad body naming the field', async () => {
    const missing = await sim.http().put('/sim/activity').send({}).expect(400);
    expect(missing.body.message).toContain('body.enabled is required');
    const wrong = await sim.http().put('/sim/activity').send({ enabled: 'yes' }).expect(400);
    expect(wrong.body.message).toContain('body.enabled must be true or false');
    const unknown = await sim.http().put('/sim/activity').send({ enabled: true, speed: 2 }).expect(400);
    expect(unknown.body.message).toContain('speed');
  });
});
