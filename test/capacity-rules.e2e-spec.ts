import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const RULES = '/api/v2/capacity/rules';
const AGENT = 360_099_100_001;

describe('Capacity Rules API', () => {
  let sim: SimHarness;

  const send = (
    method: 'post' | 'put' | 'patch' | 'delete',
    path: string,
    body?: unknown,
    auth: string = AUTH.admin,
  ) => {
    const req = sim.http()[method](path).set('Authorization', auth);
    return body === undefined ? req : req.set('Content-Type', 'application/json').send(JSON.stringify(body));
  };
  const rules = async () => (await sim.get(RULES).expect(200)).body as any[];
  const maxCapacity = async (agentId: number, channel: string) => {
    const { body } = await sim.get(`/api/v2/agent_availabilities/${agentId}`).expect(200);
    const found = body.included.find((r: any) => r.type === 'channels' && r.attributes.name === channel);
    return { max: found?.attributes.max_capacity as number, version: body.data.attributes.version as number };
  };

  beforeAll(async () => {
    sim = await startSim({ rateLimitPerMin: 100_000, agentCount: 90 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.control('post', '/reset', {});
  });

  it('lists rules as a bare array in the documented shape, exactly one of them the default', async () => {
    const list = await rules();
    expect(Array.isArray(list)).toBe(true);
    expect(list.filter((r) => r.default)).toHaveLength(1);
    for (const rule of list) {
      expect(rule).toEqual({
        id: expect.stringMatching(/^[0-9A-Z]{26}$/),
        name: expect.any(String),
        description: expect.any(String),
        default: expect.any(Boolean),
        capacities: { email: expect.any(Number), messaging: expect.any(Number), voice: expect.any(Number) },
        assignees: { agents_sample: expect.any(Array), count: expect.any(Number) },
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        last_updated_at: expect.stringMatching(/\.\d{3}Z$/),
      });
    }
    expect(list.reduce((n, r) => n + r.assignees.count, 0)).toBe(90);
  });

  it('shows one rule, and answers 404 {"error": ...} for an unknown one', async () => {
    const [first] = await rules();
    expect((await sim.get(`${RULES}/${first.id}`).expect(200)).body).toEqual(first);
    expect((await sim.get(`${RULES}/01NOPE`).expect(404)).body).toEqual({ error: 'Capacity rule not found' });
    await send('put', `${RULES}/01NOPE`, { name: 'x' }).expect(404);
    await send('delete', `${RULES}/01NOPE`).expect(404);
  });

  it('creates a rule (201, Location), fills missing capacities from the default and moves agents in', async () => {
    const before = await rules();
    const previous = before.find(
      (r) => r.assignees.agents_sample.some((a: any) => a.id === AGENT) || r.default,
    )!;
    const agentBefore = await maxCapacity(AGENT, 'messaging');
    const res = await send('post', RULES, {
      name: 'Night shift',
      description: 'Fewer chats',
      capacities: { messaging: 9 },
      agent_ids: [AGENT],
    }).expect(201);
    expect(res.headers.location).toBe(`${RULES}/${res.body.id}`);
    const defaults = before.find((r) => r.default)!.capacities;
    expect(res.body).toMatchObject({
      name: 'Night shift',
      default: false,
      capacities: { email: defaults.email, messaging: 9, voice: defaults.voice },
      assignees: { count: 1, agents_sample: [{ id: AGENT, name: expect.stringContaining('@') }] },
    });
    const agentAfter = await maxCapacity(AGENT, 'messaging');
    expect(agentAfter.max).toBe(9);
    expect(agentAfter.version).toBeGreaterThan(agentBefore.version);
    const previousAfter = (await rules()).find((r) => r.id === previous.id)!;
    expect(previousAfter.assignees.count).toBeLessThanOrEqual(previous.assignees.count);
  });

  it.each([
    ['no name', { capacities: { email: 1 } }, 'name'],
    ['an empty name', { name: '  ' }, 'name'],
    ['a negative capacity', { name: 'x', capacities: { messaging: -1 } }, 'capacities.messaging'],
    ['a fractional capacity', { name: 'x', capacities: { email: 1.5 } }, 'capacities.email'],
    ['an unknown channel', { name: 'x', capacities: { fax: 1 } }, 'capacities.fax'],
    ['capacities that are not an object', { name: 'x', capacities: [1] }, 'capacities'],
    ['an unknown agent', { name: 'x', agent_ids: [999] }, '999'],
    ['agent_ids that are not ids', { name: 'x', agent_ids: 'all' }, 'agent_ids'],
    ['a non-boolean default', { name: 'x', default: 'yes' }, 'default'],
    ['a duplicate name', { name: 'New starters' }, 'New starters'],
  ])('refuses a create with %s (400 naming it), changing nothing', async (_case, body, named) => {
    const before = await rules();
    const res = await send('post', RULES, body).expect(400);
    expect(res.body.error).toContain(named);
    expect(await rules()).toEqual(before);
  });

  it('updates partially: capacities merge per channel, last_updated_at moves on', async () => {
    await sim.freezeClock('2025-03-14T09:00:00Z');
    const rule = (await rules()).find((r) => r.name === 'New starters')!;
    await sim.advance(60_000);
    const res = await send('put', `${RULES}/${rule.id}`, { capacities: { messaging: 2 } }).expect(200);
    expect(res.body.capacities).toEqual({ ...rule.capacities, messaging: 2 });
    expect(res.body.name).toBe(rule.name);
    expect(res.body.last_updated_at).toBe('2025-03-14T09:01:00.000Z');
    const bad = await send('put', `${RULES}/${rule.id}`, { capacities: { voice: 'one' } }).expect(400);
    expect(bad.body.error).toContain('capacities.voice');
    expect((await sim.get(`${RULES}/${rule.id}`).expect(200)).body.capacities.messaging).toBe(2);
  });

  it('changes max_capacity of every agent in a rule when its capacities change', async () => {
    const rule = (await rules()).find((r) => r.default)!;
    const member = rule.assignees.agents_sample[0].id;
    const before = await maxCapacity(member, 'support');
    await send('put', `${RULES}/${rule.id}`, { capacities: { email: before.max + 3 } }).expect(200);
    const after = await maxCapacity(member, 'support');
    expect(after).toEqual({ max: before.max + 3, version: before.version + 1 });
  });

  it('moves agents with PATCH /{id}/agents', async () => {
    const rule = (await rules()).find((r) => r.name === 'Senior agents')!;
    const res = await send('patch', `${RULES}/${rule.id}/agents`, { agents: [AGENT, AGENT + 1] }).expect(200);
    expect(res.body.assignees.agents_sample.map((a: any) => a.id)).toEqual(
      expect.arrayContaining([AGENT, AGENT + 1]),
    );
    await send('patch', `${RULES}/${rule.id}/agents`, { agents: 'x' }).expect(400);
  });

  it('deletes a rule (204) and its agents move to the default rule; the default cannot be deleted', async () => {
    const list = await rules();
    const rule = list.find((r) => r.name === 'New starters')!;
    const fallback = list.find((r) => r.default)!;
    await send('patch', `${RULES}/${rule.id}/agents`, { agents: [AGENT] }).expect(200);
    const res = await send('delete', `${RULES}/${rule.id}`).expect(204);
    expect(res.text).toBe('');
    await sim.get(`${RULES}/${rule.id}`).expect(404);
    const assignee = (await sim.get(`${RULES}/assignees?filter[agent_ids]=${AGENT}`).expect(200)).body
      .assignees;
    expect(assignee).toEqual([{ agent_id: AGENT, capacity_rule_id: fallback.id }]);
    const refused = await send('delete', `${RULES}/${fallback.id}`).expect(400);
    expect(refused.body).toEqual({ error: "The default capacity rule can't be deleted" });
  });

  it('makes a new default rule, leaving exactly one', async () => {
    const res = await send('post', RULES, {
      name: 'Weekend',
      capacities: { email: 5, messaging: 2, voice: 0 },
      default: true,
    }).expect(201);
    const list = await rules();
    expect(list.filter((r) => r.default).map((r) => r.id)).toEqual([res.body.id]);
  });

  describe('assignees', () => {
    it('pages through every agent once, 20 per page by default, in both directions', async () => {
      const seen: number[] = [];
      let next: string | undefined = `${RULES}/assignees`;
      let page: any;
      while (next) {
        page = (await sim.get(next.replace(sim.url, '')).expect(200)).body;
        expect(page.assignees.length).toBeLessThanOrEqual(20);
        seen.push(...page.assignees.map((a: any) => a.agent_id));
        expect(page.meta.has_more).toBe(page.links.next !== undefined);
        next = page.links.next;
      }
      expect(seen).toHaveLength(90);
      expect(new Set(seen).size).toBe(90);
      const back: number[] = [];
      let prev: string | undefined = page.links.prev;
      while (prev) {
        const p: any = (await sim.get(prev.replace(sim.url, '')).expect(200)).body;
        back.unshift(...p.assignees.map((a: any) => a.agent_id));
        prev = p.links.prev;
      }
      expect(back).toEqual(seen.slice(0, 80));
    });

    it('filters by agent ids, tolerating spaces after commas', async () => {
      const { body } = await sim
        .get(`${RULES}/assignees?filter%5Bagent_ids%5D=${AGENT + 2}%2C+${AGENT}`)
        .expect(200);
      expect(body.assignees.map((a: any) => a.agent_id)).toEqual([AGENT, AGENT + 2]);
    });

    it("lists one rule's assignees", async () => {
      const rule = (await rules()).find((r) => r.default)!;
      const { body } = await sim.get(`${RULES}/${rule.id}/assignees?page[size]=100`).expect(200);
      expect(body.assignees).toHaveLength(rule.assignees.count);
      expect(body.assignees.every((a: any) => a.capacity_rule_id === rule.id)).toBe(true);
    });

    it.each([
      'page[size]=0',
      'page[size]=101',
      'page[after]=1&page[before]=2',
      'page[after]=abc',
      'filter[agent_ids]=x',
    ])('answers 400 {"error": ...} for %s', async (query) => {
      const res = await sim.get(`${RULES}/assignees?${query}`).expect(400);
      expect(typeof res.body.error).toBe('string');
    });
  });

  it('is for admins only', async () => {
    await sim.get(RULES, AUTH.agent).expect(403);
    await sim.get(`${RULES}/assignees`, AUTH.agent).expect(403);
    await send('post', RULES, { name: 'x' }, AUTH.agent).expect(403);
  });
});
