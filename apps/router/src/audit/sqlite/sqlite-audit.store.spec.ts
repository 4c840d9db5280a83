import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionRecord } from '../audit.store';
import { SqliteAuditStore } from './sqlite-audit.store';

function aDecision(overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    time: Date.parse('2026-11-23T10:00:00Z'),
    target: 'agent:1',
    agentId: 1,
    rule: 'messaging-idle-away',
    revision: 'abc123def456',
    facts: { idleMinutes: 20, 'messaging.status': 'online' },
    explanation: {
      kind: 'fact',
      fact: 'idleMinutes',
      operator: 'greaterThan',
      expected: 15,
      actual: 20,
      passed: true,
    },
    action: { type: 'set_status', status: 'away' },
    outcome: 'applied',
    reason: null,
    latencyMs: 12.5,
    ...overrides,
  };
}

describe('SqliteAuditStore', () => {
  let dir: string;
  let store: SqliteAuditStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
    store = new SqliteAuditStore(join(dir, 'data', 'audit.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a pass of decisions and its state together, and reads them back after reopening', async () => {
    const planner = { pendingSince: { 'agent:1|x': 5 }, firedAt: {}, changes: {} };
    await store.recordPass(
      [aDecision(), aDecision({ agentId: 2, target: 'agent:2', outcome: 'suppressed', until: 99 })],
      { planner, paused: true },
    );
    await store.close();
    store = new SqliteAuditStore(join(dir, 'data', 'audit.sqlite'));
    const { decisions } = await store.decisions();
    expect(decisions.map((d) => [d.agentId, d.outcome, d.until])).toEqual([
      [2, 'suppressed', 99],
      [1, 'applied', null],
    ]);
    expect(decisions[1]).toMatchObject({
      facts: { idleMinutes: 20 },
      action: { type: 'set_status', status: 'away' },
      latencyMs: 12.5,
    });
    expect(await store.state('planner')).toEqual(planner);
    expect(await store.state('paused')).toBe(true);
    expect(await store.state('baselines')).toBeUndefined();
  });

  it('filters by agent, rule, outcome and time, newest first, with a cursor', async () => {
    const base = Date.parse('2026-11-23T10:00:00Z');
    await store.recordPass(
      Array.from({ length: 120 }, (_, i) =>
        aDecision({
          time: base + i * 1000,
          agentId: i % 3,
          rule: i % 2 ? 'a' : 'b',
          outcome: i % 5 ? 'applied' : 'failed',
        }),
      ),
    );
    expect((await store.decisions({ agentId: 1, limit: 500 })).decisions).toHaveLength(40);
    expect(
      (await store.decisions({ rule: 'a', outcome: 'failed', limit: 500 })).decisions.every(
        (d) => d.rule === 'a' && d.outcome === 'failed',
      ),
    ).toBe(true);
    expect((await store.decisions({ from: base + 100_000, to: base + 110_000 })).decisions).toHaveLength(10);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await store.decisions({ limit: 50, before });
      seen.push(...page.decisions.map((d) => d.id));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(seen).toHaveLength(120);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('is append-only', async () => {
    await store.recordPass([aDecision()]);
    const db = (store as unknown as { db: { prepare(sql: string): { run(): void } } }).db;
    expect(() => db.prepare("UPDATE decisions SET outcome = 'no_op'").run()).toThrow(
      'the audit log is append-only',
    );
    expect(() => db.prepare('DELETE FROM decisions').run()).toThrow('the audit log is append-only');
  });

  it('writes nothing of a pass that fails half-way', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(
      store.recordPass([aDecision(), aDecision({ facts: circular })], { paused: true }),
    ).rejects.toThrow();
    expect((await store.decisions()).decisions).toEqual([]);
    expect(await store.state('paused')).toBeUndefined();
  });

  it('keeps every committed pass when the process is killed with SIGKILL', async () => {
    const path = join(dir, 'crash.sqlite');
    // A separate process records passes through this very store (its TypeScript compiled on the
    // fly) and kills itself mid-stream, as `kill -9` would.
    const script = `
      const { SqliteAuditStore } = require(${JSON.stringify(join(__dirname, 'sqlite-audit.store.ts'))});
      const store = new SqliteAuditStore(${JSON.stringify(path)});
      const decision = ${JSON.stringify(aDecision())};
      (async () => {
        for (let n = 1; ; n++) {
          await store.recordPass(Array.from({ length: 100 }, () => decision), { health: n });
          process.stdout.write(n + '\\n');
          if (n === 30) process.kill(process.pid, 'SIGKILL');
        }
      })();
    `;
    const register = join(__dirname, '..', '..', '..', '..', '..', 'test', 'support', 'ts-register.cjs');
    const child = spawnSync(process.execPath, ['-r', register, '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    const acknowledged = Number(child.stdout.trim().split('\n').pop());
    await store.close();
    store = new SqliteAuditStore(path);
    expect(acknowledged).toBe(30);
    expect((await store.decisions({ limit: 1 })).decisions[0]!.id).toBe(acknowledged * 100);
    expect(await store.state('health')).toBe(acknowledged);
  });

  it('probes with a write that needs room: refused with the reason on a full file, through again with room', async () => {
    await expect(store.probe()).resolves.toBeUndefined();
    const probedAt = await store.state('health');
    expect(typeof probedAt).toBe('number');
    // A file capped at its size now fills up after a few rows, as a full disk does.
    store.limitPages(0);
    const big = aDecision({ facts: { padding: 'x'.repeat(2_000) } });
    let full: unknown = null;
    for (let i = 0; i < 100 && !full; i++)
      full = await store.recordPass([big]).then(
        () => null,
        (e: unknown) => e,
      );
    expect(full).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' });
    await expect(store.probe()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    // Nothing of the refused pass is kept, and what was committed before is readable.
    const rows = (await store.decisions({ limit: 500 })).decisions.length;
    expect(rows).toBeGreaterThan(0);
    expect(store.limitPages(1_000_000)).toBe(1_000_000);
    await expect(store.probe()).resolves.toBeUndefined();
    await store.recordPass([big]);
    expect((await store.decisions({ limit: 500 })).decisions).toHaveLength(rows + 1);
    await store.close();
    await expect(store.probe()).rejects.toThrow('The database connection is not open');
  });
});
