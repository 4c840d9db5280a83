import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AuditStore } from './audit.store';

/** How often a store that cannot write is tried again. */
export const PROBE_INTERVAL_MS = 2_000;
/** `/health` probes the store at most this often; between probes it reports the last answer. */
const CHECK_INTERVAL_MS = 1_000;

/** The audit store as the health check reports it. */
export interface AuditStoreStatus {
  writable: boolean;
  /** The store's own words for the failure (`database or disk is full`); null while it writes. */
  reason: string | null;
  /** SQLite's code for it (`SQLITE_FULL`, `SQLITE_READONLY`, `SQLITE_BUSY`, `SQLITE_CORRUPT`), if any. */
  code: string | null;
  /** When the outage began (epoch ms); null while it writes. */
  since: number | null;
}

interface Outage {
  reason: string;
  code: string | null;
  since: number;
  withheld: number;
  dropped: number;
}

/**
 * Whether the audit store takes writes, and the router failing closed while it does not. The
 * first write that fails (a journal entry, a pass's commit, the health probe) begins an outage:
 * one error line for the operator, `router_audit_writable` at 0, `/health` in error, and no
 * status or capacity write is sent — the journal refuses to note one, so the decision waits and
 * is made again. The store is tried on a timer, at each pass and at each `/health`; the first
 * write that goes through ends the outage with one more line, and the listeners catch up.
 */
export class AuditHealth implements OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private outage: Outage | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastCheckAt = -Infinity;
  private readonly listeners: Array<() => void> = [];
  private readonly writableGauge: Gauge;
  private readonly failures: Counter<'code'>;
  private readonly withheldWrites: Counter;
  private readonly droppedRows: Counter;

  constructor(
    private readonly store: AuditStore,
    registry: Registry = new Registry(),
    private readonly now: () => number = Date.now,
  ) {
    this.writableGauge = new Gauge({
      name: 'router_audit_writable',
      help: 'The audit store takes writes: 1, or 0 while it does not (no status or capacity write is sent then)',
      registers: [registry],
    });
    this.writableGauge.set(1);
    this.failures = new Counter({
      name: 'router_audit_write_failures_total',
      help: 'Writes to the audit store that failed, by SQLite code (SQLITE_FULL, SQLITE_READONLY, ...)',
      labelNames: ['code'],
      registers: [registry],
    });
    this.withheldWrites = new Counter({
      name: 'router_writes_withheld_total',
      help: 'Status and capacity writes not sent because the audit store could not note them first',
      registers: [registry],
    });
    this.droppedRows = new Counter({
      name: 'router_decisions_dropped_total',
      help: 'Decisions without a write that could not be kept in memory until the audit store took them',
      registers: [registry],
    });
  }

  /** Whether writes may be sent: the store took the last write tried. */
  get writable(): boolean {
    return this.outage === null;
  }

  status(): AuditStoreStatus {
    const outage = this.outage;
    return {
      writable: outage === null,
      reason: outage?.reason ?? null,
      code: outage?.code ?? null,
      since: outage?.since ?? null,
    };
  }

  /** Tries the store with a probe write (at most once a second); the status after it. */
  async check(): Promise<AuditStoreStatus> {
    const now = this.now();
    if (now - this.lastCheckAt >= CHECK_INTERVAL_MS) {
      this.lastCheckAt = now;
      await this.probe();
    }
    return this.status();
  }

  /** A probe write: ends an outage when it goes through, begins one when it fails. */
  async probe(): Promise<boolean> {
    try {
      await this.store.probe();
    } catch (error) {
      this.failed(error);
      return false;
    }
    this.succeeded();
    return true;
  }

  /** A write to the store failed. The first failure begins an outage. */
  failed(error: unknown): void {
    const { reason, code } = describe(error);
    this.failures.inc({ code: code ?? 'unknown' });
    if (this.outage) {
      this.outage.reason = reason;
      this.outage.code = code;
      return;
    }
    this.outage = { reason, code, since: this.now(), withheld: 0, dropped: 0 };
    this.writableGauge.set(0);
    this.logger.error(
      `The audit store cannot write (${reason}${code ? `, ${code}` : ''}): no status or capacity change ` +
        `is sent until it can; decisions wait and are made again then. Trying it every ${PROBE_INTERVAL_MS / 1000} s`,
    );
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  /** A write to the store went through. Ends an outage, and tells the listeners. */
  succeeded(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = null;
    this.stopTimer();
    this.writableGauge.set(1);
    const seconds = Math.round((this.now() - outage.since) / 1000);
    this.logger.warn(
      `The audit store writes again after ${seconds} s (it failed with: ${outage.reason}); ` +
        `${outage.withheld} writes were held back and are decided again now` +
        (outage.dropped > 0 ? `; ${outage.dropped} decisions without a write could not be kept` : ''),
    );
    for (const listener of this.listeners) listener();
  }

  /** A write was not sent because its journal entry could not be noted. */
  withheld(): void {
    this.withheldWrites.inc();
    if (this.outage) this.outage.withheld += 1;
  }

  /** Decisions without a write that were dropped from memory while the store could not take them. */
  dropped(count: number): void {
    this.droppedRows.inc(count);
    if (!this.outage) return;
    if (this.outage.dropped === 0)
      this.logger.warn(
        `The audit store still cannot write: decisions without a write are being dropped (kept: the newest ones)`,
      );
    this.outage.dropped += count;
  }

  /** Called each time an outage ends. */
  onRecovered(listener: () => void): void {
    this.listeners.push(listener);
  }

  onApplicationShutdown(): void {
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** A store error as the operator reads it: SQLite's message and code. */
function describe(error: unknown): { reason: string; code: string | null } {
  if (typeof error !== 'object' || error === null) return { reason: String(error), code: null };
  const { message, code } = error as { message?: unknown; code?: unknown };
  return {
    reason: typeof message === 'string' ? message : 'the store failed without saying why',
    code: typeof code === 'string' ? code : null,
  };
}
