import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from './support/router.harness';
import { startSim, type SimHarness } from './support/sim.harness';

const SECRET = 'router-crash-webhook-secret';
const ROOT = join(__dirname, '..');
const BREAK = 9002;
const LUNCH = 9001;
const AGENT_COUNT = 250;
const FIRST_AGENT = 360_099_100_001;
const BUSY = Array.from({ length: 150 }, (_, i) => FIRST_AGENT + i);
const LUNCHING = FIRST_AGENT + 200;
const RULES = `statuses: [Break, Lunch]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
  - name: long-lunch
    for: 1h
    when: { fact: status.name, operator: equal, value: Lunch }
    then: { set_status: away }
`;

interface DecisionRow {
  id: number;
  agent_id: number | null;
  rule: string;
  outcome: string;
}

/** A router as its own process, run from the TypeScript sources, so it can be killed for real. */
function startRouterProcess(dir: string, port: number, zendeskUrl: string): ChildProcess {
  return spawn(process.execPath, ['-r', './test/support/ts-register.cjs', 'apps/router/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      RULES_DIR: dir,
      ZENDESK_BASE_URL: zendeskUrl,
      ZENDESK_OAUTH_TOKEN: 'sim-oauth-token',
      ZENDESK_WEBHOOK_SECRET: SECRET,
      ZENDESK_REQUESTS_PER_MIN: '10000',
      ENFORCE: 'on',
      HUMAN_HOLD_S: '0',
      MIN_ONLINE_PER_GROUP: '0',
      MAX_CHANGES_PER_MIN: '10000',
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
}

/** Reads the audit file as another process would, while the router runs or after it died. */
function readAudit(dir: string): {
  rows: DecisionRow[];
  planner: { pendingSince: Record<string, number> } | null;
} {
  const db = new Database(join(dir, 'audit.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT id, agent_id, rule, outcome FROM decisions ORDER BY id')
      .all() as DecisionRow[];
    const state = db.prepare("SELECT value FROM state WHERE key = 'planner'").get() as
      { value: string } | undefined;
    return {
      rows,
      planner: state ? (JSON.parse(state.value) as { pendingSince: Record<string, number> }) : null,
    };
  } finally {
    db.close();
  }
}

describe('the router killed with SIGKILL in a busy period', () => {
  let sim: SimHarness;
  let router: ChildProcess | null = null;
  let dir: string;

  afterEach(async () => {
    router?.kill('SIGKILL');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no audit row, repeats no action and keeps its pending timers after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-crash-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    sim = await startSim({
      agentCount: AGENT_COUNT,
      rateLimitPerMin: 100_000,
      webhook: { url: `${url}/webhooks/zendesk`, secret: SECRET },
    });
    const healthy = async () => (await fetch(`${url}/health`).catch(() => null))?.status === 200;
    router = startRouterProcess(dir, port, sim.url);
    await eventually(healthy, Boolean, 30_000);

    // A `for` timer starts: lunch began, the rule waits an hour.
    await sim.control('put', `/agents/${LUNCHING}`, { status_id: LUNCH });
    const pendingKey = `agent:${LUNCHING}|long-lunch`;
    const pendingSince = (await eventually(
      () => Promise.resolve(readAudit(dir).planner?.pendingSince[pendingKey]),
      (since) => since !== undefined,
      10_000,
    ))!;

    // Agents seeded on a break are the router's first writes; the busy period starts after them.
    const statusOf = async (id: number) =>
      (await sim.control('get', `/agents/${id}`)).body.agent.status.name as string;
    const allAgents = Array.from({ length: AGENT_COUNT }, (_, i) => FIRST_AGENT + i);
    await eventually(
      () => Promise.all(allAgents.map(statusOf)),
      (names) => !names.includes('Break'),
      20_000,
    );

    // The busy period: every one of these agents goes on a break the rules do not allow. Status
    // writes take 25 ms each, so the kill below lands in the middle of them however fast this
    // machine is.
    await sim.control('post', '/faults', {
      type: 'latency',
      ms: 25,
      method: 'PUT',
      path_prefix: '/api/v2/agent_availabilities/agent_statuses/agents',
    });
    await sim.control('delete', '/requests');
    const rowsBeforeBusy = readAudit(dir).rows.length;
    for (let i = 0; i < BUSY.length; i += 25) {
      await Promise.all(
        BUSY.slice(i, i + 25).map((id) => sim.control('put', `/agents/${id}`, { status_id: BREAK })),
      );
    }
    await eventually(
      () => Promise.resolve(readAudit(dir).rows.filter((r) => r.outcome === 'applied').length),
      (applied) => applied >= 20,
      20_000,
    );
    router.kill('SIGKILL');
    await new Promise((resolve) => router!.once('exit', resolve));
    const beforeRestart = readAudit(dir).rows;
    const appliedAtKill = beforeRestart.slice(rowsBeforeBusy).filter((r) => r.outcome === 'applied').length;

    router = startRouterProcess(dir, port, sim.url);
    await eventually(healthy, Boolean, 30_000);
    const statuses = await eventually(
      () => Promise.all(BUSY.map(statusOf)),
      (names) => names.every((name) => name === 'away'),
      30_000,
    );
    expect(statuses.every((name) => name === 'away')).toBe(true);

    const after = readAudit(dir);
    // Every row committed before the kill is still there, unchanged.
    expect(after.rows.slice(0, beforeRestart.length)).toEqual(beforeRestart);
    // The kill came in the middle: some changes were made before it, the rest after the restart.
    expect(appliedAtKill).toBeLessThan(BUSY.length);
    // No agent was changed twice, and each change has exactly one row: a write Zendesk took just
    // before the kill is settled from the journal at the restart.
    const requests = (await sim.control('get', '/requests')).body.requests as Array<{
      method: string;
      path: string;
      status: number;
    }>;
    const writes = requests.filter((r) => r.method === 'PUT' && r.status === 200);
    const writesPerAgent = new Map<string, number>();
    for (const w of writes) writesPerAgent.set(w.path, (writesPerAgent.get(w.path) ?? 0) + 1);
    expect(writes).toHaveLength(BUSY.length);
    expect(Math.max(...writesPerAgent.values())).toBe(1);
    const applied = after.rows
      .slice(rowsBeforeBusy)
      .filter((r) => r.outcome === 'applied' && r.rule === 'no-breaks');
    expect(new Set(applied.map((r) => r.agent_id)).size).toBe(applied.length);
    expect(applied).toHaveLength(BUSY.length);
    // The lunch timer kept its start: it was not restarted by the crash.
    expect(after.planner?.pendingSince[pendingKey]).toBe(pendingSince);
    expect(after.rows.some((r) => r.rule === 'long-lunch')).toBe(false);
  }, 120_000);
});
