import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DecisionOutcome, DecisionRecord } from '../audit.store';
import { COUNT_BY_RULE_SQL, LAST_TIME_SQL, SqliteAuditStore } from './sqlite-audit.store';

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

  it('appends pauses and resumes with who and why, with their state, and keeps them append-only', async () => {
    const pause = {
      time: 1_000,
      action: 'pause' as const,
      by: { via: 'session' as const, name: 'Ana' },
      reason: 'lunch cover',
    };
    await store.recordControl(pause, { paused: true, pausedBy: pause });
    await store.recordControl(
      { time: 2_000, action: 'resume', by: { via: 'bearer', name: null }, reason: null },
      { paused: false, pausedBy: null },
    );
    await store.close();
    store = new SqliteAuditStore(join(dir, 'data', 'audit.sqlite'));
    expect(await store.controls()).toEqual([
      { id: 2, time: 2_000, action: 'resume', by: { via: 'bearer', name: null }, reason: null },
      { id: 1, ...pause },
    ]);
    expect(await store.controls(1)).toHaveLength(1);
    expect(await store.state('pausedBy')).toBeNull();
    const db = (store as unknown as { db: { prepare(sql: string): { run(): void } } }).db;
    expect(() => db.prepare("UPDATE controls SET reason = 'other'").run()).toThrow(
      'the audit log is append-only',
    );
    expect(() => db.prepare('DELETE FROM controls').run()).toThrow('the audit log is append-only');
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

  describe('rule statistics', () => {
    const OUTCOME_LIST: DecisionOutcome[] = ['applied', 'shadow', 'no_op', 'suppressed', 'failed'];
    const RULES = ['away-when-idle', 'surge', 'lunch', 'quiet'];
    const START = Date.parse('2026-11-23T00:00:00Z');
    const HOUR = 3_600_000;

    /** 30,000 decisions over two days: rule, outcome and time vary with the row's number. */
    const rows = Array.from({ length: 30_000 }, (_, i) =>
      aDecision({
        time: START + Math.floor((i * 48 * HOUR) / 30_000),
        rule: RULES[i % 3]!,
        outcome: OUTCOME_LIST[(i * 7) % 5]!,
      }),
    );

    /** The counts computed here from the rows, to compare with the store's aggregate. */
    function expectedCounts(from: number, to: number) {
      const counts = new Map<string, number>();
      for (const row of rows) {
        if (row.time < from || row.time >= to) continue;
        const key = `${row.rule}/${row.outcome}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].sort(([a], [b]) => a.localeCompare(b));
    }

    beforeEach(async () => {
      for (let i = 0; i < rows.length; i += 5_000) await store.recordPass(rows.slice(i, i + 5_000));
    });

    it('counts decisions by rule and outcome in a time range, as the rows say', async () => {
      for (const [from, to] of [
        [START + 47 * HOUR, START + 48 * HOUR],
        [START + 24 * HOUR, START + 48 * HOUR],
        [START + 10 * HOUR + 1, START + 10 * HOUR + 2],
      ] as const) {
        const counts = (await store.countByRule(from, to))
          .map((c) => [`${c.rule}/${c.outcome}`, c.count] as const)
          .sort(([a], [b]) => a.localeCompare(b));
        expect(counts).toEqual(expectedCounts(from, to));
      }
      const lastHour = await store.countByRule(START + 47 * HOUR, START + 48 * HOUR);
      expect(lastHour.length).toBe(15);
      expect(await store.countByRule(START + 48 * HOUR, START + 72 * HOUR)).toEqual([]);
    });

    it('says when each rule last fired (applied or shadow), leaving out rules that never did', async () => {
      await store.recordPass([
        aDecision({ rule: 'quiet', outcome: 'no_op', time: START + 50 * HOUR }),
        aDecision({ rule: 'lunch', outcome: 'failed', time: START + 50 * HOUR }),
      ]);
      const fired = await store.lastFired([...RULES, 'not-a-rule']);
      const expected: Record<string, number> = {};
      for (const row of rows)
        if (row.outcome === 'applied' || row.outcome === 'shadow')
          expected[row.rule] = Math.max(expected[row.rule] ?? 0, row.time);
      expect(fired).toEqual(expected);
      expect(Object.keys(fired).sort()).toEqual(['away-when-idle', 'lunch', 'surge']);
    });

    it('answers both from an index alone, never reading decision rows', () => {
      const db = new Database(store.path, { readonly: true });
      try {
        const plan = (sql: string, ...params: unknown[]) =>
          (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
            .map((r) => r.detail)
            .join('\n');
        expect(plan(COUNT_BY_RULE_SQL, START, START + HOUR)).toMatch(
          /SEARCH decisions USING COVERING INDEX decisions_time_rule_outcome \(time>\? AND time<\?\)/,
        );
        expect(plan(LAST_TIME_SQL, 'surge', 'applied')).toMatch(
          /SEARCH decisions USING COVERING INDEX decisions_rule_outcome_time \(rule=\? AND outcome=\?\)/,
        );
      } finally {
        db.close();
      }
    });
  });
});
