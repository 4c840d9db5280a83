import request from 'supertest';
import { AgentDirectory } from '../apps/router/src/sync/agent-directory';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const FIRST = 360_099_100_001;
const AGENTS = 30;
const BREAK = 9002;
const TRANSFERS_ONLY = 5;
const API_TOKEN = 'agents-api-e2e-token';

const RULES = `timezone: Europe/Berlin
statuses: [Break]
rules:
  - name: long-break
    priority: 1
    for: 1h
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
  - name: no-transfers-only
    priority: 2
    when: { fact: status.name, operator: equal, value: transfers_only }
    then: { set_status: online }
`;

interface Row {
  id: number;
  name: string | null;
  email: string | null;
  timeZone: string | null;
  groupIds: number[];
  status: string | null;
  timeInStatusS: number | null;
  channels: Array<{ name: string; status: string | null; workItems: number; capacity: number | null }>;
  lastAction: { rule: string; outcome: string; time: string } | null;
  lastChange: { rule: string; outcome: string; time: string } | null;
  hold: unknown;
  pending: Array<{ rule: string; since: string; firesAt: string }>;
}
interface Page {
  total: number;
  offset: number;
  limit: number;
  nextOffset: number | null;
  namesPending: number;
  agents: Row[];
}

describe('GET /api/agents against the simulator', () => {
  let h: RouterHarness;
  const list = async (query = ''): Promise<Page> =>
    (await request(h.url).get(`/api/agents${query}`).set('Authorization', `Bearer ${API_TOKEN}`).expect(200))
      .body as Page;
  const refused = async (query: string): Promise<string> => {
    const response = await request(h.url)
      .get(`/api/agents${query}`)
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .expect(400);
    expect(response.body.error).toBe('bad_request');
    return response.body.message as string;
  };
  const seeded = async (id: number) => (await h.sim.control('get', `/agents/${id}`)).body.agent;

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: API_TOKEN }, AGENTS);
  });
  afterAll(() => h.close());

  it('lists every agent with the name, email and time zone the Users API gives', async () => {
    await h.router.get(AgentDirectory).idle();
    const page = await eventually(
      () => list('?limit=1000'),
      (p) => p.namesPending === 0 && p.agents.every((a) => a.name !== null),
    );
    expect(page.total).toBe(AGENTS);
    expect(page.agents.map((a) => a.id)).toEqual(Array.from({ length: AGENTS }, (_, i) => FIRST + i));
    for (const id of [FIRST, FIRST + 17]) {
      const sim = await seeded(id);
      const row = page.agents.find((a) => a.id === id)!;
      expect(row).toMatchObject({
        name: sim.name,
        email: sim.email,
        timeZone: sim.time_zone,
        groupIds: sim.group_ids,
        status: sim.status.name,
      });
      expect(row.channels.map((c) => c.name).sort()).toEqual(Object.keys(sim.channels).sort());
      const messaging = row.channels.find((c) => c.name === 'messaging')!;
      expect(messaging.workItems).toBe(sim.channels.messaging.work_items.length);
      expect(messaging.capacity).toEqual(expect.any(Number));
      expect(row.timeInStatusS).toEqual(expect.any(Number));
    }
    // Names come from show_many, in one call for 30 agents; no one-by-one reads.
    const calls = (await h.sim.control('get', '/requests')).body.requests as Array<{ path: string }>;
    expect(calls.filter((c) => c.path.startsWith('/api/v2/users')).map((c) => c.path)).toEqual([
      '/api/v2/users/show_many',
    ]);
  });

  it('filters by group and by unified status name', async () => {
    const all = (await list('?limit=1000')).agents;
    const group = all[0]!.groupIds[0]!;
    const inGroup = await list(`?group_id=${group}&limit=1000`);
    expect(inGroup.agents.map((a) => a.id)).toEqual(
      all.filter((a) => a.groupIds.includes(group)).map((a) => a.id),
    );
    expect(inGroup.total).toBeLessThan(AGENTS);
    const online = await list('?status=online&limit=1000');
    expect(online.total).toBe(all.filter((a) => a.status === 'online').length);
    expect(online.agents.every((a) => a.status === 'online')).toBe(true);
  });

  it('shows a pending `for` timer, and finds the agents a rule changed in the last hour', async () => {
    const onBreak = FIRST + 4;
    const changed = FIRST + 5;
    await h.sim.control('put', `/agents/${onBreak}`, { status_id: BREAK });
    await h.sim.control('put', `/agents/${changed}`, { status_id: TRANSFERS_ONLY });
    const breakPage = await eventually(
      () => list('?status=break'),
      (p) => p.agents.some((a) => a.id === onBreak && a.pending.length > 0),
    );
    const row = breakPage.agents.find((a) => a.id === onBreak)!;
    expect(row.pending).toEqual([
      { rule: 'long-break', since: expect.any(String), firesAt: expect.any(String) },
    ]);
    expect(Date.parse(row.pending[0]!.firesAt) - Date.parse(row.pending[0]!.since)).toBe(3_600_000);

    const byRule = await eventually(
      () => list('?rule=no-transfers-only'),
      (p) => p.agents.some((a) => a.id === changed),
    );
    expect(byRule.agents.map((a) => a.id)).toContain(changed);
    expect(byRule.agents.every((a) => a.lastAction?.rule === 'no-transfers-only')).toBe(true);
    const recent = await list('?changed_within_s=3600&limit=1000');
    expect(recent.agents.map((a) => a.id)).toContain(changed);
    expect(recent.agents.map((a) => a.id)).not.toContain(onBreak);
    expect(recent.agents.find((a) => a.id === changed)!.lastChange).toMatchObject({
      rule: 'no-transfers-only',
      outcome: 'applied',
    });
    expect((await list('?rule=long-break')).total).toBe(0);
  });

  it('sorts by name, status and time in status, and pages through the same order', async () => {
    const byName = (await list('?sort=name&limit=1000')).agents;
    const names = byName.map((a) => a.name!);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
    const descending = (await list('?sort=-name&limit=1000')).agents.map((a) => a.name!);
    expect(descending).toEqual([...names].sort((a, b) => b.localeCompare(a, 'en', { sensitivity: 'base' })));
    const statuses = (await list('?sort=status&limit=1000')).agents.map((a) => a.status!);
    expect(statuses).toEqual([...statuses].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
    const times = (await list('?sort=-time_in_status&limit=1000')).agents.map((a) => a.timeInStatusS!);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const pages: Row[] = [];
    let offset: number | null = 0;
    let calls = 0;
    while (offset !== null) {
      const page: Page = await list(`?sort=name&limit=7&offset=${offset}`);
      expect(page.total).toBe(AGENTS);
      pages.push(...page.agents);
      offset = page.nextOffset;
      calls++;
    }
    expect(calls).toBe(Math.ceil(AGENTS / 7));
    expect(pages.map((a) => a.id)).toEqual(byName.map((a) => a.id));
  });

  it('refuses bad query parameters by name', async () => {
    expect(await refused('?limit=0')).toContain('limit');
    expect(await refused('?limit=1001')).toContain('limit');
    expect(await refused('?offset=-1')).toContain('offset');
    expect(await refused('?group_id=tier1')).toContain('group_id');
    expect(await refused('?sort=email')).toContain('sort');
    expect(await refused('?changed_within_s=0')).toContain('changed_within_s');
    expect(await refused('?colour=red')).toContain('colour');
    await request(h.url).get('/api/agents').expect(401);
  });

  it('documents the endpoint, its parameters and its answer in OpenAPI', async () => {
    const spec = (await request(h.url).get('/docs-json').expect(200)).body as {
      paths: Record<string, { get?: { parameters: Array<{ name: string; in: string }> } }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const params = spec.paths['/api/agents']?.get?.parameters.map((p) => `${p.in}:${p.name}`);
    expect(params).toEqual([
      'query:group_id',
      'query:status',
      'query:rule',
      'query:changed_within_s',
      'query:sort',
      'query:offset',
      'query:limit',
    ]);
    expect(Object.keys(spec.components.schemas.AgentRowJson!.properties)).toEqual(
      expect.arrayContaining(['name', 'email', 'timeZone', 'lastAction', 'hold', 'pending']),
    );
  });
});
