import { ZendeskClient } from '@app/zendesk';
import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const FIRST = 360_099_100_001;

describe('Users API (section 13): the simulator and the client', () => {
  let sim: SimHarness;
  let client: ZendeskClient;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 150 });
    client = new ZendeskClient({
      baseUrl: sim.url,
      auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
      // Exhausted at once: Users API calls must not need any omnichannel budget.
      requestsPerMinute: 1,
      usersRequestsPerMinute: 1_000,
      retry: { maxAttempts: 1 },
    });
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });

  it('shows one seeded agent as a user, with its name, email and time zone', async () => {
    const seeded = (await sim.control('get', `/agents/${FIRST}`)).body.agent;
    const { body } = await sim.get(`/api/v2/users/${FIRST}.json`).expect(200);
    expect(body.user).toMatchObject({
      id: FIRST,
      name: seeded.name,
      email: seeded.email,
      role: 'agent',
      active: true,
      iana_time_zone: seeded.time_zone,
    });
    expect(typeof body.user.time_zone).toBe('string');
  });

  it('answers show_many with the known ids only, and refuses more than 100', async () => {
    const { body } = await sim.get(`/api/v2/users/show_many?ids=${FIRST},${FIRST + 1},999`).expect(200);
    expect(body.users.map((u: { id: number }) => u.id)).toEqual([FIRST, FIRST + 1]);
    const ids = Array.from({ length: 101 }, (_, i) => FIRST + i).join(',');
    const tooMany = await sim.get(`/api/v2/users/show_many?ids=${ids}`).expect(400);
    expect(tooMany.body).toEqual({ error: 'BadRequest', description: expect.stringContaining('ids') });
    const bad = await sim.get('/api/v2/users/show_many?ids=1,x').expect(400);
    expect(bad.body.description).toContain('ids');
  });

  it('finds a user by email, and gives Support-style errors and the 401 of every API', async () => {
    const seeded = (await sim.control('get', `/agents/${FIRST + 3}`)).body.agent;
    const found = await sim
      .get(`/api/v2/users/search?query=${encodeURIComponent(`email:${seeded.email}`)}`)
      .expect(200);
    expect(found.body.users.map((u: { id: number }) => u.id)).toEqual([FIRST + 3]);
    const none = await sim.get('/api/v2/users/search?query=email:nobody@example.com').expect(200);
    expect(none.body.users).toEqual([]);
    const unknown = await sim.get('/api/v2/users/42').expect(404);
    expect(unknown.body).toEqual({ error: 'RecordNotFound', description: 'Not found' });
    await sim.get(`/api/v2/users/${FIRST}`, AUTH.agent).expect(200);
    const anonymous = await sim.http().get(`/api/v2/users/${FIRST}`).expect(401);
    expect(anonymous.body).toEqual({ error: "Couldn't authenticate you" });
  });

  it('reads users in batches of 100 through its own budget, decoding what it relies on', async () => {
    await sim.control('delete', '/requests');
    const ids = Array.from({ length: 150 }, (_, i) => FIRST + i);
    const users = await client.getUsers([...ids, 999]);
    expect(users).toHaveLength(150);
    const seeded = (await sim.control('get', `/agents/${FIRST + 120}`)).body.agent;
    expect(users.find((u) => u.id === FIRST + 120)).toEqual({
      id: FIRST + 120,
      name: seeded.name,
      email: seeded.email,
      role: 'agent',
      active: true,
      timeZone: expect.any(String),
      ianaTimeZone: seeded.time_zone,
    });
    const calls = (await sim.control('get', '/requests')).body.requests as Array<{ path: string }>;
    expect(calls.map((c) => c.path)).toEqual(['/api/v2/users/show_many', '/api/v2/users/show_many']);
    // The omnichannel budget (1 a minute) is untouched: an availability read still goes at once.
    expect(client.budget().remaining).toBe(1);
    expect((await client.getUser(FIRST)).name).toBe(users[0]!.name);
    expect(await client.findUsersByEmail(seeded.email)).toEqual([users.find((u) => u.id === FIRST + 120)]);
  });
});
