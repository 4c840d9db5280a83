import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const STATUSES = '/api/v2/agent_availabilities/agent_statuses';
/** The agent behind `AUTH.agent`. */
const AGENT = 360_099_100_001;
const OTHER_AGENT = AGENT + 1;
const UNKNOWN_AGENT = 999;
const TIER_1 = 360_001_000_001;
const TIER_2 = 360_001_000_002;
const FROZEN_AT = '2025-03-14T09:00:00Z';
const DAY_MS = 86_400_000;
const CHANNEL_STATES = ['online', 'away', 'transfers_only', 'offline'];

interface Status {
  id: number;
  type: string;
  updated_at?: string;
  attributes: {
    name: string;
    description: string;
    channels?: Record<string, string>;
    group_ids?: number[];
  };
}

interface StatusPage {
  default: Status[];
  custom: Status[];
  links: { next?: string; prev?: string };
  meta: { has_more: boolean };
}

interface Availability {
  data: { attributes: { agent_status: { id: number; name: string; reason: string }; version: number } };
  included: Array<{ type: string; attributes: { name: string; status: string } }>;
}

const idsOf = (page: StatusPage) => [...page.default, ...page.custom].map((s) => s.id);
const byNameIgnoringCase = (a: string, b: string) => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};
const numeric = (a: number, b: number) => a - b;
const channelStates = (doc: Availability) =>
  Object.fromEntries(
    doc.included.filter((r) => r.type === 'channels').map((r) => [r.attributes.name, r.attributes.status]),
  );

