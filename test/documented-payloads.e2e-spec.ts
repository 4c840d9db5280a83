import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { SqliteAuditStore } from '../apps/router/src/audit/sqlite/sqlite-audit.store';
import { loadRouterConfig } from '../apps/router/src/config/router.config';
import { createRouterApp, listenAndSync } from '../apps/router/src/router.app';
import { documentedExample } from './support/documented-examples';
import { eventually, freePort } from './support/router.harness';

/** The agents of the contract's examples. */
const PARTIAL = 360099123401;
const AWAY = 360099123402;
const MALFORMED = 360099123403;
const API_TOKEN = 'documented-payloads-e2e-token';
const RULES = `rules:
  - name: online-goes-away
    when: { fact: status.name, operator: equal, value: online }
    then: { set_status: away }
`;

interface Seen {
  method: string;
  path: string;
  body: unknown;
}

/**
 * A stand-in for Zendesk that answers each call of the router with the contract's example for it,
 * byte for byte as docs/zendesk-api.md prints it: statuses 10.3, capacity rules 9.2, the agent
 * list 8.1.6 (a channel and a work item its `included` lacks) with one agent appended whose status
 * id is not an integer, and the bare status-change answer of 10.5.
 */
function documentedZendesk(seen: Seen[]): Server {
  const list = documentedExample('8.1.6');
  const malformed = structuredClone(list.data[0]);
  malformed.id = `agent_availabilities|${MALFORMED}`;
  malformed.attributes.agent_id = MALFORMED;
  malformed.attributes.agent_status.id = 'online';
  malformed.relationships.channels.data = [];
  list.data.push(malformed);
  const routes: Record<string, unknown> = {
    'GET /api/v2/agent_availabilities/agent_statuses': documentedExample('10.3'),
    'GET /api/v2/capacity/rules': documentedExample('9.2'),
    'GET /api/v2/agent_availabilities': list,
    [`PUT /api/v2/agent_availabilities/agent_statuses/agents/${PARTIAL}`]: documentedExample('10.5', 1),
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', path, body: text === '' ? null : JSON.parse(text) });
      const answer = routes[`${req.method} ${path}`];
      res.writeHead(answer === undefined ? 404 : 200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer ?? documentedExample('6')));
    });
  });
}

describe("the router against Zendesk's documented example payloads", () => {
  const seen: Seen[] = [];
  let zendesk: Server;
  let router: NestExpressApplication;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    zendesk = documentedZendesk(seen);
    await new Promise<void>((resolve) => zendesk.listen(0, '127.0.0.1', resolve));
    const zendeskUrl = `http://127.0.0.1:${(zendesk.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'router-documented-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    const config = loadRouterConfig({
      ZENDESK_WEBHOOK_SECRET: 'documented-payloads-webhook-secret',
      ROUTER_API_TOKEN: API_TOKEN,
      DATA_DIR: dir,
      RULES_DIR: dir,
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
      HUMAN_HOLD_S: '0',
      MIN_ONLINE_PER_GROUP: '0',
      LOG_LEVEL: process.env.ROUTER_TEST_LOGS ? 'debug' : 'silent',
    });
    router = await createRouterApp(config, {
      baseUrl: zendeskUrl,
      auth: { type: 'oauth', accessToken: 'documented-payloads-oauth-token' },
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await listenAndSync(router, port, '127.0.0.1');
  });
  afterAll(async () => {
    await router.close();
    await new Promise((resolve) => zendesk.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string) => request(url).get(path).set('Authorization', `Bearer ${API_TOKEN}`);

  it('syncs: the first full list succeeds although parts of it are missing or malformed', async () => {
    const health = await request(url).get('/health');
    expect(health.body.details.sync).toMatchObject({ status: 'up', lastResyncAgeS: expect.any(Number) });
    // The omnichannel reads of a sync (agent names come from the Users API, on a budget of their own).
    const reads = seen.filter((s) => s.method === 'GET' && !s.path.startsWith('/api/v2/users/'));
    expect(reads.map((s) => s.path)).toEqual([
      '/api/v2/agent_availabilities/agent_statuses',
      '/api/v2/capacity/rules',
      '/api/v2/agent_availabilities',
    ]);
  });

  it('keeps the agent whose talk channel and one work item are missing, with what is there', async () => {
    const view = await api(`/api/agents/${PARTIAL}`).expect(200);
    expect(view.body.agent).toMatchObject({ id: PARTIAL, version: 61 });
    expect(view.body.agent.channels).toEqual([
      expect.objectContaining({ name: 'messaging', status: 'online', workItemCount: 3, maxCapacity: 3 }),
    ]);
    await api(`/api/agents/${AWAY}`).expect(200);
  });

  it('leaves the malformed agent out of its view and never writes to it', async () => {
    await api(`/api/agents/${MALFORMED}`).expect(404);
    expect(seen.filter((s) => s.path.endsWith(`/agents/${MALFORMED}`))).toEqual([]);
  });

  it('acts on the kept agent: the write reaches Zendesk, the bare answer is taken, the decision has its row', async () => {
    const writes = await eventually(
      () => Promise.resolve(seen.filter((s) => s.method === 'PUT')),
      (puts) => puts.length > 0,
    );
    expect(writes).toEqual([
      {
        method: 'PUT',
        path: `/api/v2/agent_availabilities/agent_statuses/agents/${PARTIAL}`,
        body: { id: 4 },
      },
    ]);
    const audit = new SqliteAuditStore(join(dir, 'audit.sqlite'));
    try {
      const decisions = await eventually(
        async () => (await audit.decisions({ agentId: PARTIAL })).decisions,
        (rows) => rows.length > 0,
      );
      expect(decisions).toEqual([
        expect.objectContaining({ agentId: PARTIAL, rule: 'online-goes-away', outcome: 'applied' }),
      ]);
      expect((await audit.decisions({ agentId: MALFORMED })).decisions).toEqual([]);
    } finally {
      await audit.close();
    }
  });

  it('counts what it dropped in /metrics, by endpoint and kind', async () => {
    const metrics = (await request(url).get('/metrics').expect(200)).text;
    const dropped = metrics
      .split('\n')
      .filter((line) => line.startsWith('router_zendesk_decode_dropped_total{'))
      .sort();
    expect(dropped).toEqual([
      'router_zendesk_decode_dropped_total{endpoint="availability.list",kind="malformed_agent"} 1',
      'router_zendesk_decode_dropped_total{endpoint="availability.list",kind="missing_channel"} 1',
      'router_zendesk_decode_dropped_total{endpoint="availability.list",kind="missing_work_item"} 1',
    ]);
  });
});
