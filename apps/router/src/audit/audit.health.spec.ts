import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AuditHealth, PROBE_INTERVAL_MS } from './audit.health';
import type { DecisionRecord } from './audit.store';
import { SqliteAuditStore } from './sqlite/sqlite-audit.store';

const DECISION: DecisionRecord = {
  time: 1_000,
  target: 'agent:1',
  agentId: 1,
  rule: 'no-breaks',
  revision: 'r1',
  facts: {},
  explanation: null,
  action: { set_status: 'away' },
  outcome: 'no_op',
  reason: 'already away',
  latencyMs: 1,
};

describe('AuditHealth', () => {
  let dir: string;
  let store: SqliteAuditStore;
  let registry: Registry;
  let health: AuditHealth;
  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;

  const metric = async (name: string) =>
    (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values.map((v) => [v.labels, v.value]);

  beforeEach(() => {
    jest.useFakeTimers();
    dir = mkdtempSync(join(tmpdir(), 'audit-health-'));
    store = new SqliteAuditStore(join(dir, 'audit.sqlite'));
    registry = new Registry();
    health = new AuditHealth(store, registry);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    health.onApplicationShutdown();
    jest.restoreAllMocks();
    jest.useRealTimers();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails closed on a full store with one notice, and recovers by itself once space returns', async () => {
    const recovered = jest.fn();
    health.onRecovered(recovered);
    expect(await health.check()).toEqual({ writable: true, reason: null, code: null, since: null });
    expect(await metric('router_audit_writable')).toEqual([[{}, 1]]);

    // The file may not grow; rows take what room is left in it.
    store.limitPages(0);
    let refused = false;
    for (let i = 0; i < 1_000 && !refused; i++)
      refused = await store.recordPass([{ ...DECISION, facts: { padding: 'x'.repeat(1_000) } }]).then(
        () => false,
        () => true,
      );
    expect(refused).toBe(true);
    expect(await health.probe()).toBe(false);
    expect(health.status()).toMatchObject({
      writable: false,
      reason: 'database or disk is full',
      code: 'SQLITE_FULL',
    });
    expect(await metric('router_audit_writable')).toEqual([[{}, 0]]);
    // Further failures in the same outage are counted, not announced again.
    health.failed(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    health.withheld();
    health.withheld();
    await jest.advanceTimersByTimeAsync(3 * PROBE_INTERVAL_MS);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![0]).toContain(
      'The audit store cannot write (database or disk is full, SQLITE_FULL)',
    );
    expect(await metric('router_audit_write_failures_total')).toEqual([[{ code: 'SQLITE_FULL' }, 5]]);
    expect(await metric('router_writes_withheld_total')).toEqual([[{}, 2]]);
    expect(recovered).not.toHaveBeenCalled();

    // Space returns: the timer's next probe ends the outage, once.
    store.limitPages(1_000_000);
    await jest.advanceTimersByTimeAsync(PROBE_INTERVAL_MS);
    expect(health.writable).toBe(true);
    expect(recovered).toHaveBeenCalledTimes(1);
    expect(warnings).toHaveBeenCalledTimes(1);
    expect(warnings.mock.calls[0]![0]).toContain('2 writes were held back');
    expect(await metric('router_audit_writable')).toEqual([[{}, 1]]);
    await jest.advanceTimersByTimeAsync(3 * PROBE_INTERVAL_MS);
    expect(recovered).toHaveBeenCalledTimes(1);
    expect(await metric('router_audit_write_failures_total')).toEqual([[{ code: 'SQLITE_FULL' }, 5]]);
  });

  it('probes for /health at most once a second', async () => {
    const probe = jest.spyOn(store, 'probe');
    await health.check();
    await health.check();
    expect(probe).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1_000);
    await health.check();
    expect(probe).toHaveBeenCalledTimes(2);
  });
});
