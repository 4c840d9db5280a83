import { SchedulerRegistry } from '@nestjs/schedule';
import { createHmac } from 'node:crypto';
import { get } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { SqliteAuditStore } from '../apps/router/src/audit/sqlite/sqlite-audit.store';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const AGENT = 360_099_100_001;
const BREAK = 9002;
const NO_BREAKS = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

describe('the router against the simulator', () => {
  let h: RouterHarness;

  beforeAll(async () => {
    h = await startRouter(NO_BREAKS);
  });
  afterAll(() => h.close());

  it('schedules its sweeps in the scheduler registry, each waiting for its next turn', () => {
    expect(h.router.get(SchedulerRegistry).getTimeouts().sort()).toEqual([
      'sync.capacity-rules',
      'sync.resync',
      'sync.statuses',
      'sync.tick',
    ]);
  });

  it('is healthy once rules are loaded and the first sync is done', async () => {
    const res = await request(h.url).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      details: {
        rules: { status: 'up', revision: expect.any(String), rejectedChange: false },
        sync: { status: 'up', lastResyncAgeS: expect.any(Number) },
        zendesk: { status: 'up', breaker: 'closed' },
        audit: { status: 'up', writable: true },
      },
    });
  });

  it('acts on a signed webhook without reading the agent again, and records the decision', async () => {
    await h.sim.control('delete', '/requests');
    const sent = Date.now();
    await h.sim.control('put', `/agents/${AGENT}`, { status_id: BREAK });
    const agent = await eventually(
      async () => (await h.sim.control('get', `/agents/${AGENT}`)).body.agent,
      (a) => a.status.name === 'away',
    );
    expect(agent.status).toMatchObject({ name: 'away', reason: 'PUBLIC_API' });
    const requests = (await h.sim.control('get', '/requests')).body.requests as Array<{
      method: string;
      path: string;
    }>;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /api/v2/agent_availabilities/agent_statuses/agents/${AGENT}`,
    ]);

    const audit = new SqliteAuditStore(join(h.dir, 'audit.sqlite'));
    try {
      const [decision] = (await audit.decisions({ agentId: AGENT })).decisions;
      expect(decision).toMatchObject({
        rule: 'no-breaks',
        outcome: 'applied',
        facts: { 'status.name': 'Break' },
        explanation: { kind: 'fact', fact: 'status.name', actual: 'Break', passed: true },
      });
      expect(decision!.latencyMs).toBeLessThanOrEqual(Date.now() - sent);
    } finally {
      await audit.close();
    }
  }, 15_000);

  it('rejects a badly signed webhook and changes nothing', async () => {
    await h.sim.control('delete', '/requests');
    const body = JSON.stringify({
      id: 'forged',
      type: 'zen:event-type:agent.unified_state_changed',
      detail: { agent_id: String(AGENT), version: '999' },
      event: {},
    });
    const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const signature = createHmac('sha256', 'not-the-secret')
      .update(timestamp + body)
      .digest('base64');
    const res = await request(h.url)
      .post('/webhooks/zendesk')
      .set('Content-Type', 'application/json')
      .set('x-zendesk-webhook-signature', signature)
      .set('x-zendesk-webhook-signature-timestamp', timestamp)
      .send(body)
      .expect(401);
    expect(res.body.error).toBe('invalid_signature');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await h.sim.control('get', '/requests')).body.requests).toEqual([]);
  });

  it('refuses an oversized body with 413', async () => {
    await request(h.url)
      .post('/webhooks/zendesk')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(1_100_000) }))
      .expect(413);
  });
});

describe('the router API', () => {
  let h: RouterHarness;
  const TOKEN = 'a-router-api-token-for-tests';
  const api = (method: 'get' | 'post', path: string) =>
    request(h.url)[method](path).set('Authorization', `Bearer ${TOKEN}`);

  beforeAll(async () => {
    h = await startRouter(NO_BREAKS, { ROUTER_API_TOKEN: TOKEN }, 10);
  });
  afterAll(() => h.close());

  it('refuses calls without the token', async () => {
    const res = await request(h.url).get('/api/rules').expect(401);
    expect(res.body.error).toBe('unauthorized');
    await request(h.url).get('/api/rules').set('Authorization', 'Bearer wrong').expect(401);
  });

  it('shows the live rules, an agent with explanations, and explains supplied facts', async () => {
    const rules = await api('get', '/api/rules').expect(200);
    expect(rules.body).toMatchObject({
      revision: expect.any(String),
      rules: [{ name: 'no-breaks', kind: 'agent' }],
      rejectedChange: [],
    });
    const agent = await api('get', `/api/agents/${AGENT}`).expect(200);
    expect(agent.body.rules[0]).toMatchObject({
      rule: 'no-breaks',
      applies: true,
      matched: false,
      standing: { state: 'not_matched' },
      why: ['does not match', expect.stringContaining('status.name equal "Break"')],
    });
    expect(agent.body.facts['status.name']).toEqual(expect.any(String));
    const whatIf = await api('post', '/api/explain')
      .send({ facts: { 'status.name': 'Break' } })
      .expect(200);
    expect(whatIf.body.rules[0]).toMatchObject({
      rule: 'no-breaks',
      matched: true,
      standing: { state: 'fires' },
    });
  });

  it('names the bad field of a bad request', async () => {
    expect((await api('get', '/api/decisions?outcome=maybe').expect(400)).body.message).toContain(
      'outcome must be one of',
    );
    expect((await api('get', '/api/decisions?limit=0').expect(400)).body.message).toContain(
      'limit must be a whole number',
    );
    expect((await api('get', '/api/decisions?colour=red').expect(400)).body.message).toContain(
      'property colour should not exist',
    );
    expect((await api('post', '/api/explain').send({ facts: 3 }).expect(400)).body.message).toContain(
      'facts must be an object',
    );
    const malformed = await api('post', '/api/explain')
      .set('Content-Type', 'application/json')
      .send('{"facts":')
      .expect(400);
    expect(malformed.body).toEqual({ error: 'bad_request', message: 'the body is not valid JSON' });
    await api('get', '/api/agents/999').expect(404);
  });

  it('pauses all changes (recorded as suppressed) and resumes them', async () => {
    expect((await api('post', '/api/pause').expect(200)).body).toEqual({ paused: true });
    await h.sim.control('put', `/agents/${AGENT + 1}`, { status_id: BREAK });
    const suppressed = await eventually(
      async () => (await api('get', `/api/decisions?agent_id=${AGENT + 1}`)).body.decisions,
      (d: unknown[]) => d.length > 0,
    );
    expect(suppressed[0]).toMatchObject({ outcome: 'suppressed', reason: 'the router is paused' });
    expect((await h.sim.control('get', `/agents/${AGENT + 1}`)).body.agent.status.name).toBe('Break');

    expect((await api('post', '/api/resume').expect(200)).body).toEqual({ paused: false });
    await h.sim.control('put', `/agents/${AGENT + 1}`, { status_id: 3 });
    await h.sim.control('put', `/agents/${AGENT + 1}`, { status_id: BREAK });
    const agent = await eventually(
      async () => (await h.sim.control('get', `/agents/${AGENT + 1}`)).body.agent,
      (a: { status: { name: string } }) => a.status.name === 'away',
    );
    expect(agent.status.name).toBe('away');
    const page = await api('get', `/api/decisions?agent_id=${AGENT + 1}&outcome=applied`).expect(200);
    expect(page.body.decisions[0]).toMatchObject({ rule: 'no-breaks', outcome: 'applied' });
  }, 15_000);

  it('streams decisions and agent changes as Server-Sent Events', async () => {
    const received: string[] = [];
    const stream = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      get(`${h.url}/api/stream`, { headers: { Authorization: `Bearer ${TOKEN}` } }, resolve).on(
        'error',
        reject,
      );
    });
    try {
      expect(stream.statusCode).toBe(200);
      expect(stream.headers['content-type']).toContain('text/event-stream');
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => received.push(chunk));
      await h.sim.control('put', `/agents/${AGENT + 2}`, { status_id: BREAK });
      const text = await eventually(
        () => Promise.resolve(received.join('')),
        (t) => t.includes('event: decision'),
      );
      const decision = text
        .split('\n\n')
        .filter((block) => block.includes('event: decision'))
        .map((block) =>
          JSON.parse(
            block
              .split('\n')
              .find((l) => l.startsWith('data: '))!
              .slice('data: '.length),
          ),
        )[0];
      expect(decision).toMatchObject({
        type: 'decision',
        decision: { agentId: AGENT + 2, rule: 'no-breaks', outcome: 'applied' },
      });
      expect(text).toContain('event: agent');
    } finally {
      stream.destroy();
    }
  }, 15_000);

  it('exposes Prometheus metrics without a token', async () => {
    const res = await request(h.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/router_decisions_total\{rule="no-breaks",outcome="applied"\} \d+/);
    expect(res.text).toMatch(
      /router_zendesk_requests_total\{endpoint="availability\.list",status="200"\} \d+/,
    );
    expect(res.text).toContain('router_zendesk_breaker_state 0');
    expect(res.text).toMatch(/router_zendesk_budget_remaining \d+/);
    expect(res.text).toContain('router_evaluation_seconds_bucket');
    expect(res.text).toContain('router_webhook_lag_seconds_count');
  });

  it('rejects a broken rule file dropped in while running, keeps the old rules working, and shows why', async () => {
    const before = (await api('get', '/api/rules').expect(200)).body.revision;
    writeFileSync(
      join(h.dir, 'broken.yaml'),
      'rules:\n  - { name: oops, when: { fact: idleMinuts, operator: greaterThan, value: 1 }, then: { set_status: away } }\n',
    );
    const rules = await eventually(
      async () => (await api('get', '/api/rules')).body,
      (body: { revision: string; rejectedChange: unknown[] }) => body.rejectedChange.length > 0,
    );
    expect(rules.revision).toBe(before);
    expect(rules.rejectedChange).toEqual([
      {
        file: join(h.dir, 'broken.yaml'),
        line: 2,
        column: 33,
        message: 'unknown fact "idleMinuts" (did you mean "idleMinutes"?)',
      },
    ]);
    expect((await request(h.url).get('/health').expect(200)).body.details.rules).toEqual({
      status: 'up',
      revision: before,
      rejectedChange: true,
      accountProblems: [],
    });
    // The old rules still act.
    await h.sim.control('put', `/agents/${AGENT + 3}`, { status_id: BREAK });
    const agent = await eventually(
      async () => (await h.sim.control('get', `/agents/${AGENT + 3}`)).body.agent,
      (a: { status: { name: string } }) => a.status.name === 'away',
    );
    expect(agent.status.name).toBe('away');
  }, 15_000);

  it('documents the API with OpenAPI at /docs', async () => {
    const spec = (await request(h.url).get('/docs-json').expect(200)).body;
    expect(spec.info.title).toBe('Availability Router');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/decisions',
        '/api/explain',
        '/api/agents/{agentId}',
        '/api/pause',
        '/api/stream',
      ]),
    );
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    await request(h.url).get('/docs').expect(200);
  });
});
