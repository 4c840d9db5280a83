import request from 'supertest';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const TOKEN = 'router-logs-e2e-api-token';
const AGENT = 360_099_100_001;
const BREAK = 9002;
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

/**
 * Log lines of one router, as written. nestjs-pino keeps one logger per process: a test file
 * captures the lines of the first router it starts.
 */
class LogSink {
  readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(...line.split('\n').filter(Boolean));
  }

  text(): string {
    return this.lines.join('\n');
  }

  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

const messages = (sink: LogSink, context: string) =>
  sink
    .records()
    .filter((r) => r.context === context)
    .map((r) => r.msg as string);

jest.setTimeout(20_000);

describe('the router log, as JSON (a log sink is no terminal)', () => {
  let h: RouterHarness;
  const sink = new LogSink();
  const api = (method: 'get' | 'post', path: string) =>
    request(h.url)[method](path).set('Authorization', `Bearer ${TOKEN}`);

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN, LOG_LEVEL: 'debug' }, 10, {}, sink);
  });
  afterAll(() => h.close());

  it('writes one line for an applied change, naming target, action, rule and outcome', async () => {
    await h.sim.control('put', `/agents/${AGENT}`, { status_id: BREAK });
    await eventually(
      async () => (await api('get', `/api/decisions?agent_id=${AGENT}&outcome=applied`).expect(200)).body,
      (body: { decisions: unknown[] }) => body.decisions.length === 1,
    );
    const lines = await eventually(
      () => Promise.resolve(messages(sink, 'Changes')),
      (found) => found.length > 0,
    );
    expect(lines).toEqual([`Applied: agent:${AGENT} set_status away (rule no-breaks): set to away`]);
    const record = sink.records().find((r) => r.context === 'Changes')!;
    expect(record.level).toBe(30);
    expect(record.decision).toEqual({
      target: `agent:${AGENT}`,
      rule: 'no-breaks',
      action: 'set_status away',
      outcome: 'applied',
      reason: 'set to away',
    });
  });

  it('writes pause, the change it suppresses, and resume, one line each', async () => {
    await api('post', '/api/pause').expect(200);
    try {
      await h.sim.control('put', `/agents/${AGENT + 1}`, { status_id: BREAK });
      await eventually(
        async () =>
          (await api('get', `/api/decisions?agent_id=${AGENT + 1}&outcome=suppressed`).expect(200)).body,
        (body: { decisions: unknown[] }) => body.decisions.length === 1,
      );
    } finally {
      await api('post', '/api/resume').expect(200);
    }
    const changes = await eventually(
      () => Promise.resolve(messages(sink, 'Changes').filter((m) => m.includes(`agent:${AGENT + 1}`))),
      (found) => found.length > 0,
    );
    expect(changes).toEqual([
      `Suppressed: agent:${AGENT + 1} set_status away (rule no-breaks): the router is paused`,
    ]);
    expect(messages(sink, 'Safety')).toEqual([
      'Paused by the bearer token: no rule changes anything until POST /api/resume (decisions are recorded as suppressed)',
      'Resumed by the bearer token: rules change things again',
    ]);
  });

  it('writes webhook access lines at debug, never at info, and nothing for /health and /metrics', async () => {
    await request(h.url).get('/health');
    await request(h.url).get('/metrics').expect(200);
    await request(h.url).get('/health?probe=1');
    const webhookLines = sink
      .records()
      .filter((r) => typeof r.msg === 'string' && r.msg.startsWith('POST /webhooks/zendesk'));
    expect(webhookLines.length).toBeGreaterThan(0);
    expect(new Set(webhookLines.map((r) => r.level))).toEqual(new Set([20]));
    // The API's own access lines: a write at info, a refusal at warn.
    await eventually(
      () => Promise.resolve(sink.records().filter((r) => String(r.msg).startsWith('POST /api/resume 200 '))),
      (found) => found.length > 0,
    );
    expect(sink.records().find((r) => String(r.msg).startsWith('POST /api/resume 200 '))!.level).toBe(30);
    expect(sink.records().filter((r) => /^GET \/(health|metrics)/.test(String(r.msg)))).toEqual([]);
  });

  it('refuses a token anywhere but the Authorization header, and never writes one', async () => {
    const misplaced: Array<[string, request.Test]> = [
      ['query-access-token', request(h.url).get('/api/rules?access_token=query-access-token')],
      ['query-token', request(h.url).get('/api/decisions?limit=5&token=query-token')],
      ['query-api-key', request(h.url).get('/api/rules?api_key=query-api-key')],
      ['header-x-api-key', request(h.url).get('/api/rules').set('X-API-Key', 'header-x-api-key')],
      ['query-beside-a-good-header', api('get', '/api/rules?access_token=query-beside-a-good-header')],
    ];
    for (const [secret, sent] of misplaced) {
      const res = await sent;
      expect(res.status).toBe(401);
      expect(res.body.message).toContain('send Authorization: Bearer <ROUTER_API_TOKEN>');
      expect(res.body.message).not.toContain(secret);
    }
    // Elsewhere than the API too: a webhook URL with a token in it is logged without it.
    await request(h.url).post('/webhooks/zendesk?token=webhook-query-token').send('{}');
    // The right header (the scheme in any case) is accepted.
    await request(h.url).get('/api/rules').set('Authorization', `bearer ${TOKEN}`).expect(200);
    const written = await eventually(
      () => Promise.resolve(sink.text()),
      (text) => text.includes('POST /webhooks/zendesk?token=[redacted]'),
    );
    for (const [secret] of misplaced) expect(written).not.toContain(secret);
    expect(written).not.toContain('webhook-query-token');
    expect(written).not.toContain(TOKEN);
    expect(written).toContain('GET /api/rules?access_token=[redacted] 401');
    const keyLine = sink
      .records()
      .find((r) => (r.req as { headers?: Record<string, string> } | undefined)?.headers?.['x-api-key']);
    expect((keyLine!.req as { headers: Record<string, string> }).headers['x-api-key']).toBe('[redacted]');
  });
});
