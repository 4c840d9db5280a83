import type { OnApplicationShutdown } from '@nestjs/common';
import type { IntakeOutcome, RejectionCause } from './webhook.intake';

/** Where `WebhookDeliveries` reports: counters for `/metrics`, warn lines for the log. */
export interface DeliverySinks {
  counted(kind: IntakeOutcome['kind'], cause?: RejectionCause): void;
  warn(message: string): void;
}

/** Options of `WebhookDeliveries`; the defaults suit production. */
export interface WebhookDeliveriesOptions {
  /** Deliveries `/health` looks at, the most recent ones (default 50). */
  window?: number;
  /** Deliveries older than this leave the window (default 15 minutes). */
  maxAgeMs?: number;
  /** Fewest deliveries in the window before `/health` judges them (default 5). */
  minDeliveries?: number;
  /** At most one warn line per cause this often; the ones in between are counted (default 60 s). */
  logEveryMs?: number;
  now?: () => number;
}

/** What `/health` shows about recent webhook deliveries. */
export interface DeliveryReport {
  /** Deliveries in the window, and how many of them were rejected, by cause. */
  recent: number;
  recentRejected: number;
  recentByCause: Partial<Record<RejectionCause, number>>;
  /** Rejected since the start. */
  rejectedTotal: number;
  lastRejection: { at: string; cause: RejectionCause; reason: string } | null;
  /** More than half of the window was rejected (with at least `minDeliveries` in it). */
  mostlyRejected: boolean;
}

/** What an operator can do about each cause, added to its warn line. */
const HINTS: Record<RejectionCause, string> = {
  bad_signature: 'the signing secret differs: was it rotated in Zendesk? Set ZENDESK_WEBHOOK_SECRET',
  stale_timestamp: "the signed time is outside WEBHOOK_MAX_SKEW_S: check this host's clock (/health clock)",
  missing_signature: 'the request is not signed: is something other than Zendesk calling?',
  missing_timestamp: 'the request is not signed: is something other than Zendesk calling?',
  malformed_timestamp: 'the signature timestamp is unreadable',
  too_large: 'the body is over WEBHOOK_MAX_BODY_BYTES',
  malformed: 'the body is not an event envelope',
};

interface CauseLog {
  lastLineAt: number;
  suppressed: number;
  latest: string;
  timer: NodeJS.Timeout | null;
}

/**
 * Every webhook delivery's outcome: counted by kind and cause, the recent ones kept for
 * `/health`, and rejections logged at warn, at most one line per cause a minute with the count
 * since the last. Zendesk does not retry a 401, so a rotated secret or a skewed clock loses
 * every event until the next resync: this is how anyone notices.
 */
export class WebhookDeliveries implements OnApplicationShutdown {
  private readonly window: number;
  private readonly maxAgeMs: number;
  private readonly minDeliveries: number;
  private readonly logEveryMs: number;
  private readonly now: () => number;
  private recent: { at: number; cause: RejectionCause | null }[] = [];
  private rejectedTotal = 0;
  private lastRejection: DeliveryReport['lastRejection'] = null;
  private readonly logs = new Map<RejectionCause, CauseLog>();

  constructor(
    private readonly sinks: DeliverySinks,
    options: WebhookDeliveriesOptions = {},
  ) {
    this.window = options.window ?? 50;
    this.maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
    this.minDeliveries = options.minDeliveries ?? 5;
    this.logEveryMs = options.logEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes one delivery's outcome. */
  record(outcome: Pick<IntakeOutcome, 'kind'> & { cause?: RejectionCause; reason?: string }): void {
    const at = this.now();
    const cause = outcome.kind === 'rejected' ? (outcome.cause ?? 'malformed') : null;
    this.recent.push({ at, cause });
    if (this.recent.length > this.window) this.recent.shift();
    this.sinks.counted(outcome.kind, cause ?? undefined);
    if (cause === null) return;
    const reason = outcome.reason ?? cause;
    this.rejectedTotal++;
    this.lastRejection = { at: new Date(at).toISOString(), cause, reason };
    this.log(cause, reason, at);
  }

  report(): DeliveryReport {
    const since = this.now() - this.maxAgeMs;
    this.recent = this.recent.filter((d) => d.at > since);
    const recentByCause: Partial<Record<RejectionCause, number>> = {};
    let recentRejected = 0;
    for (const { cause } of this.recent) {
      if (cause === null) continue;
      recentRejected++;
      recentByCause[cause] = (recentByCause[cause] ?? 0) + 1;
    }
    return {
      recent: this.recent.length,
      recentRejected,
      recentByCause,
      rejectedTotal: this.rejectedTotal,
      lastRejection: this.lastRejection,
      mostlyRejected: this.recent.length >= this.minDeliveries && recentRejected * 2 > this.recent.length,
    };
  }

  onApplicationShutdown(): void {
    this.close();
  }

  /** Writes the counts still waiting for their line, and stops the timers. */
  close(): void {
    for (const [cause, log] of this.logs) {
      if (log.timer) clearTimeout(log.timer);
      log.timer = null;
      this.flush(cause, log);
    }
  }

  /** The first rejection of a cause is logged at once; later ones within a minute, as a count. */
  private log(cause: RejectionCause, reason: string, at: number): void {
    const log = this.logs.get(cause);
    if (!log || (log.suppressed === 0 && at - log.lastLineAt >= this.logEveryMs)) {
      this.sinks.warn(`Webhook rejected (${cause}): ${reason} — ${HINTS[cause]}`);
      this.logs.set(cause, { lastLineAt: at, suppressed: 0, latest: reason, timer: log?.timer ?? null });
      return;
    }
    log.suppressed++;
    log.latest = reason;
    if (log.timer) return;
    log.timer = setTimeout(
      () => {
        log.timer = null;
        this.flush(cause, log);
      },
      Math.max(0, log.lastLineAt + this.logEveryMs - at),
    );
    log.timer.unref();
  }

  private flush(cause: RejectionCause, log: CauseLog): void {
    if (log.suppressed === 0) return;
    this.sinks.warn(
      `${log.suppressed} more webhooks rejected (${cause}) since the last line; the latest: ${log.latest} — ${HINTS[cause]}`,
    );
    log.lastLineAt = this.now();
    log.suppressed = 0;
  }
}
