import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { AuditStore } from '../apps/router/src/audit/audit.store';
import { loadRouterConfig } from '../apps/router/src/config/router.config';
import { createRouterApp } from '../apps/router/src/router.app';
import { startSim, type SimHarness } from './support/sim.harness';

const AGENT = 360_099_100_001;
const SECRET = 'router-e2e-webhook-secret';
const BREAK = 9002;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the router against the simulator', () => {
  let sim: SimHarness;
  let router: NestExpressApplication;
  let routerUrl: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-'));
    writeFileSync(
      join(dir, 'breaks.yaml'),
      `statuses: [Break]
rules:
  - name: no-breaks
    when:
      all:
        - { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`,
    );
    const port = await freePort();
    routerUrl = `http://127.0.0.1:${port}`;
    sim = await startSim({
      agentCount: 30,
      rateLimitPerMin: 100_000,
      webhook: { url: `${routerUrl}/webhooks/zendesk`, secret: SECRET },
    });
    const config = loadRouterConfig({
      ZENDESK_WEBHOOK_SECRET: SECRET,
      DATA_DIR: dir,
      RULES_DIR: dir,
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
    });
    router = await createRouterApp(
      config,
      { baseUrl: sim.url, auth: { type: 'oauth', accessToken: 'sim-oauth-token' } },
      { logger: false },
    );
    await router.listen(port, '127.0.0.1');
  });
  afterAll(async () => {
    await router.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is healthy once rules are loaded and the first sync is done', async () => {
    const res = await request(routerUrl).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      rules: { revision: expect.any(String) },
      zendesk: { breaker: 'closed' },
      audit: { writable: true },
    });
  });

  it('acts on a signed webhook without reading the agent again, and records the decision', async () => {
    await sim.control('delete', '/requests');
    const sent = Date.now();
    await sim.control('put', `/agents/${AGENT}`, { status_id: BREAK });
    const agent = await eventually(
      async () => (await sim.control('get', `/agents/${AGENT}`)).body.agent,
      (a) => a.status.name === 'away',
    );
    expect(agent.status).toMatchObject({ name: 'away', reason: 'PUBLIC_API' });
    const requests = (await sim.control('get', '/requests')).body.requests as Array<{
      method: string;
      path: string;
    }>;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /api/v2/agent_availabilities/agent_statuses/agents/${AGENT}`,
    ]);

    const audit = new AuditStore(join(dir, 'audit.sqlite'));
    try {
      const [decision] = audit.decisions({ agentId: AGENT }).decisions;
      expect(decision).toMatchObject({
        rule: 'no-breaks',
        outcome: 'applied',
        facts: { 'status.name': 'Break' },
        explanation: { kind: 'all', passed: true },
      });
      expect(decision!.latencyMs).toBeLessThanOrEqual(Date.now() - sent);
    } finally {
      audit.close();
    }
  }, 15_000);

  it('rejects a badly signed webhook and changes nothing', async () => {
    await sim.control('delete', '/requests');
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
    const res = await request(routerUrl)
      .post('/webhooks/zendesk')
      .set('Content-Type', 'application/json')
      .set('x-zendesk-webhook-signature', signature)
      .set('x-zendesk-webhook-signature-timestamp', timestamp)
      .send(body)
      .expect(401);
    expect(res.body.error).toBe('invalid_signature');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await sim.control('get', '/requests')).body.requests).toEqual([]);
  });

  it('refuses an oversized body with 413', async () => {
    await request(routerUrl)
      .post('/webhooks/zendesk')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(1_100_000) }))
      .expect(413);
  });
});
