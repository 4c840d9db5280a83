import { Injectable } from '@nestjs/common';

/**
 * What became of one delivery attempt: `delivered` (2xx), `failed` (sent, no 2xx; see
 * `nextRetryAt`), `dropped` (a `drop_webhooks` fault kept it from being sent; the event is lost),
 * `discarded` (never sent: the queue overflowed, or the webhook was deleted or deactivated).
 */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped' | 'discarded';

/** One delivery attempt, as a test or an operator inspects it. */
export interface DeliveryAttempt {
  readonly seq: number;
  readonly webhookId: string;
  readonly invocationId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly agentId: number;
  readonly version: number;
  /** 1 for the first attempt, 2–4 for the retries. */
  readonly attempt: number;
  /** Simulator clock when the attempt started, ISO 8601. */
  readonly time: string;
  readonly outcome: DeliveryOutcome;
  /** The receiver's HTTP status; null when nothing came back or nothing was sent. */
  readonly status: number | null;
  readonly error: string | null;
  /** Real time the request took; 0 when nothing was sent. */
  readonly durationMs: number;
  /** Simulator time of the next attempt, ISO 8601; null when this was the last one. */
  readonly nextRetryAt: string | null;
}

const CAPACITY = 10_000;

/** The most recent delivery attempts across all webhooks, oldest first. */
@Injectable()
export class WebhookDeliveryLog {
  private entries: DeliveryAttempt[] = [];
  private seq = 0;

  record(attempt: Omit<DeliveryAttempt, 'seq'>): DeliveryAttempt {
    const entry = { seq: ++this.seq, ...attempt };
    this.entries.push(entry);
    // Trimming in batches keeps recording O(1) amortised instead of shifting on every entry.
    if (this.entries.length > CAPACITY * 1.1) this.entries = this.entries.slice(-CAPACITY);
    return entry;
  }

  /** Entries after `afterSeq`, optionally for one webhook, at most `limit` of them. */
  list(options: { afterSeq?: number; webhookId?: string; limit?: number } = {}): DeliveryAttempt[] {
    const { afterSeq = 0, webhookId, limit = CAPACITY } = options;
    const out: DeliveryAttempt[] = [];
    for (const entry of this.entries.slice(-CAPACITY)) {
      if (entry.seq <= afterSeq || (webhookId !== undefined && entry.webhookId !== webhookId)) continue;
      out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }

  lastSeq(): number {
    return this.seq;
  }

  /** Empties the log; sequence numbers keep counting so a reader's `after` stays meaningful. */
  clear(): void {
    this.entries = [];
  }
}
