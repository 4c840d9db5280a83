import { Injectable } from '@nestjs/common';

/** One request to the Zendesk API surface, as a test counts it. */
export interface RequestLogEntry {
  readonly seq: number;
  /** Simulator clock, ISO 8601. */
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** The status sent, or null when the connection was dropped without an answer. */
  readonly status: number | null;
  readonly durationMs: number;
  readonly identity: string | null;
}

const CAPACITY = 100_000;

/** The most recent requests to `/api/v2` (control calls are not logged), oldest first. */
@Injectable()
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  record(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.entries.push({ seq: ++this.seq, ...entry });
    if (this.entries.length > CAPACITY * 1.1) this.entries = this.entries.slice(-CAPACITY);
  }

  /** Entries with `seq` greater than `afterSeq`, at most `limit` of them. */
  list(afterSeq = 0, limit = CAPACITY): RequestLogEntry[] {
    const start = this.entries.findIndex((e) => e.seq > afterSeq);
    return start < 0 ? [] : this.entries.slice(start, start + limit);
  }

  lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}
