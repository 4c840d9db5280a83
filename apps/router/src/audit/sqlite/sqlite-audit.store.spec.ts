import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore, type DecisionRecord } from './audit.store';

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

describe('AuditStore', () => {
  let dir: string;
  let store: AuditStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
    store = new AuditStore(join(dir, 'data', 'audit.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a pass of decisions and its state together, and reads them back after reopening', () => {
    store.recordPass([aDecision(), aDecision({ agentId: 2, target: 'agent:2', outcome: 'shadow' })], {
      planner: { pendingSince: { 'agent:1|x': 5 } },
      paused: true,
    });
    store.close();
    store = new AuditStore(join(dir, 'data', 'audit.sqlite'));
    const { decisions } = store.decisions();
    expect(decisions.map((d) => [d.agentId, d.outcome])).toEqual([
      [2, 'shadow'],
      [1, 'applied'],
    ]);
    expect(decisions[1]).toMatchObject({
      facts: { idleMinutes: 20 },
      action: { type: 'set_status', status: 'away' },
      latencyMs: 12.5,
    });
    expect(store.state('planner')).toEqual({ pendingSince: { 'agent:1|x': 5 } });
    expect(store.state('paused')).toBe(true);
    expect(store.state('missing')).toBeUndefined();
  });

  it('filters by agent, rule, outcome and time, newest first, with a cursor', () => {
    const base = Date.parse('2026-11-23T10:00:00Z');
    store.recordPass(
      Array.from({ length: 120 }, (_, i) =>
        aDecision({
          time: base + i * 1000,
          agentId: i % 3,
          rule: i % 2 ? 'a' : 'b',
          outcome: i % 5 ? 'applied' : 'failed',
        }),
      ),
    );
    expect(store.decisions({ agentId: 1, limit: 500 }).decisions).toHaveLength(40);
    expect(
      store
        .decisions({ rule: 'a', outcome: 'failed', limit: 500 })
        .decisions.every((d) => d.rule === 'a' && d.outcome === 'failed'),
    ).toBe(true);
    expect(store.decisions({ from: base + 100_000, to: base + 110_000 }).decisions).toHaveLength(10);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = store.decisions({ limit: 50, before });
      seen.push(...page.decisions.map((d) => d.id));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(seen).toHaveLength(120);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('is append-only', () => {
    store.recordPass([aDecision()]);
    const db = (store as unknown as { db: { prepare(sql: string): { run(): void } } }).db;
    expect(() => db.prepare("UPDATE decisions SET outcome = 'no_op'").run()).toThrow(
      'the audit log is append-only',
    );
    expect(() => db.prepare('DELETE FROM decisions').run()).toThrow('the audit log is append-only');
  });

  it('writes nothing of a pass that fails half-way', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => store.recordPass([aDecision(), aDecision({ facts: circular })], { paused: true })).toThrow();
    expect(store.decisions().decisions).toEqual([]);
    expect(store.state('paused')).toBeUndefined();
  });

  it('keeps every committed pass when the process is killed with SIGKILL', () => {
    const path = join(dir, 'crash.sqlite');
    // A separate process records passes through this very AuditStore (compiled on the fly) and
    // kills itself mid-stream, as `kill -9` would.
    const script = `
      const { dirname } = require('node:path');
      const Module = require('node:module');
      const swc = require(${JSON.stringify(require.resolve('@swc/core'))});
      const source = ${JSON.stringify(join(__dirname, 'audit.store.ts'))};
      const { code } = swc.transformFileSync(source, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
      const compiled = new Module(source);
      compiled.paths = Module._nodeModulePaths(dirname(source));
      compiled._compile(code, source);
      const store = new compiled.exports.AuditStore(${JSON.stringify(path)});
      const decision = ${JSON.stringify(aDecision())};
      for (let n = 1; ; n++) {
        store.recordPass(Array.from({ length: 100 }, () => decision), { passes: n });
        process.stdout.write(n + '\\n');
        if (n === 30) process.kill(process.pid, 'SIGKILL');
      }
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    const acknowledged = Number(child.stdout.trim().split('\n').pop());
    store.close();
    store = new AuditStore(path);
    expect(acknowledged).toBe(30);
    expect(store.decisions({ limit: 1 }).decisions[0]!.id).toBe(acknowledged * 100);
    expect(store.state('passes')).toBe(acknowledged);
  });

  it('reports whether it can write', () => {
    expect(store.writable()).toBe(true);
    store.close();
    expect(store.writable()).toBe(false);
  });
});
