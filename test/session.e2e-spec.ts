import Database from 'better-sqlite3';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import request from 'supertest';
import { LiveEvents } from '../apps/router/src/api/live.events';
import { SESSION_COOKIE, SIGN_IN_MAX_FAILURES } from '../apps/router/src/api/session.store';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const TOKEN = 'session-e2e-api-token-0123';
const RULES = `rules:
  - name: quiet
    when: { fact: status.name, operator: equal, value: transfers_only }
    then: { set_status: online }
`;

jest.setTimeout(60_000);

/** The session cookie a sign-in set, as `name=value` for a Cookie header, and its attributes. */
function sessionCookie(res: request.Response): { pair: string; attributes: string[] } {
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!line) throw new Error(`no ${SESSION_COOKIE} cookie in ${JSON.stringify(setCookie)}`);
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  return { pair: pair!, attributes };
}

describe('dashboard sessions', () => {
  let h: RouterHarness;
  const lines: string[] = [];

  beforeAll(async () => {
    h = await startRouter(
      RULES,
      { ROUTER_API_TOKEN: TOKEN, SESSION_TTL_S: '3600', LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      5,
      {},
      { write: (line) => lines.push(line) },
    );
  });
  afterAll(() => h.close());

  it('exchanges the token for an HttpOnly, SameSite=Strict, expiring cookie that the API and the stream take', async () => {
    const signIn = await request(h.url).post('/api/session').send({ token: TOKEN, name: 'Ana' }).expect(200);
    expect(signIn.body).toMatchObject({ name: 'Ana', expiresAt: expect.any(String) });
    const { pair, attributes } = sessionCookie(signIn);
    expect(attributes).toEqual(
      expect.arrayContaining(['Max-Age=3600', 'Path=/', 'HttpOnly', 'SameSite=Strict']),
    );
    expect(attributes.some((a) => a.startsWith('Expires='))).toBe(true);
    // Plain HTTP: no Secure (a browser would not send the cookie back).
    expect(attributes).not.toContain('Secure');

    await request(h.url).get('/api/rules').set('Cookie', pair).expect(200);
    const who = await request(h.url).get('/api/session').set('Cookie', pair).expect(200);
    expect(who.body).toMatchObject({ via: 'session', name: 'Ana' });

    // The live stream with the cookie alone.
    const stream = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${h.url}/api/stream`, { headers: { Cookie: pair } }, resolve).on('error', reject),
    );
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    try {
      expect(stream.statusCode).toBe(200);
      const live = h.router.get(LiveEvents);
      const seen = await eventually(
        () => {
          live.publish({ type: 'agent', agentId: 3, version: 41, status: 'away' });
          return Promise.resolve(text);
        },
        (t) => t.includes('"version":41'),
      );
      expect(seen).toContain('event: agent');
    } finally {
      stream.destroy();
    }

    // Signing out ends the session: the same cookie is refused, for the API and the stream.
    const signOut = await request(h.url).delete('/api/session').set('Cookie', pair).expect(204);
    expect(([] as string[]).concat(signOut.headers['set-cookie'] ?? []).join()).toMatch(
      new RegExp(`^${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`),
    );
    const refused = await request(h.url).get('/api/rules').set('Cookie', pair).expect(401);
    expect(refused.body.message).toMatch(/session has ended or expired/);
    await request(h.url).get('/api/stream').set('Cookie', pair).expect(401);
  });

  it('refuses a cross-site state-changing call made with the cookie, and takes the same-origin one', async () => {
    const { pair } = sessionCookie(
      await request(h.url).post('/api/session').send({ token: TOKEN, name: 'Ana' }).expect(200),
    );
    const crossSite = [
      { Origin: 'https://evil.example' },
      { 'Sec-Fetch-Site': 'cross-site', Origin: h.url },
      { 'Sec-Fetch-Site': 'same-site' },
      {},
    ];
    for (const headers of crossSite) {
      const res = await request(h.url)
        .post('/api/pause')
        .set('Cookie', pair)
        .set(headers)
        .send({ reason: 'from elsewhere' })
        .expect(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect((await request(h.url).get('/api/pause').set('Cookie', pair).expect(200)).body.paused).toBe(false);

    await request(h.url)
      .post('/api/pause')
      .set('Cookie', pair)
      .set('Origin', h.url)
      .send({ reason: 'lunch cover' })
      .expect(200);
    const paused = (await request(h.url).get('/api/pause').set('Cookie', pair).expect(200)).body;
    expect(paused).toMatchObject({
      paused: true,
      since: expect.any(String),
      by: { via: 'session', name: 'Ana' },
      reason: 'lunch cover',
    });
    // A browser's own fetch says same-origin.
    await request(h.url)
      .post('/api/resume')
      .set('Cookie', pair)
      .set('Sec-Fetch-Site', 'same-origin')
      .send({})
      .expect(200);
    // The bearer header needs no Origin.
    await request(h.url)
      .post('/api/pause')
      .set('Authorization', `Bearer ${TOKEN}`)
      .send({ reason: 'incident 42' })
      .expect(200);
    const state = (await request(h.url).get('/api/pause').set('Authorization', `Bearer ${TOKEN}`)).body;
    expect(state).toMatchObject({ paused: true, by: { via: 'bearer', name: null }, reason: 'incident 42' });
    expect(state.history.map((c: { action: string; reason: string | null }) => [c.action, c.reason])).toEqual(
      [
        ['pause', 'incident 42'],
        ['resume', null],
        ['pause', 'lunch cover'],
      ],
    );
    await request(h.url).post('/api/resume').set('Authorization', `Bearer ${TOKEN}`).expect(200);

    // The audit log itself has who, when and why.
    const db = new Database(join(h.dir, 'audit.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT action, by_via, by_name, reason FROM controls ORDER BY id').all();
      expect(rows).toEqual([
        { action: 'pause', by_via: 'session', by_name: 'Ana', reason: 'lunch cover' },
        { action: 'resume', by_via: 'session', by_name: 'Ana', reason: null },
        { action: 'pause', by_via: 'bearer', by_name: null, reason: 'incident 42' },
        { action: 'resume', by_via: 'bearer', by_name: null, reason: null },
      ]);
    } finally {
      db.close();
    }
  });

  it('documents the sign-in, the cookie and the reason in OpenAPI', async () => {
    const doc = (await request(h.url).get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes[SESSION_COOKIE]).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(Object.keys(doc.paths['/api/session']).sort()).toEqual(['delete', 'get', 'post']);
    expect(doc.components.schemas.SignInRequest.required).toEqual(['token']);
    expect(doc.components.schemas.PauseRequest.properties.reason.maxLength).toBe(500);
    expect(doc.paths['/api/pause'].post.security).toEqual(
      expect.arrayContaining([{ bearer: [] }, { [SESSION_COOKIE]: [] }]),
    );
  });

  it('refuses a reason that is too long or not one line', async () => {
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    const long = await request(h.url)
      .post('/api/pause')
      .set(bearer)
      .send({ reason: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(long.body.message).toBe('reason must be at most 500 characters');
    const lines2 = await request(h.url).post('/api/pause').set(bearer).send({ reason: 'a\nb' });
    expect(lines2.body.message).toBe('reason must be one line without control characters');
    expect((await request(h.url).get('/api/pause').set(bearer)).body.paused).toBe(false);
  });

  it('keeps credentials elsewhere refused, a session id in the query string too', async () => {
    const { pair } = sessionCookie(
      await request(h.url).post('/api/session').send({ token: TOKEN }).expect(200),
    );
    const id = pair.slice(SESSION_COOKIE.length + 1);
    await request(h.url).get(`/api/rules?session=${id}`).expect(401);
    await request(h.url).get(`/api/rules?session=${id}`).set('Cookie', pair).expect(401);
  });

  it('refuses wrong tokens with 401, then the address with 429 and Retry-After, and logs no secret', async () => {
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++)
      await request(h.url)
        .post('/api/session')
        .send({ token: `wrong-token-${i}` })
        .expect(401);
    const limited = await request(h.url).post('/api/session').send({ token: 'wrong-token-x' }).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right token waits: the address is locked out, not the guess.
    await request(h.url).post('/api/session').send({ token: TOKEN }).expect(429);
    // The bearer header is not a sign-in: it still works.
    await request(h.url).get('/api/rules').set('Authorization', `Bearer ${TOKEN}`).expect(200);

    const warnings = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40);
    expect(warnings.filter((l) => l.msg.startsWith('Sign-in refused from')).length).toBe(
      SIGN_IN_MAX_FAILURES,
    );
    const all = lines.join('\n');
    expect(all).not.toContain('wrong-token-');
    expect(all).not.toContain(TOKEN);
    // No session id either: the access line of a sign-in shows its Set-Cookie redacted.
    expect(all).not.toMatch(new RegExp(`${SESSION_COOKIE}=[A-Za-z0-9_-]{20,}`));
    const signIns = lines
      .map((l) => JSON.parse(l) as { msg: string; res?: { headers?: Record<string, unknown> } })
      .filter((l) => l.msg.startsWith('POST /api/session 200'));
    expect(signIns.length).toBeGreaterThan(0);
    for (const line of signIns) expect(line.res?.headers?.['set-cookie']).toBe('[redacted]');
  });
});

describe('dashboard sessions behind a trusted proxy', () => {
  let h: RouterHarness;

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN, TRUST_PROXY: 'on' }, 5);
  });
  afterAll(() => h.close());

  it('sets Secure when the proxy says HTTPS, and counts wrong tokens per forwarded client address', async () => {
    const res = await request(h.url)
      .post('/api/session')
      .set('X-Forwarded-Proto', 'https')
      .send({ token: TOKEN })
      .expect(200);
    expect(sessionCookie(res).attributes).toContain('Secure');
    const plain = await request(h.url).post('/api/session').send({ token: TOKEN }).expect(200);
    expect(sessionCookie(plain).attributes).not.toContain('Secure');

    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++)
      await request(h.url)
        .post('/api/session')
        .set('X-Forwarded-For', '203.0.113.7')
        .send({ token: 'wrong-token' })
        .expect(401);
    await request(h.url)
      .post('/api/session')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ token: TOKEN })
      .expect(429);
    // Another client behind the same proxy signs in.
    await request(h.url)
      .post('/api/session')
      .set('X-Forwarded-For', '203.0.113.8')
      .send({ token: TOKEN })
      .expect(200);
  });

  it('takes the public origin the proxy forwards for a same-origin call', async () => {
    const { pair } = sessionCookie(
      await request(h.url).post('/api/session').send({ token: TOKEN }).expect(200),
    );
    await request(h.url)
      .post('/api/pause')
      .set('Cookie', pair)
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'router.example.com')
      .set('Origin', 'https://router.example.com')
      .expect(200);
    await request(h.url)
      .post('/api/resume')
      .set('Cookie', pair)
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'router.example.com')
      .set('Origin', 'https://other.example.com')
      .expect(403);
  });
});

describe('dashboard sessions without a trusted proxy', () => {
  let h: RouterHarness;

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN }, 5);
  });
  afterAll(() => h.close());

  it('believes no X-Forwarded-Proto: no Secure, and X-Forwarded-For does not dodge the limit', async () => {
    const res = await request(h.url)
      .post('/api/session')
      .set('X-Forwarded-Proto', 'https')
      .send({ token: TOKEN })
      .expect(200);
    expect(sessionCookie(res).attributes).not.toContain('Secure');
    for (let i = 0; i < SIGN_IN_MAX_FAILURES; i++)
      await request(h.url)
        .post('/api/session')
        .set('X-Forwarded-For', `198.51.100.${i}`)
        .send({ token: 'wrong-token' })
        .expect(401);
    await request(h.url)
      .post('/api/session')
      .set('X-Forwarded-For', '198.51.100.99')
      .send({ token: TOKEN })
      .expect(429);
  });
});
