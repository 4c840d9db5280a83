import { AUTH, basic, startSim, type SimHarness } from './support/sim.harness';

const LIST = '/api/v2/agent_availabilities';

describe('authentication, roles, content negotiation and bodies', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim({ rateLimitPerMin: 100_000 });
  });
  afterAll(() => sim.close());

  describe('authentication (section 2)', () => {
    it('accepts {email}/token:{token} Basic and OAuth Bearer', async () => {
      await sim.get(LIST, AUTH.admin).expect(200);
      await sim.get(LIST, AUTH.oauth).expect(200);
      await sim.get(LIST, basic('ADMIN@example.com', 'sim-admin-token')).expect(200);
    });

    it.each([
      ['no credentials', undefined],
      [
        'email and password Basic',
        `Basic ${Buffer.from('admin@example.com:sim-admin-token').toString('base64')}`,
      ],
      ['a wrong API token', basic('admin@example.com', 'not-the-token')],
      ["another identity's token", basic('admin@example.com', 'sim-agent-token')],
      ['an unknown email', basic('nobody@example.com', 'sim-admin-token')],
      ['a wrong OAuth token', 'Bearer not-the-token'],
      ['an unknown scheme', 'Digest abc'],
    ])('answers 401 "Couldn\'t authenticate you" for %s', async (_case, header) => {
      const req = sim.http().get(LIST);
      if (header) req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({ error: "Couldn't authenticate you" });
    });

    it('ignores credentials in the query string', async () => {
      await sim.http().get(`${LIST}?email=admin@example.com&token=sim-admin-token`).expect(401);
    });
  });

  describe('roles (section 3)', () => {
    it.each([
      ['GET', LIST],
      ['GET', `${LIST}/360099100002`],
      ['GET', '/api/v2/capacity/rules'],
    ])('answers 403 to an agent on the admin endpoint %s %s', async (_method, path) => {
      const res = await sim.get(path, AUTH.agent).expect(403);
      expect(JSON.stringify(res.body)).toContain('You do not have access to this resource');
    });

    it('lets an agent read its own availability', async () => {
      await sim.get(`${LIST}/me`, AUTH.agent).expect(200);
    });
  });

  describe('content negotiation (section 5)', () => {
    it.each([
      'application/json',
      'application/vnd.api+json',
      '*/*',
      'application/*',
      'text/html, application/json;q=0.5',
    ])('serves JSON for Accept: %s', async (accept) => {
      const res = await sim.get(LIST).set('Accept', accept).expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it.each(['text/xml', 'application/xml', 'application/json;q=0, text/html'])(
      'answers 406 for Accept: %s',
      async (accept) => {
        const res = await sim.get(LIST).set('Accept', accept).expect(406);
        expect(res.body).toEqual({
          errors: [
            {
              status: '406',
              code: 'NotAcceptable',
              title: 'Not Acceptable',
              detail: 'Only application/json responses are supported',
            },
          ],
        });
      },
    );

    it('answers 406 on capacity rules with the capacity error body', async () => {
      const res = await sim.get('/api/v2/capacity/rules').set('Accept', 'text/xml').expect(406);
      expect(res.body).toEqual({ error: 'Not Acceptable' });
    });
  });

  describe('paths and bodies', () => {
    it('treats a .json suffix as optional', async () => {
      const plain = await sim.get(`${LIST}?page[size]=3`).expect(200);
      const suffixed = await sim.get(`${LIST}.json?page[size]=3`).expect(200);
      expect(suffixed.body.data).toEqual(plain.body.data);
    });

    it('answers unknown Zendesk paths with a JSON 404', async () => {
      const res = await sim.get('/api/v2/no_such_thing').expect(404);
      expect(res.body.errors[0]).toMatchObject({ status: '404', code: 'NotFound' });
    });

    it('answers 400 naming the problem for a malformed JSON body, changing nothing', async () => {
      const before = await sim.get('/api/v2/capacity/rules').expect(200);
      const res = await sim
        .http()
        .post('/api/v2/capacity/rules')
        .set('Authorization', AUTH.admin)
        .set('Content-Type', 'application/json')
        .send('{"name": "Broken",')
        .expect(400);
      expect(res.body.error).toContain('not valid JSON');
      const after = await sim.get('/api/v2/capacity/rules').expect(200);
      expect(after.body).toEqual(before.body);
    });

    it('answers 400 for a body that is not declared as JSON', async () => {
      const res = await sim
        .http()
        .post('/api/v2/capacity/rules')
        .set('Authorization', AUTH.admin)
        .set('Content-Type', 'text/plain')
        .send('name=x')
        .expect(400);
      expect(res.body.error).toContain('Content-Type: application/json');
    });

    it('answers 413 for a body over 1 MB', async () => {
      const res = await sim
        .http()
        .post('/api/v2/capacity/rules')
        .set('Authorization', AUTH.admin)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'x'.repeat(1_100_000) }))
        .expect(413);
      expect(res.body.error).toContain('1mb');
    });
  });
});

