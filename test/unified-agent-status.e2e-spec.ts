import { AUTH, startSim, type SimHarness } from './support/sim.harness';

const STATUSES = '/api/v2/agent_availabilities/agent_statuses';
const AGENT = 360_099_100_001;
const BACK_OFFICE = 9005; // custom status limited to Tier 2 and Billing
const TIER_1 = 360_001_000_001;
const TIER_2 = 360_001_000_002;

describe('Unified Agent Status API', () => {
  let sim: SimHarness;

  const availability = async (id = AGENT) =>
    (await sim.get(`/api/v2/agent_availabilities/${id}`).expect(200)).body;
  const put = (path: string, body: unknown, auth: string = AUTH.admin) =>
    sim
      .http()
      .put(path)
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));

  beforeAll(async () => {
    sim = await startSim({ rateLimitPerMin: 100_000 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.control('post', '/reset', {});
  });

  describe('listing statuses', () => {
    it('returns default and custom statuses in the documented shape, each sorted by name', async () => {
      const { body } = await sim.get(STATUSES).expect(200);
      expect(body.default.map((s: any) => [s.id, s.attributes.name])).toEqual([
        [4, 'away'],
        [2, 'offline'],
        [3, 'online'],
        [5, 'transfers_only'],
      ]);
      expect(body.default[0]).toEqual({
        id: 4,
        type: 'agent_status',
        attributes: { name: 'away', description: 'Can only receive email tickets' },
      });
      const names = body.custom.map((s: any) => s.attributes.name);
      expect(names).toEqual(
        [...names].sort((a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase())),
      );
      expect(body.custom[0]).toEqual({
        id: expect.any(Number),
        type: 'agent_status',
        updated_at: expect.any(String),
        attributes: {
          name: expect.any(String),
          description: expect.any(String),
          channels: { messaging: expect.any(String), support: expect.any(String), talk: expect.any(String) },
          group_ids: expect.any(Array),
        },
      });
      expect(body.meta).toEqual({ has_more: false });
      expect(body.links).toEqual({});
    });

    it('pages over the merged list in both directions, visiting every status once', async () => {
      const all = (await sim.get(STATUSES).expect(200)).body;
      const expected = [...all.default, ...all.custom].map((s: any) => s.id);
      const forward: number[] = [];
      let next: string | undefined = `${STATUSES}?page[size]=2`;
      let last: any;
      while (next) {
        last = (await sim.get(next.replace(sim.url, '')).expect(200)).body;
        forward.push(...[...last.default, ...last.custom].map((s: any) => s.id));
        expect(last.meta.has_more).toBe(last.links.next !== undefined);
        next = last.links.next;
      }
      expect(forward).toEqual(expected);
      const backward: number[] = [];
      let prev: string | undefined = last.links.prev;
      while (prev) {
        const page: any = (await sim.get(prev.replace(sim.url, '')).expect(200)).body;
        backward.unshift(...[...page.default, ...page.custom].map((s: any) => s.id));
        prev = page.links.prev;
      }
      expect(backward).toEqual(expected.slice(0, expected.length - [...last.default, ...last.custom].length));
    });

    it.each(['page[size]=0', 'page[size]=101', 'page[after]=MQ&page[before]=MQ', 'page[after]=bm9wZQ'])(
      'answers 400 for %s',
      async (query) => {
        const res = await sim.get(`${STATUSES}?${query}`).expect(400);
        expect(res.body.errors[0].status).toBe('400');
      },
    );

    it('shows an agent only the custom statuses its groups may use', async () => {
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_1] });
      const tier1 = (await sim.get(`${STATUSES}/me`, AUTH.agent).expect(200)).body;
      expect(tier1.custom.map((s: any) => s.id)).not.toContain(BACK_OFFICE);
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_2] });
      const tier2 = (await sim.get(`${STATUSES}/me`, AUTH.agent).expect(200)).body;
      expect(tier2.custom.map((s: any) => s.id)).toContain(BACK_OFFICE);
    });

    it('answers 404 to writes on the status list (custom statuses are managed in Admin Center)', async () => {
      await sim.http().post(STATUSES).set('Authorization', AUTH.admin).send({ name: 'x' }).expect(404);
    });
  });

  describe('setting one agent status', () => {
    it.each([
      ['{"id": n}', { id: 4 }],
      ['the JSON:API form', { data: { type: 'agent_status', attributes: { agent_status_id: '4' } } }],
    ])('accepts %s and applies the status channel mapping', async (_form, body) => {
      await sim.control('put', `/agents/${AGENT}`, { status_id: 3 });
      const before = await availability();
      const res = await put(`${STATUSES}/agents/${AGENT}`, body).expect(200);
      expect(res.body).toEqual({
        data: {
          id: `agent_availabilities|${AGENT}`,
          type: 'agent_availabilities',
          attributes: {
            agent_id: AGENT,
            agent_status: { id: 4, name: 'away', reason: 'PUBLIC_API', updated_at: expect.any(String) },
          },
        },
      });
      const after = await availability();
      expect(after.data.attributes.agent_status).toMatchObject({ id: 4, name: 'away', reason: 'PUBLIC_API' });
      const channels = Object.fromEntries(
        after.included
          .filter((r: any) => r.type === 'channels')
          .map((r: any) => [r.attributes.name, r.attributes.status]),
      );
      expect(channels.messaging).toBe('away');
      expect(channels.support).toBe('online');
      // One version step for the unified status and one per channel that changed.
      const changedChannels = Object.keys(channels).filter((c) => c !== 'support').length;
      expect(after.data.attributes.version).toBe(before.data.attributes.version + 1 + changedChannels);
    });

    it('lets an agent set its own status through /agents/me', async () => {
      await put(`${STATUSES}/agents/me`, { id: 2 }, AUTH.agent).expect(200);
      expect((await availability()).data.attributes.agent_status.id).toBe(2);
    });

    it.each([
      ['an unknown agent', `${STATUSES}/agents/999`, { id: 4 }, 404],
      ['an unknown status', `${STATUSES}/agents/${AGENT}`, { id: 777 }, 422],
      [
        "a status not allowed for the agent's groups",
        `${STATUSES}/agents/${AGENT}`,
        { id: BACK_OFFICE },
        422,
      ],
      ['a missing id', `${STATUSES}/agents/${AGENT}`, {}, 400],
      ['a non-numeric id', `${STATUSES}/agents/${AGENT}`, { id: 'away' }, 400],
      [
        'a JSON:API body without the status id',
        `${STATUSES}/agents/${AGENT}`,
        { data: { attributes: {} } },
        400,
      ],
      ['a body that is not an object', `${STATUSES}/agents/${AGENT}`, [4], 400],
    ])('refuses %s and changes nothing', async (_case, path, body, status) => {
      await sim.control('put', `/agents/${AGENT}`, { group_ids: [TIER_1] });
      const before = await availability();
      const res = await put(path, body).expect(status);
      expect(res.body.errors[0]).toMatchObject({ status: String(status) });
      expect((await availability()).data.attributes).toEqual(before.data.attributes);
    });

    it('is for admins: the agent identity gets 403 on another agent', async () => {
      await put(`${STATUSES}/agents/${AGENT + 1}`, { id: 4 }, AUTH.agent).expect(403);
      await sim.get(STATUSES, AUTH.agent).expect(403);
    });

    it('answers 403 OmnichannelRoutingDisabled on every status endpoint when routing is off', async () => {
      await sim.control('put', '/account', { omnichannel_routing: false });
      const list = await sim.get(STATUSES).expect(403);
      expect(list.body.errors[0].code).toBe('OmnichannelRoutingDisabled');
      await put(`${STATUSES}/agents/${AGENT}`, { id: 4 }).expect(403);
      await sim.control('put', '/account', { omnichannel_routing: true });
    });
  });

  describe('bulk update jobs', () => {
    it('queues a job, and the job reports each agent when polled', async () => {
      await sim.freezeClock();
      const created = await put(`${STATUSES}/agents/update_many?ids=${AGENT},${AGENT + 1},999`, {
        id: 2,
      }).expect(200);
      expect(created.body.job_status).toEqual({
        id: expect.stringMatching(/^[0-9A-Z]{26}$/),
        url: expect.stringContaining(`${STATUSES}/job_statuses/`),
        status: 'queued',
        message: null,
        total: 3,
        progress: 0,
        results: [],
      });
      const { body } = await sim.get(`${STATUSES}/job_statuses/${created.body.job_status.id}`).expect(200);
      expect(body.job_status).toMatchObject({
        status: 'completed',
        total: 3,
        progress: 3,
        message: expect.stringMatching(/^Completed at /),
      });
      expect(body.job_status.results).toEqual([
        { action: 'update', agent_id: AGENT, status: 'success', completed_at: expect.any(String) },
        { action: 'update', agent_id: AGENT + 1, status: 'success', completed_at: expect.any(String) },
        {
          action: 'update',
          agent_id: 999,
          status: 'failed',
          error: 'AgentNotFound: agent 999 does not exist',
          completed_at: expect.any(String),
        },
      ]);
      expect((await availability(AGENT + 1)).data.attributes.agent_status).toMatchObject({
        id: 2,
        reason: 'PUBLIC_API',
      });
    });

    it('runs a job nobody polls, and forgets it after a day', async () => {
      await sim.freezeClock();
      const created = await put(`${STATUSES}/agents/update_many?ids=${AGENT}`, { id: 5 }).expect(200);
      await sim.advance(1_000);
      expect((await availability()).data.attributes.agent_status.id).toBe(5);
      await sim.advance(86_400_000);
      await sim.get(`${STATUSES}/job_statuses/${created.body.job_status.id}`).expect(404);
      await sim.get(`${STATUSES}/job_statuses/01JB1GQENJMK3X983SCQC0GAKE`).expect(404);
    });

    it.each([
      ['no ids', `${STATUSES}/agents/update_many`, { id: 2 }, 400],
      [
        'too many ids',
        `${STATUSES}/agents/update_many?ids=${Array.from({ length: 101 }, (_, i) => i + 1).join(',')}`,
        { id: 2 },
        400,
      ],
      ['malformed ids', `${STATUSES}/agents/update_many?ids=1,x`, { id: 2 }, 400],
      ['an unknown status', `${STATUSES}/agents/update_many?ids=${AGENT}`, { id: 777 }, 422],
    ])('refuses %s without creating a job', async (_case, path, body, status) => {
      await sim.freezeClock();
      const before = await availability();
      await put(path, body).expect(status);
      await sim.advance(5_000);
      expect((await availability()).data.attributes.version).toBe(before.data.attributes.version);
    });
  });
});
