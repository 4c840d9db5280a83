import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const LIST = '/api/v2/agent_availabilities';
const AGENT_ID = 360_099_100_001;

interface Resource {
  id: string;
  type: string;
  attributes: Record<string, any>;
  relationships?: Record<string, any>;
  links?: Record<string, string>;
}

/** Follows `links.next` from `first` and returns every page body. */
async function walk(sim: SimHarness, first: string, auth = AUTH.admin): Promise<any[]> {
  const pages: any[] = [];
  let next: string | undefined = first;
  while (next) {
    const res: { body: any } = await sim.get(next.replace(sim.url, ''), auth).expect(200);
    pages.push(res.body);
    next = res.body.links.next;
  }
  return pages;
}

describe('Agent Availability API', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ agentCount: 250, rateLimitPerMin: 100_000 });
  });
  afterAll(() => sim.close());

  describe('list pagination', () => {
    it('walks every agent exactly once with links.next, in ascending agent_id order', async () => {
      const pages = await walk(sim, `${LIST}?page[size]=37`);
      const seen = pages.flatMap((p) => p.data.map((a: Resource) => a.attributes.agent_id));
      expect(pages).toHaveLength(Math.ceil(250 / 37));
      expect(new Set(seen).size).toBe(250);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(pages.map((p) => p.meta.has_more)).toEqual([...Array(pages.length - 1).fill(true), false]);
      expect(pages[0].links.prev).toBeUndefined();
    });

    it('walks back with links.prev to the first page', async () => {
      const forward = await walk(sim, `${LIST}?page[size]=50`);
      const seen: number[] = [];
      let prev: string | undefined = forward[forward.length - 1].links.prev;
      while (prev) {
        const res = await sim.get(prev.replace(sim.url, '')).expect(200);
        seen.unshift(...res.body.data.map((a: Resource) => a.attributes.agent_id));
        prev = res.body.links.prev;
      }
      const expected = forward
        .slice(0, -1)
        .flatMap((p) => p.data.map((a: Resource) => a.attributes.agent_id));
      expect(seen).toEqual(expected);
    });

    it('defaults to 100 per page and accepts URL-encoded brackets', async () => {
      const plain = await sim.get(LIST).expect(200);
      expect(plain.body.data).toHaveLength(100);
      const encoded = await sim.get(`${LIST}?page%5Bsize%5D=5`).expect(200);
      expect(encoded.body.data).toHaveLength(5);
      expect(encoded.body.links.next).toContain('page%5Bafter%5D=');
    });

    it.each([
      ['page[size]=0', 'page[size]'],
      ['page[size]=101', 'page[size]'],
      ['page[size]=ten', 'page[size]'],
      ['page[after]=MQ&page[before]=MQ', 'page[before] and page[after]'],
      ['page[after]=%%%', 'page[after]'],
    ])('answers 400 with a JSON:API error for %s', async (query, named) => {
      const res = await sim.get(`${LIST}?${query}`).expect(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', code: 'BadRequest', title: 'Bad Request' });
      expect(res.body.errors[0].detail).toContain(named);
    });
  });

  describe('compound documents', () => {
    it('has the documented shape, with included channels and work items resolvable by (type, id)', async () => {
      const res = await sim.get(`${LIST}?page[size]=10`).expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const index = new Map(res.body.included.map((r: Resource) => [`${r.type}|${r.id}`, r]));
      for (const agent of res.body.data as Resource[]) {
        expect(agent).toMatchObject({
          id: `agent_availabilities|${agent.attributes.agent_id}`,
          type: 'agent_availabilities',
          links: { self: `${sim.url}/api/v2/agent_availabilities/${agent.attributes.agent_id}` },
        });
        expect(agent.attributes).toEqual({
          agent_id: expect.any(Number),
          agent_status: {
            id: expect.any(Number),
            name: expect.any(String),
            reason: expect.any(String),
            updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
          },
          group_ids: expect.any(Array),
          skills: expect.any(Array),
          version: expect.any(Number),
        });
        for (const ref of agent.relationships!.channels.data) {
          const channel = index.get(`channels|${ref.id}`) as Resource;
          expect(channel.attributes).toEqual({
            name: expect.stringMatching(/^(messaging|support|talk)$/),
            status: expect.stringMatching(/^(online|away|transfers_only|offline)$/),
            updated_at: expect.any(String),
            work_item_count: expect.any(Number),
            max_capacity: expect.any(Number),
          });
          const items = channel.relationships!.work_items;
          expect(items.data.length).toBe(Math.min(3, channel.attributes.work_item_count));
          expect(items.meta.has_more).toBe(channel.attributes.work_item_count > 3);
          for (const item of items.data) {
            expect(index.get(`work_items|${item.id}`)).toMatchObject({
              attributes: { reason: expect.any(String), added_at: expect.any(String) },
            });
          }
        }
      }
    });

    it('shows one agent with GET /agent_availabilities/{id} and /{id}.json alike', async () => {
      const one = await sim.get(`${LIST}/${AGENT_ID}`).expect(200);
      const json = await sim.get(`${LIST}/${AGENT_ID}.json`).expect(200);
      expect(json.body).toEqual(one.body);
      expect(one.body.data.attributes.agent_id).toBe(AGENT_ID);
      expect(one.body.included.length).toBeGreaterThan(0);
    });

    it('answers 404 for an unknown agent and for a non-numeric id', async () => {
      const unknown = await sim.get(`${LIST}/999`).expect(404);
      expect(unknown.body.errors[0]).toMatchObject({ status: '404', code: 'NotFound' });
      expect(unknown.body.errors[0].detail).toContain('999');
      await sim.get(`${LIST}/abc`).expect(404);
    });
  });

  describe('filters', () => {
    it('filter[channel_status] keeps agents with that status on that channel', async () => {
      const pages = await walk(sim, `${LIST}?filter[channel_status]=messaging:online`);
      const agents = pages.flatMap((p) => p.data as Resource[]);
      const included = pages.flatMap((p) => p.included as Resource[]);
      expect(agents.length).toBeGreaterThan(0);
      expect(agents.length).toBeLessThan(250);
      for (const agent of agents) {
        const messaging = included.find(
          (r) => r.id === `agent_availabilities|${agent.attributes.agent_id}|channels|messaging`,
        );
        expect(messaging?.attributes.status).toBe('online');
      }
      const encodedColon = await sim
        .get(`${LIST}?filter[channel_status]=messaging%3Aonline&page[size]=100`)
        .expect(200);
      expect(encodedColon.body.data.length).toBe(Math.min(100, agents.length));
    });

    it('filter[agent_status_id] keeps agents in that unified status', async () => {
      const pages = await walk(sim, `${LIST}?filter[agent_status_id]=2`);
      const agents = pages.flatMap((p) => p.data as Resource[]);
      expect(agents.length).toBeGreaterThan(0);
      expect(agents.every((a) => a.attributes.agent_status.id === 2)).toBe(true);
    });

    it('filter[agent_id] restricts to the listed ids and ignores unknown ones', async () => {
      const res = await sim.get(`${LIST}?filter[agent_id]=${AGENT_ID + 2},${AGENT_ID},5`).expect(200);
      expect(res.body.data.map((a: Resource) => a.attributes.agent_id)).toEqual([AGENT_ID, AGENT_ID + 2]);
    });

    it('filter[remaining_capacity] keeps agents with at least that much room on the channel', async () => {
      const pages = await walk(sim, `${LIST}?filter[remaining_capacity]=messaging:2`);
      for (const page of pages) {
        for (const agent of page.data as Resource[]) {
          const messaging = (page.included as Resource[]).find(
            (r) => r.id === `agent_availabilities|${agent.attributes.agent_id}|channels|messaging`,
          )!;
          expect(
            messaging.attributes.max_capacity - messaging.attributes.work_item_count,
          ).toBeGreaterThanOrEqual(2);
        }
      }
    });

    it('select_channel narrows the channels shown, not the agents', async () => {
      const all = await sim.get(`${LIST}?page[size]=20`).expect(200);
      for (const form of ['select_channel=talk', 'filter[select_channel]=talk']) {
        const res = await sim.get(`${LIST}?page[size]=20&${form}`).expect(200);
        expect(res.body.data.map((a: Resource) => a.id)).toEqual(all.body.data.map((a: Resource) => a.id));
        const names = res.body.included
          .filter((r: Resource) => r.type === 'channels')
          .map((r: Resource) => r.attributes.name);
        expect(new Set(names)).toEqual(new Set(['talk']));
        expect(res.body.links.next).toContain(form.replace('[', '%5B').replace(']', '%5D'));
      }
    });

    it('combines filters with AND and ignores unknown parameters', async () => {
      const both = await walk(
        sim,
        `${LIST}?filter[agent_status_id]=3&filter[channel_status]=talk:online&include=channels&foo=bar`,
      );
      const agents = both.flatMap((p) => p.data as Resource[]);
      const onlineOnly = (await walk(sim, `${LIST}?filter[agent_status_id]=3`)).flatMap(
        (p) => p.data as Resource[],
      );
      expect(agents.length).toBeGreaterThan(0);
      expect(agents.length).toBeLessThan(onlineOnly.length);
    });

    it.each([
      'filter[channel_status]=messaging',
      'filter[channel_status]=fax:online',
      'filter[channel_status]=messaging:busy',
      'filter[agent_status_id]=abc',
      'filter[agent_id]=1,x',
      'filter[remaining_capacity]=messaging:-1',
      'select_channel=fax',
    ])('answers 400 naming the parameter for %s', async (query) => {
      const res = await sim.get(`${LIST}?${query}`).expect(400);
      expect(res.body.errors[0].detail).toContain(query.split('=')[0]);
    });
  });

  describe('channel work items', () => {
    it('pages through every work item of a channel, oldest first, following links', async () => {
      await sim.control('post', '/reset', { agents: 250, rate_limit_per_min: 100_000 });
      for (let i = 0; i < 7; i++) {
        await sim.control('post', `/agents/${AGENT_ID}/work_items`, {
          channel: 'support',
          added_at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
        });
      }
      const agent = await sim.get(`${LIST}/${AGENT_ID}`).expect(200);
      const support = agent.body.included.find(
        (r: Resource) => r.id === `agent_availabilities|${AGENT_ID}|channels|support`,
      );
      const count = support.attributes.work_item_count;
      expect(count).toBeGreaterThanOrEqual(7);
      const ids: string[] = [...support.relationships.work_items.data.map((w: Resource) => w.id)];
      let next: string | undefined = support.relationships.work_items.links.next;
      expect(next).toContain('page%5Bafter%5D=');
      while (next) {
        const res = await sim.get(`${next.replace(sim.url, '')}&page[size]=2`).expect(200);
        ids.push(...res.body.data.map((w: Resource) => w.id));
        expect(res.body.meta.has_more).toBe(res.body.links.next !== undefined);
        next = res.body.links.next;
      }
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
      const all = await sim.get(`${LIST}/${AGENT_ID}/channels/support/relationships/work_items`).expect(200);
      expect(all.body.data.map((w: Resource) => w.id)).toEqual(ids);
      const times = all.body.data.map((w: Resource) => Date.parse(w.attributes.added_at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('answers 404 for an unknown channel or agent', async () => {
      await sim.get(`${LIST}/${AGENT_ID}/channels/fax/relationships/work_items`).expect(404);
      await sim.get(`${LIST}/999/channels/support/relationships/work_items`).expect(404);
    });
  });

  describe('/me', () => {
    it("returns the calling agent's own availability", async () => {
      const res = await sim.get(`${LIST}/me`, AUTH.agent).expect(200);
      expect(res.body.data.attributes.agent_id).toBe(AGENT_ID);
      await sim.get(`${LIST}/me/channels/messaging/relationships/work_items`, AUTH.agent).expect(200);
    });

    it('answers 404 for a caller without an availability record', async () => {
      await sim.get(`${LIST}/me`, AUTH.admin).expect(404);
    });
  });

  describe('version', () => {
    it('increases on every change to the agent', async () => {
      const before = (await sim.get(`${LIST}/${AGENT_ID}`).expect(200)).body.data.attributes.version;
      await sim.control('post', `/agents/${AGENT_ID}/work_items`, {
        channel: 'messaging',
        reason: 'MANUAL_ASSIGNED',
      });
      await sim.control('put', `/agents/${AGENT_ID}`, { group_ids: [360_001_000_004] });
      const after = (await sim.get(`${LIST}/${AGENT_ID}`).expect(200)).body.data.attributes.version;
      expect(after).toBe(before + 2);
    });
  });

  describe('omnichannel routing off', () => {
    it('omits agent_status and max_capacity', async () => {
      await sim.control('put', '/account', { omnichannel_routing: false });
      try {
        const res = await sim.get(`${LIST}/${AGENT_ID}`).expect(200);
        expect(res.body.data.attributes.agent_status).toBeUndefined();
        for (const r of res.body.included.filter((x: Resource) => x.type === 'channels')) {
          expect(r.attributes.max_capacity).toBeUndefined();
          expect(r.attributes.work_item_count).toEqual(expect.any(Number));
        }
      } finally {
        await sim.control('put', '/account', { omnichannel_routing: true });
      }
    });
  });
});