describe('rate limit (section 4)', () => {
  let sim: SimHarness;

  beforeAll(async () => {
    sim = await startSim();
    await sim.freezeClock();
  });
  afterAll(() => sim.close());

  it('allows 200 requests a minute, then answers 429 with Retry-After and rate headers', async () => {
    for (let i = 0; i < 200; i++) {
      const res = await sim.get(`${LIST}/360099100001`).expect(200);
      expect(res.headers['x-rate-limit']).toBe('200');
      expect(res.headers['x-rate-limit-remaining']).toBe(String(199 - i));
    }
    const limited = await sim.get(`${LIST}/360099100001`).expect(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.headers['x-rate-limit-remaining']).toBe('0');
    expect(limited.body).toEqual({
      error: 'APIRateLimitExceeded',
      description: 'Rate limit of 200 requests per minute exceeded',
    });
    // The limit is per account, across every path, for every identity.
    await sim.get('/api/v2/capacity/rules').expect(429);
    await sim.get(`${LIST}/me`, AUTH.agent).expect(429);
  });

  it('counts over a sliding 60 s window, not a fixed minute', async () => {
    await sim.control('post', '/reset', { rate_limit_per_min: 10 });
    await sim.freezeClock('2025-03-14T09:00:50Z');
    for (let i = 0; i < 6; i++) await sim.get(LIST).expect(200);
    await sim.advance(30_000); // 09:01:20, a new calendar minute
    for (let i = 0; i < 4; i++) await sim.get(LIST).expect(200);
    const first = await sim.get(LIST).expect(429);
    expect(first.headers['retry-after']).toBe('30');
    await sim.advance(29_000);
    const second = await sim.get(LIST).expect(429);
    expect(second.headers['retry-after']).toBe('1');
    await sim.advance(1_000); // the six from 09:00:50 leave the window
    for (let i = 0; i < 6; i++) await sim.get(LIST).expect(200);
    const third = await sim.get(LIST).expect(429);
    expect(third.headers['retry-after']).toBe('30');

    // Across the whole run, no sliding 60 s window admitted more than 10.
    const log = (await sim.control('get', '/requests')).body.requests as Array<{
      time: string;
      status: number;
    }>;
    const admitted = log.filter((r) => r.status === 200).map((r) => Date.parse(r.time));
    for (const t of admitted)
      expect(admitted.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(10);
    expect(admitted).toHaveLength(16);
    expect(log.filter((r) => r.status === 429)).toHaveLength(3);
  });

  it('does not charge refused or unauthenticated requests to the budget', async () => {
    await sim.control('post', '/reset', { rate_limit_per_min: 3 });
    await sim.freezeClock();
    for (let i = 0; i < 5; i++) await sim.http().get(LIST).expect(401);
    for (let i = 0; i < 3; i++) await sim.get(LIST).expect(200);
    for (let i = 0; i < 5; i++) await sim.get(LIST).expect(429);
    await sim.advance(60_000);
    await sim.get(LIST).expect(200);
  });
});
