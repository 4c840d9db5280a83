import Database from 'better-sqlite3';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore, type DecisionRecord } from '../apps/router/src/audit/audit.store';
import type { SqliteAuditStore } from '../apps/router/src/audit/sqlite/sqlite-audit.store';
import { loadRouterConfig } from '../apps/router/src/config/router.config';
import { createRouterApp, listenAndSync } from '../apps/router/src/router.app';
import { eventually, freePort } from './support/router.harness';
import { startSim, type SimHarness } from './support/sim.harness';

// The audit store made full in the middle of a stream of status writes (SQLite's max_page_count
// on the router's own connection, then the room left filled): the router stops sending writes,
// says so on /health, and resumes by itself when the file may grow again — and every write
// Zendesk took ends with exactly one row.

const SECRET = 'storage-full-webhook-secret';
const FIRST_AGENT = 360_099_100_001;
const AGENT_COUNT = 30;
const AGENTS = Array.from({ length: AGENT_COUNT }, (_, i) => FIRST_AGENT + i);
const BREAK = 9002;
const AWAY = 4;
const STATUS_WRITE = /^\/api\/v2\/agent_availabilities\/agent_statuses\/agents\/(\d+)$/;
/** The write, counted from the start of the stream, during which the store becomes full. */
const FULL_AT_WRITE = 8;
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

/** A status write as it reached Zendesk, with what the audit file held at that moment. */
interface ArrivedWrite {
  agentId: number;
  statusId: number;
  /** The router's journal (read by another connection) had this write when it arrived. */
  journaled: boolean;
  status: number;
}

/**
 * Sits between the router and the simulator and, at each status write, reads the audit file as
 * another process would before passing the write on: the write must already be in the journal.
 * `beforeWrite` runs before the nth write is passed on.
 */
class CheckingProxy {
  readonly writes: ArrivedWrite[] = [];
  beforeWrite: { at: number; run: () => Promise<void> } | null = null;
  private server: Server | null = null;

