import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** How a decision ended. */
export type DecisionOutcome = 'applied' | 'shadow' | 'no_op' | 'suppressed' | 'failed' | 'pending';

/** One decision: what a rule wanted for a target, what happened, and why. */
export interface DecisionRecord {
  /** Epoch ms. */
  time: number;
  /** `agent:<id>` or `capacity:<rule name>`. */
  target: string;
  agentId: number | null;
  rule: string;
  revision: string;
  /** The facts that mattered (the rule's facts, not every fact). */
  facts: Record<string, unknown>;
  /** Why the rule matched: each condition with the value it saw. */
  explanation: unknown;
  action: unknown;
  outcome: DecisionOutcome;
  /** Why it was suppressed or failed, or what was done. */
  reason: string | null;
  /** From the trigger (event or tick) to the outcome. */
  latencyMs: number | null;
}

/** A stored decision, with its place in the log. */
export interface StoredDecision extends DecisionRecord {
  id: number;
}

/** Which decisions to read; all filters combine. */
export interface DecisionQuery {
  agentId?: number;
  rule?: string;
  outcome?: DecisionOutcome;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Newest first; continue after this id. */
  before?: number;
  limit?: number;
}

interface Row {
  id: number;
  time: number;
  target: string;
  agent_id: number | null;
  rule: string;
  revision: string;
  facts: string;
  explanation: string;
  action: string;
  outcome: DecisionOutcome;
  reason: string | null;
  latency_ms: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  target TEXT NOT NULL,
  agent_id INTEGER,
  rule TEXT NOT NULL,
  revision TEXT NOT NULL,
  facts TEXT NOT NULL,
  explanation TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  latency_ms REAL
);
CREATE INDEX IF NOT EXISTS decisions_time ON decisions (time);
CREATE INDEX IF NOT EXISTS decisions_agent ON decisions (agent_id, id);
CREATE INDEX IF NOT EXISTS decisions_rule ON decisions (rule, id);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * The audit log and the router's durable state in one SQLite file (WAL). Each evaluation pass is
 * one transaction: its decisions and the state it changed (planner timers, baselines, holds,
 * the pause switch) commit together, with `synchronous=FULL`, so a crash — even `kill -9` — never
 * keeps a decision without its state or the other way round.
 */
export class AuditStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly putState: Database.Statement;
  private readonly getState: Database.Statement;
  private readonly commitPass: (
    decisions: readonly DecisionRecord[],
    state: Readonly<Record<string, unknown>>,
  ) => void;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare(
      `INSERT INTO decisions (time, target, agent_id, rule, revision, facts, explanation, action, outcome, reason, latency_ms)
       VALUES (@time, @target, @agentId, @rule, @revision, @facts, @explanation, @action, @outcome, @reason, @latencyMs)`,
    );
    this.putState = this.db.prepare(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.getState = this.db.prepare('SELECT value FROM state WHERE key = ?');
    this.commitPass = this.db.transaction(
      (decisions: readonly DecisionRecord[], state: Readonly<Record<string, unknown>>) => {
        for (const d of decisions) {
          this.insert.run({
            ...d,
            facts: JSON.stringify(d.facts),
            explanation: JSON.stringify(d.explanation ?? null),
            action: JSON.stringify(d.action ?? null),
          });
        }
        for (const [key, value] of Object.entries(state)) this.putState.run(key, JSON.stringify(value));
      },
    );
  }

  /** Writes one evaluation pass: its decisions and state changes, atomically and durably. */
  recordPass(decisions: readonly DecisionRecord[], state: Readonly<Record<string, unknown>> = {}): void {
    this.commitPass(decisions, state);
  }

  /** A state value written by `recordPass`, or undefined. */
  state<T>(key: string): T | undefined {
    const row = this.getState.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Decisions newest first, at most `limit` (default 50, at most 500), and the cursor for more. */
  decisions(query: DecisionQuery = {}): { decisions: StoredDecision[]; nextBefore: number | null } {
    const filters: Array<[string, unknown]> = [
      ['agent_id = @agentId', query.agentId],
      ['rule = @rule', query.rule],
      ['outcome = @outcome', query.outcome],
      ['time >= @from', query.from],
      ['time < @to', query.to],
      ['id < @before', query.before],
    ];
    const where = filters.filter(([, value]) => value !== undefined).map(([clause]) => clause);
    const params = {
      agentId: query.agentId,
      rule: query.rule,
      outcome: query.outcome,
      from: query.from,
      to: query.to,
      before: query.before,
    };
    const limit = Math.min(500, Math.max(1, query.limit ?? 50));
    const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit + 1}`;
    const used = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
    const rows = this.db.prepare(sql).all(used) as Row[];
    const page = rows.slice(0, limit).map(fromRow);
    return { decisions: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
  }

  /** Whether a write goes through now (for the health check). */
  writable(): boolean {
    try {
      this.db
        .prepare(
          "INSERT INTO state (key, value) VALUES ('health', '0') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .run();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function fromRow(row: Row): StoredDecision {
  return {
    id: row.id,
    time: row.time,
    target: row.target,
    agentId: row.agent_id,
    rule: row.rule,
    revision: row.revision,
    facts: JSON.parse(row.facts) as Record<string, unknown>,
    explanation: JSON.parse(row.explanation) as unknown,
    action: JSON.parse(row.action) as unknown,
    outcome: row.outcome,
    reason: row.reason,
    latencyMs: row.latency_ms,
  };
}