describe('Unified Agent Status API', () => {
  let sim: SimHarness;

  const list = async (path = STATUSES, auth: string = AUTH.admin): Promise<StatusPage> =>
    (await sim.get(path, auth).expect(200)).body as StatusPage;
  const availability = async (id = AGENT): Promise<Availability> =>
    (await sim.get(`/api/v2/agent_availabilities/${id}`).expect(200)).body as Availability;
  /** A JSON PUT; a string body is sent as it is, to test what a JSON parser would refuse. */
  const put = (path: string, body: unknown, auth: string = AUTH.admin) =>
    sim
      .http()
      .put(path)
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));
  /** Follows `links[rel]` from `first`, returning every page body in the order visited. */
  const follow = async (first: string | undefined, rel: 'next' | 'prev'): Promise<StatusPage[]> => {
    const pages: StatusPage[] = [];
    let link = first;
    while (link !== undefined) {
      if (pages.length > 50) throw new Error(`links.${rel} did not end after 50 pages`);
      const page = await list(link.replace(sim.url, ''));
      pages.push(page);
      link = page.links[rel];
    }
    return pages;
  };

  beforeAll(async () => {
    sim = await startSim({ rateLimitPerMin: 100_000 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.control('post', '/reset', {});
  });

  describe('list shape (10.3)', () => {
    it('returns the four default statuses without channels, and custom statuses with their mapping', async () => {
      const body = await list();
      expect(Object.keys(body).sort()).toEqual(['custom', 'default', 'links', 'meta']);
      expect(body.default).toEqual([
        {
          id: 4,
          type: 'agent_status',
          attributes: { name: 'away', description: 'Can only receive email tickets' },
        },
        { id: 2, type: 'agent_status', attributes: { name: 'offline', description: "Can't receive work" } },
        { id: 3, type: 'agent_status', attributes: { name: 'online', description: 'Can receive work' } },
        {
          id: 5,
          type: 'agent_status',
          attributes: { name: 'transfers_only', description: 'Can only receive work from other agents' },
        },
      ]);
      expect(body.custom.length).toBeGreaterThan(0);
      for (const status of body.custom) {
        expect(status).toEqual({
          id: expect.any(Number),
          type: 'agent_status',
          updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
          attributes: {
            name: expect.any(String),
            description: expect.any(String),
            channels: {
              messaging: expect.any(String),
              support: expect.any(String),
              talk: expect.any(String),
            },
            group_ids: expect.any(Array),
          },
        });
      }
      const states = body.custom.flatMap((s) => Object.values(s.attributes.channels!));
      expect(states.filter((state) => !CHANNEL_STATES.includes(state))).toEqual([]);
      const groupIds = body.custom.flatMap((s) => s.attributes.group_ids!);
      expect(groupIds.filter((g) => !Number.isSafeInteger(g))).toEqual([]);
      expect(body.meta).toEqual({ has_more: false });
      expect(body.links).toEqual({});
    });
  });

  describe('sort order (10.3)', () => {
    it('sorts each array by name, ignoring case', async () => {
      const body = await list();
      const defaults = body.default.map((s) => s.attributes.name);
      const customs = body.custom.map((s) => s.attributes.name);
      expect(defaults).toEqual(['away', 'offline', 'online', 'transfers_only']);
      expect(customs).toEqual([...customs].sort(byNameIgnoringCase));
    });
  });

  describe('pagination (7, 10.3)', () => {
    it.each([2, 3])(
      'visits every status exactly once with page[size]=%i, forwards and backwards',
      async (size) => {
        const all = idsOf(await list());
        const forward = await follow(`${STATUSES}?page[size]=${size}`, 'next');
        expect(forward.flatMap(idsOf)).toEqual(all);
        expect(forward.map((p) => idsOf(p).length)).toEqual(
          forward.map((_, i) => Math.min(size, all.length - i * size)),
        );
        expect(forward.map((p) => p.meta.has_more)).toEqual(forward.map((_, i) => i < forward.length - 1));
        expect(forward[0]!.links.prev).toBeUndefined();
        const last = forward[forward.length - 1]!;
        expect(last.links.next).toBeUndefined();
        const backward = await follow(last.links.prev, 'prev');
        expect([...backward.reverse(), last].flatMap(idsOf)).toEqual(all);
        expect(backward[0]!.links.prev).toBeUndefined();
      },
    );

    it('accepts URL-encoded brackets', async () => {
      const page = await list(`${STATUSES}?page%5Bsize%5D=2`);
      expect(idsOf(page)).toHaveLength(2);
      expect(page.links.next).toContain('page%5Bafter%5D=');
    });
  });

  describe('page parameters out of range (7)', () => {
    it.each([
      ['page[size]=0', 'page[size]'],
      ['page[size]=101', 'page[size]'],
      ['page[size]=two', 'page[size]'],
      ['page[after]=bm9wZQ', 'page[after]'],
    ])('answers 400 to %s, naming %s', async (query, parameter) => {
      const res = await sim.get(`${STATUSES}?${query}`).expect(400);
      expect(res.body.errors[0]).toMatchObject({ status: '400', detail: expect.stringContaining(parameter) });
    });

    it('answers 400 to page[before] together with page[after], even with valid cursors', async () => {
      const next = new URL((await list(`${STATUSES}?page[size]=2`)).links.next!);
      const cursor = next.searchParams.get('page[after]')!;
      expect((await list(`${STATUSES}?page[after]=${cursor}`)).default.length).toBeGreaterThan(0);
      const res = await sim.get(`${STATUSES}?page[after]=${cursor}&page[before]=${cursor}`).expect(400);
      expect(res.body.errors[0].detail).toContain('page[before]');
    });
  });

  describe('statuses for the caller (/me)', () => {
    it("lists the defaults, unrestricted custom statuses and those of the agent's groups", async () => {
      const all = await list();
      const restricted = all.custom.filter((s) => s.attributes.group_ids!.length > 0);
      const unrestricted = all.custom.filter((s) => s.attributes.group_ids!.length === 0).map((s) => s.id);
      const tier2Only = restricted.filter((s) => s.attributes.group_ids!.includes(TIER_2)).map((s) => s.id);
      expect(restricted.every((s) => !s.attributes.group_ids!.includes(TIER_1))).toBe(true);
      expect(tier2Only.length).toBeGreaterThan(0);

      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_1] });
      const tier1 = await list(`${STATUSES}/me`, AUTH.agent);
      expect(tier1.default).toEqual(all.default);
      expect(tier1.custom.map((s) => s.id).sort(numeric)).toEqual([...unrestricted].sort(numeric));

      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_2] });
      const tier2 = await list(`${STATUSES}/me`, AUTH.agent);
      expect(tier2.custom.map((s) => s.id).sort(numeric)).toEqual(
        [...unrestricted, ...tier2Only].sort(numeric),
      );
    });
  });

  describe('update body forms (10.5)', () => {
    it.each([
      ['{"id": n}', { id: 4 }],
      ['{"id": "n"}', { id: '4' }],
      ['JSON:API with a string id', { data: { type: 'agent_status', attributes: { agent_status_id: '4' } } }],
      ['JSON:API with a number id', { data: { type: 'agent_status', attributes: { agent_status_id: 4 } } }],
    ])('accepts %s and answers the Unified Agent Status object', async (_form, body) => {
      await sim.freezeClock(FROZEN_AT);
      const res = await put(`${STATUSES}/agents/${AGENT}`, body).expect(200);
      expect(res.body).toEqual({
        data: {
          id: `agent_availabilities|${AGENT}`,
          type: 'agent_availabilities',
          attributes: {
            agent_id: AGENT,
            agent_status: {
              id: 4,
              name: 'away',
              reason: 'PUBLIC_API',
              updated_at: '2025-03-14T09:00:00.000000Z',
            },
          },
        },
      });
    });

    it("sets the caller's own status through /agents/me", async () => {
      await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
      const res = await put(`${STATUSES}/agents/me`, { id: 2 }, AUTH.agent).expect(200);
      expect(res.body.data.attributes.agent_id).toBe(AGENT);
      expect((await availability()).data.attributes.agent_status).toMatchObject({
        id: 2,
        reason: 'PUBLIC_API',
      });
    });
  });

  describe('update side effects (10.5)', () => {
    it.each<[string, () => Promise<{ id: number; mapping: Record<string, string> }>]>([
      [
        'a default status (Away, mapped as decided in 10.1)',
        () =>
          Promise.resolve({
            id: 4,
            mapping: { support: 'online', messaging: 'away', talk: 'away' },
          }),
      ],
      [
        'a custom status with a mixed mapping',
        async () => {
          const custom = (await list()).custom.find(
            (s) =>
              s.attributes.group_ids!.length === 0 && new Set(Object.values(s.attributes.channels!)).size > 1,
          )!;
          return { id: custom.id, mapping: custom.attributes.channels! };
        },
      ],
    ])('shows %s in the agent availability', async (_case, target) => {
      const { id, mapping } = await target();
      await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
      const before = await availability();
      await put(`${STATUSES}/agents/${AGENT}`, { id }).expect(200);
      const after = await availability();

      expect(after.data.attributes.agent_status).toMatchObject({ id, reason: 'PUBLIC_API' });
      const channels = channelStates(after);
      expect(Object.keys(channels).length).toBeGreaterThan(0);
      expect(channels).toEqual(Object.fromEntries(Object.keys(channels).map((c) => [c, mapping[c]])));
      // One version step for the unified status and one per channel that changed (section 12).
      const changed = Object.entries(channelStates(before)).filter(([c, s]) => mapping[c] !== s).length;
      expect(changed).toBeGreaterThan(0);
      expect(after.data.attributes.version).toBe(before.data.attributes.version + 1 + changed);
    });
  });

  describe('refused updates change nothing (404, 422, 400)', () => {
    const restrictedToTier2 = async () =>
      (await list()).custom.find(
        (s) => s.attributes.group_ids!.includes(TIER_2) && !s.attributes.group_ids!.includes(TIER_1),
      )!.id;

    it.each([
      ['an unknown agent', `${STATUSES}/agents/${UNKNOWN_AGENT}`, { id: 4 }, 404, 'agent 999'],
      ['a non-numeric agent id', `${STATUSES}/agents/sam`, { id: 4 }, 404, 'sam'],
      ['an unknown status', `${STATUSES}/agents/${AGENT}`, { id: 777 }, 422, '777'],
      ['a missing id', `${STATUSES}/agents/${AGENT}`, {}, 400, 'id is missing'],
      ['a null id', `${STATUSES}/agents/${AGENT}`, { id: null }, 400, 'id is missing'],
      ['a status name for an id', `${STATUSES}/agents/${AGENT}`, { id: 'away' }, 400, 'id must be'],
      ['a fractional id', `${STATUSES}/agents/${AGENT}`, { id: 4.5 }, 400, 'id must be'],
      [
        'a JSON:API body without attributes',
        `${STATUSES}/agents/${AGENT}`,
        { data: { type: 'agent_status' } },
        400,
        'data.attributes',
      ],
      [
        'a JSON:API body without the status id',
        `${STATUSES}/agents/${AGENT}`,
        { data: { type: 'agent_status', attributes: {} } },
        400,
        'data.attributes.agent_status_id',
      ],
      [
        'a JSON:API body of another type',
        `${STATUSES}/agents/${AGENT}`,
        { data: { type: 'agents', attributes: { agent_status_id: '4' } } },
        400,
        'data.type',
      ],
      ['a body that is not an object', `${STATUSES}/agents/${AGENT}`, [4], 400, 'JSON object'],
      ['a body that is not JSON', `${STATUSES}/agents/${AGENT}`, '{"id": 4', 400, 'not valid JSON'],
    ])('refuses %s', async (_case, path, body, status, detail) => {
      const before = await availability();
      const res = await put(path, body).expect(status);
      expect(res.body.errors[0]).toMatchObject({
        status: String(status),
        detail: expect.stringContaining(detail),
      });
      expect((await availability()).data.attributes).toEqual(before.data.attributes);
    });

    it("refuses 422 a custom status restricted to other groups than the agent's", async () => {
      const statusId = await restrictedToTier2();
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_1] });
      const before = await availability();
      const res = await put(`${STATUSES}/agents/${AGENT}`, { id: statusId }).expect(422);
      expect(res.body.errors[0]).toMatchObject({ status: '422', code: 'UnprocessableEntity' });
      expect((await availability()).data.attributes).toEqual(before.data.attributes);
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_2] });
      await put(`${STATUSES}/agents/${AGENT}`, { id: statusId }).expect(200);
    });

    it('checks the agent before the body: an unknown agent with a bad body is a 404', async () => {
      await put(`${STATUSES}/agents/${UNKNOWN_AGENT}`, {}).expect(404);
    });
  });

  describe('admin endpoints refuse the agent identity (3)', () => {
    it.each([
      ['GET the status list', 'get', STATUSES],
      ['PUT another agent', 'put', `${STATUSES}/agents/${OTHER_AGENT}`],
      ['PUT its own agent by id', 'put', `${STATUSES}/agents/${AGENT}`],
      ['PUT update_many', 'put', `${STATUSES}/agents/update_many?ids=${AGENT}`],
      ['GET a job status', 'get', `${STATUSES}/job_statuses/01JB1GQENJMK3X983SCQC0GAKE`],
    ])('answers 403 to %s', async (_case, method, path) => {
      const before = await availability();
      const res = method === 'get' ? await sim.get(path, AUTH.agent) : await put(path, { id: 2 }, AUTH.agent);
      expect(res.status).toBe(403);
      expect(res.body.errors[0]).toMatchObject({ status: '403' });
      await sim.advance(5_000);
      expect((await availability()).data.attributes.version).toBe(before.data.attributes.version);
    });
  });

  describe('omnichannel routing off (10.7)', () => {
    it.each([
      ['GET the status list', 'get', STATUSES, AUTH.admin],
      ['GET /me', 'get', `${STATUSES}/me`, AUTH.agent],
      ['PUT one agent', 'put', `${STATUSES}/agents/${AGENT}`, AUTH.admin],
      ['PUT /agents/me', 'put', `${STATUSES}/agents/me`, AUTH.agent],
      ['PUT update_many', 'put', `${STATUSES}/agents/update_many?ids=${AGENT}`, AUTH.admin],
      ['GET a job status', 'get', `${STATUSES}/job_statuses/01JB1GQENJMK3X983SCQC0GAKE`, AUTH.admin],
    ])('answers 403 OmnichannelRoutingDisabled to %s', async (_case, method, path, auth) => {
      await sim.freezeClock(FROZEN_AT);
      await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
      const before = await availability();
      await sim.control('put', '/account', { omnichannel_routing: false });
      const res = method === 'get' ? await sim.get(path, auth) : await put(path, { id: 2 }, auth);
      expect(res.status).toBe(403);
      expect(res.body.errors[0]).toMatchObject({ status: '403', code: 'OmnichannelRoutingDisabled' });
      await sim.advance(5_000);
      await sim.control('put', '/account', { omnichannel_routing: true });
      expect((await availability()).data.attributes.version).toBe(before.data.attributes.version);
    });
  });

  describe('unknown methods on the status list (10.1)', () => {
    it.each([
      ['post', STATUSES],
      ['put', STATUSES],
      ['delete', STATUSES],
      ['put', `${STATUSES}/9001`],
      ['delete', `${STATUSES}/9001`],
      ['post', `${STATUSES}/agents/${AGENT}`],
    ] as const)('answers a JSON:API 404 to %s %s', async (method, path) => {
      const res = await sim.http()[method](path).set('Authorization', AUTH.admin).send({ name: 'Lunch' });
      expect(res.status).toBe(404);
      expect(res.body.errors[0]).toMatchObject({ status: '404', code: 'NotFound' });
    });
  });

  describe('bulk update jobs (10.6)', () => {
    it('queues a job, then reports one success and one failure once polled', async () => {
      await sim.freezeClock(FROZEN_AT);
      await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
      const created = await put(`${STATUSES}/agents/update_many?ids=${AGENT},${UNKNOWN_AGENT}`, {
        id: 2,
      }).expect(200);
      const jobId: string = created.body.job_status.id;
      expect(created.body).toEqual({
        job_status: {
          id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
          url: `${sim.url}${STATUSES}/job_statuses/${jobId}`,
          status: 'queued',
          message: null,
          total: 2,
          progress: 0,
          results: [],
        },
      });
      expect((await availability()).data.attributes.agent_status.id).toBe(3);

      const polled = await sim.get(new URL(created.body.job_status.url as string).pathname).expect(200);
      expect(polled.body).toEqual({
        job_status: {
          id: jobId,
          url: created.body.job_status.url,
          status: 'completed',
          message: `Completed at ${FROZEN_AT}`,
          total: 2,
          progress: 2,
          results: [
            { action: 'update', agent_id: AGENT, status: 'success', completed_at: FROZEN_AT },
            {
              action: 'update',
              agent_id: UNKNOWN_AGENT,
              status: 'failed',
              error: `AgentNotFound: agent ${UNKNOWN_AGENT} does not exist`,
              completed_at: FROZEN_AT,
            },
          ],
        },
      });
      const after = await availability();
      expect(after.data.attributes.agent_status).toMatchObject({ id: 2, reason: 'PUBLIC_API' });

      const again = await sim.get(`${STATUSES}/job_statuses/${jobId}`).expect(200);
      expect(again.body).toEqual(polled.body);
      expect((await availability()).data.attributes.version).toBe(after.data.attributes.version);
    });

    it("records a failure for an agent outside a restricted status' groups, leaving that agent unchanged", async () => {
      await sim.freezeClock(FROZEN_AT);
      const statusId = (await list()).custom.find(
        (s) => s.attributes.group_ids!.includes(TIER_2) && !s.attributes.group_ids!.includes(TIER_1),
      )!.id;
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_1] });
      const before = await availability();
      const created = await put(`${STATUSES}/agents/update_many?ids=${AGENT}`, { id: statusId }).expect(200);
      const { body } = await sim.get(`${STATUSES}/job_statuses/${created.body.job_status.id}`).expect(200);
      expect(body.job_status.results).toEqual([
        {
          action: 'update',
          agent_id: AGENT,
          status: 'failed',
          error: expect.stringContaining(`Agent status ${statusId} is not available`),
          completed_at: FROZEN_AT,
        },
      ]);
      expect((await availability()).data.attributes).toEqual(before.data.attributes);
    });

    it('runs a job nobody polls one second after it was queued', async () => {
      await sim.freezeClock(FROZEN_AT);
      await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
      await put(`${STATUSES}/agents/update_many?ids=${AGENT}`, { id: 5 }).expect(200);
      await sim.advance(999);
      expect((await availability()).data.attributes.agent_status.id).toBe(3);
      await sim.advance(1);
      expect((await availability()).data.attributes.agent_status.id).toBe(5);
    });

    it('accepts the JSON:API body and exactly 100 ids', async () => {
      const ids = Array.from({ length: 100 }, (_, i) => AGENT + i).join(',');
      const created = await put(`${STATUSES}/agents/update_many?ids=${ids}`, {
        data: { type: 'agent_status', attributes: { agent_status_id: '2' } },
      }).expect(200);
      expect(created.body.job_status.total).toBe(100);
    });
  });

  describe('refused bulk updates create no job', () => {
    it.each([
      ['no ids', `${STATUSES}/agents/update_many`, { id: 2 }, 400, 'ids'],
      ['empty ids', `${STATUSES}/agents/update_many?ids=`, { id: 2 }, 400, 'ids'],
      [
        '101 ids',
        `${STATUSES}/agents/update_many?ids=${Array.from({ length: 101 }, (_, i) => AGENT + i).join(',')}`,
        { id: 2 },
        400,
        'at most 100',
      ],
      ['malformed ids', `${STATUSES}/agents/update_many?ids=${AGENT},x`, { id: 2 }, 400, 'ids'],
      ['a missing status id', `${STATUSES}/agents/update_many?ids=${AGENT}`, {}, 400, 'id is missing'],
      ['an unknown status', `${STATUSES}/agents/update_many?ids=${AGENT}`, { id: 777 }, 422, '777'],
    ])('refuses %s', async (_case, path, body, status, detail) => {
      await sim.freezeClock(FROZEN_AT);
      const before = await availability();
      const res = await put(path, body).expect(status);
      expect(res.body.errors[0]).toMatchObject({
        status: String(status),
        detail: expect.stringContaining(detail),
      });
      // A queued job would have run by now even unpolled.
      await sim.advance(5_000);
      expect((await availability()).data.attributes).toEqual(before.data.attributes);
    });
  });

  describe('job lifetime (10.6)', () => {
    it('answers 404 to a job id that never existed', async () => {
      const res = await sim.get(`${STATUSES}/job_statuses/01JB1GQENJMK3X983SCQC0GAKE`).expect(404);
      expect(res.body.errors[0]).toMatchObject({ status: '404', code: 'NotFound' });
    });

    it('keeps a job for one day after creation, by the simulator clock', async () => {
      await sim.freezeClock(FROZEN_AT);
      const created = await put(`${STATUSES}/agents/update_many?ids=${AGENT}`, { id: 2 }).expect(200);
      const path = `${STATUSES}/job_statuses/${created.body.job_status.id}`;
      await sim.get(path).expect(200);
      await sim.advance(DAY_MS - 1);
      expect((await sim.get(path).expect(200)).body.job_status.status).toBe('completed');
      await sim.advance(1);
      const res = await sim.get(path).expect(404);
      expect(res.body.errors[0]).toMatchObject({ status: '404', code: 'NotFound' });
    });

    it('forgets every job on reset', async () => {
      const created = await put(`${STATUSES}/agents/update_many?ids=${AGENT}`, { id: 2 }).expect(200);
      await sim.control('post', '/reset', {});
      await sim.get(`${STATUSES}/job_statuses/${created.body.job_status.id}`).expect(404);
    });
  });
});