  constructor(
    private readonly target: string,
    private readonly auditFile: string,
  ) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        void this.arrived(req.method ?? 'GET', req.url ?? '/', body).then((write) => {
          const upstream = httpRequest(
            `${this.target}${req.url}`,
            { method: req.method, headers: req.headers },
            (answer) => {
              if (write) write.status = answer.statusCode ?? 0;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          upstream.on('error', () => res.writeHead(502).end());
          upstream.end(body);
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async arrived(method: string, url: string, body: Buffer): Promise<ArrivedWrite | null> {
    const match = method === 'PUT' ? STATUS_WRITE.exec(url) : null;
    if (!match) return null;
    const agentId = Number(match[1]);
    const statusId = (JSON.parse(body.toString()) as { id: number }).id;
    const write: ArrivedWrite = {
      agentId,
      statusId,
      journaled: this.journaled(agentId, statusId),
      status: 0,
    };
    this.writes.push(write);
    if (this.beforeWrite && this.writes.length === this.beforeWrite.at) await this.beforeWrite.run();
    return write;
  }

  private journaled(agentId: number, statusId: number): boolean {
    const db = new Database(this.auditFile, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT value FROM state WHERE key = 'openWrites'").get() as
        { value: string } | undefined;
      const open = row
        ? (JSON.parse(row.value) as Array<{ kind?: string; agentId?: number; statusId?: number }>)
        : [];
      return open.some((w) => w.kind === 'status' && w.agentId === agentId && w.statusId === statusId);
    } finally {
      db.close();
    }
  }
}

/** Caps the router's audit file at its size and fills the room left, as a full disk would. */
async function fillUp(store: SqliteAuditStore): Promise<void> {
  store.limitPages(0);
  const filler: DecisionRecord = {
    time: Date.now(),
    target: 'capacity:filler',
    agentId: null,
    rule: 'filler',
    revision: 'filler',
    facts: {},
    explanation: null,
    action: null,
    outcome: 'no_op',
    reason: null,
    latencyMs: null,
  };
  for (const padding of [2_000, 200, 0]) {
    let refused = false;
    for (let i = 0; i < 5_000 && !refused; i++)
      refused = await store.recordPass([{ ...filler, facts: { padding: 'x'.repeat(padding) } }]).then(
        () => false,
        () => true,
      );
    if (!refused) throw new Error('the capped audit file never filled');
  }
}

describe('the audit store made full mid-stream', () => {
  let dir: string;
  let sim: SimHarness;
  let proxy: CheckingProxy;
  let router: NestExpressApplication;

  afterEach(async () => {
    await router?.close();
    await proxy?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends no write without its journal entry, fails closed, resumes by itself, and keeps one row per write', async () => {
    dir = mkdtempSync(join(tmpdir(), 'storage-full-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    const auditFile = join(dir, 'audit.sqlite');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    sim = await startSim({
      agentCount: AGENT_COUNT,
      rateLimitPerMin: 100_000,
      webhook: { url: `${url}/webhooks/zendesk`, secret: SECRET },
    });
    // Every agent starts off a break, so the router's writes are the ones this test causes.
    for (const id of AGENTS) await sim.control('put', `/agents/${id}`, { status_id: AWAY });
    proxy = new CheckingProxy(sim.url, auditFile);
    const config = loadRouterConfig({
      ZENDESK_WEBHOOK_SECRET: SECRET,
      DATA_DIR: dir,
      RULES_DIR: dir,
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
      HUMAN_HOLD_S: '0',
      MIN_ONLINE_PER_GROUP: '0',
      MAX_CHANGES_PER_MIN: '10000',
      ENFORCE: 'on',
      LOG_LEVEL: process.env.ROUTER_TEST_LOGS ? 'debug' : 'silent',
    });
    router = await createRouterApp(config, {
      baseUrl: await proxy.listen(),
      auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
    });
    await listenAndSync(router, port, '127.0.0.1');
    const store = router.get<AuditStore, SqliteAuditStore>(AuditStore);

    const health = async () => {
      const answer = await fetch(`${url}/health`);
      const body = (await answer.json()) as { details: Record<string, Record<string, unknown>> };
      return { status: answer.status, audit: body.details.audit };
    };
    const metric = async (name: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? NaN : Number(line.slice(name.length + 1));
    };
    const statusOf = async (id: number) =>
      (await sim.control('get', `/agents/${id}`)).body.agent.status.id as number;
    expect((await health()).status).toBe(200);

    // The stream: one agent after another goes on a break the rules do not allow. The store
    // becomes full while Zendesk is taking the FULL_AT_WRITE-th write: Zendesk takes it, its row
    // cannot commit.
    let filled = false;
    proxy.beforeWrite = {
      at: FULL_AT_WRITE,
      run: async () => {
        await fillUp(store);
        filled = true;
      },
    };
    const beforeOutage = AGENTS.slice(0, FULL_AT_WRITE);
    for (const id of beforeOutage) {
      await sim.control('put', `/agents/${id}`, { status_id: BREAK });
      await eventually(
        () => Promise.resolve(proxy.writes.length),
        (n) => n >= beforeOutage.indexOf(id) + 1,
        10_000,
      );
    }
    expect(filled).toBe(true);
    // The router's own commit of that write's row is the first write the full store refuses
    // (nothing probes a store that has not failed yet).
    const refused = await eventually(
      () => metric('router_audit_write_failures_total{code="SQLITE_FULL"}'),
      (n) => n >= 1,
      10_000,
    );
    expect(refused).toBeGreaterThanOrEqual(1);

    const outage = await eventually(health, (h) => h.status === 503, 10_000);
    expect(outage.status).toBe(503);
    expect(outage.audit).toMatchObject({
      status: 'down',
      writable: false,
      reason: 'database or disk is full',
      code: 'SQLITE_FULL',
    });
    expect(await metric('router_audit_writable')).toBe(0);
    // Zendesk took the write the store filled up under; its row could not commit, and it stays
    // in the journal.
    const tookWithoutRow = beforeOutage[FULL_AT_WRITE - 1]!;
    expect(await statusOf(tookWithoutRow)).toBe(AWAY);
    const atOutage = readAudit(auditFile);
    expect(atOutage.open).toBe(1);
    expect(atOutage.rows.map((r) => r.agent_id)).toEqual(beforeOutage.slice(0, -1));

    // While the store is full the stream goes on; none of these decisions is carried out.
    const duringOutage = AGENTS.slice(FULL_AT_WRITE);
    const withheldBefore = await metric('router_writes_withheld_total');
    for (const id of duringOutage) await sim.control('put', `/agents/${id}`, { status_id: BREAK });
    const withheld = await eventually(
      () => metric('router_writes_withheld_total'),
      (n) => n - withheldBefore >= duringOutage.length,
      20_000,
    );
    expect(withheld - withheldBefore).toBeGreaterThanOrEqual(duringOutage.length);
    expect(proxy.writes).toHaveLength(FULL_AT_WRITE);
    expect(await Promise.all(duringOutage.map(statusOf))).toEqual(duringOutage.map(() => BREAK));
    expect((await health()).status).toBe(503);

    // Space returns: the router finds out by itself and catches up.
    store.limitPages(1_000_000);
    const back = await eventually(health, (h) => h.status === 200, 20_000);
    expect(back).toMatchObject({ status: 200, audit: { status: 'up', writable: true } });
    const statuses = await eventually(
      () => Promise.all(AGENTS.map(statusOf)),
      (all) => all.every((s) => s === AWAY),
      30_000,
    );
    expect(statuses).toEqual(AGENTS.map(() => AWAY));
    expect(await metric('router_audit_writable')).toBe(1);

    // Every write that reached Zendesk was in the journal before it was sent, and Zendesk took it.
    expect(proxy.writes.length).toBe(AGENT_COUNT);
    expect(proxy.writes.filter((w) => !w.journaled)).toEqual([]);
    expect(proxy.writes.every((w) => w.status === 200 && w.statusId === AWAY)).toBe(true);
    // Exactly one row per write Zendesk took — the one whose row first failed to commit included —
    // and nothing left open in the journal.
    const rows = await eventually(
      () => Promise.resolve(readAudit(auditFile)),
      (audit) => audit.rows.length >= AGENT_COUNT && audit.open === 0,
      10_000,
    );
    const writesPerAgent = count(proxy.writes.map((w) => w.agentId));
    const rowsPerAgent = count(rows.rows.map((r) => r.agent_id));
    expect(rowsPerAgent).toEqual(writesPerAgent);
    expect([...writesPerAgent.values()].every((n) => n === 1)).toBe(true);
    expect(rows.rows.every((r) => r.outcome === 'applied')).toBe(true);
    expect(rows.open).toBe(0);
  }, 120_000);
});

/** The router's rows of `no-breaks` and how many writes its journal holds, read as another process would. */
function readAudit(file: string): { rows: Array<{ agent_id: number; outcome: string }>; open: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT agent_id, outcome FROM decisions WHERE rule = 'no-breaks' ORDER BY id")
      .all() as Array<{ agent_id: number; outcome: string }>;
    const state = db.prepare("SELECT value FROM state WHERE key = 'openWrites'").get() as
      { value: string } | undefined;
    return { rows, open: state ? (JSON.parse(state.value) as unknown[]).length : 0 };
  } finally {
    db.close();
  }
}

function count(ids: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const id of [...ids].sort()) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}
