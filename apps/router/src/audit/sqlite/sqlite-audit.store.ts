import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AuditStore,
  type DecisionQuery,
  type DecisionRecord,
  type ControlRecord,
  type DecisionOutcome,
  type RuleOutcomeCount,
  type StateKeys,
  type StoredControl,
  type StoredDecision,
} from '../audit.store';

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
  hold_until: number | null;
  latency_ms: number | null;
}

interface ControlRow {
  id: number;
  time: number;
  action: ControlRecord['action'];
  by_via: ControlRecord['by']['via'];
  by_name: string | null;
  reason: string | null;
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
  latency_ms REAL,
  hold_until INTEGER
);
CREATE INDEX IF NOT EXISTS decisions_time ON decisions (time);
CREATE INDEX IF NOT EXISTS decisions_agent ON decisions (agent_id, id);
CREATE INDEX IF NOT EXISTS decisions_rule ON decisions (rule, id);
CREATE INDEX IF NOT EXISTS decisions_time_rule_outcome ON decisions (time, rule, outcome);
CREATE INDEX IF NOT EXISTS decisions_rule_outcome_time ON decisions (rule, outcome, time);
CREATE INDEX IF NOT EXISTS decisions_outcome_agent ON decisions (outcome, agent_id, id);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS controls (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  action TEXT NOT NULL,
  by_via TEXT NOT NULL,
  by_name TEXT,
  reason TEXT
);
CREATE TRIGGER IF NOT EXISTS controls_no_update BEFORE UPDATE ON controls
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS controls_no_delete BEFORE DELETE ON controls
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS probe (payload BLOB NOT NULL);
`;

/** Decisions by rule and outcome in a time range: a range of the (time, rule, outcome) index, no table rows. */
export const COUNT_BY_RULE_SQL =
  'SELECT rule, outcome, COUNT(*) AS count FROM decisions WHERE time >= ? AND time < ? GROUP BY rule, outcome';

/** A rule's last decision with one outcome: one entry of the (rule, outcome, time) index. */
export const LAST_TIME_SQL = 'SELECT MAX(time) AS time FROM decisions WHERE rule = ? AND outcome = ?';

/**
 * The probe writes (and removes) a row this large, 16 pages: it goes through only when there is
 * room for a good many passes, so a store it calls writable takes the writes that follow.
 */
const PROBE_BYTES = 64 * 1024;

/**
 * The audit store in one SQLite file (WAL, `synchronous=FULL`): the embedded default. SQLite is
 * synchronous; the answers are wrapped in promises for the store's interface.
 */
export class SqliteAuditStore extends AuditStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly putState: Database.Statement;
  private readonly getState: Database.Statement;
  private readonly countRange: Database.Statement;
  private readonly lastTime: Database.Statement;
  private readonly probeWrite: (at: number) => void;
  private readonly commitControl: (control: ControlRecord, state: Readonly<Record<string, unknown>>) => void;
  private readonly readControls: Database.Statement;
  private readonly commitPass: (
    decisions: readonly DecisionRecord[],
    state: Readonly<Record<string, unknown>>,
  ) => void;

  constructor(readonly path: string) {
    super();
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // Files written before holds carried their end get the column.
    const columns = this.db.prepare('PRAGMA table_info(decisions)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'hold_until'))
      this.db.exec('ALTER TABLE decisions ADD COLUMN hold_until INTEGER');
    this.insert = this.db.prepare(
      `INSERT INTO decisions (time, target, agent_id, rule, revision, facts, explanation, action, outcome, reason, hold_until, latency_ms)
       VALUES (@time, @target, @agentId, @rule, @revision, @facts, @explanation, @action, @outcome, @reason, @until, @latencyMs)`,
    );
    this.putState = this.db.prepare(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.getState = this.db.prepare('SELECT value FROM state WHERE key = ?');
    this.countRange = this.db.prepare(COUNT_BY_RULE_SQL);
    this.lastTime = this.db.prepare(LAST_TIME_SQL);
    this.commitPass = this.db.transaction(
      (decisions: readonly DecisionRecord[], state: Readonly<Record<string, unknown>>) => {
        for (const d of decisions) {
          this.insert.run({
            ...d,
            until: d.until ?? null,
            facts: JSON.stringify(d.facts),
            explanation: JSON.stringify(d.explanation ?? null),
            action: JSON.stringify(d.action ?? null),
          });
        }
        for (const [key, value] of Object.entries(state)) this.putState.run(key, JSON.stringify(value));
      },
    );
    const insertControl = this.db.prepare(
      'INSERT INTO controls (time, action, by_via, by_name, reason) VALUES (?, ?, ?, ?, ?)',
    );
    this.commitControl = this.db.transaction(
      (control: ControlRecord, state: Readonly<Record<string, unknown>>) => {
        insertControl.run(control.time, control.action, control.by.via, control.by.name, control.reason);
        for (const [key, value] of Object.entries(state)) this.putState.run(key, JSON.stringify(value));
      },
    );
    this.readControls = this.db.prepare('SELECT * FROM controls ORDER BY id DESC LIMIT ?');
    const probeRow = this.db.prepare('INSERT INTO probe (payload) VALUES (zeroblob(?))');
    const clearProbe = this.db.prepare('DELETE FROM probe');
    this.probeWrite = this.db.transaction((at: number) => {
      probeRow.run(PROBE_BYTES);
      clearProbe.run();
      this.putState.run('health', JSON.stringify(at));
    });
  }

  recordPass(decisions: readonly DecisionRecord[], state: Partial<StateKeys> = {}): Promise<void> {
    return attempt(() => this.commitPass(decisions, state));
  }

  recordControl(control: ControlRecord, state: Partial<StateKeys> = {}): Promise<void> {
    return attempt(() => this.commitControl(control, state));
  }

  controls(limit = 20): Promise<StoredControl[]> {
    return attempt(() =>
      (this.readControls.all(Math.min(500, Math.max(1, limit))) as ControlRow[]).map((row) => ({
        id: row.id,
        time: row.time,
        action: row.action,
        by: { via: row.by_via, name: row.by_name },
        reason: row.reason,
      })),
    );
  }

  state<K extends keyof StateKeys>(key: K): Promise<StateKeys[K] | undefined> {
    return attempt(() => {
      const row = this.getState.get(key) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as StateKeys[K]) : undefined;
    });
  }

  decisions(query: DecisionQuery = {}): Promise<{ decisions: StoredDecision[]; nextBefore: number | null }> {
    return attempt(() => this.readDecisions(query));
  }

  private readDecisions(query: DecisionQuery): { decisions: StoredDecision[]; nextBefore: number | null } {
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

  countByRule(from: number, to: number): Promise<RuleOutcomeCount[]> {
    return attempt(() => this.countRange.all(from, to) as RuleOutcomeCount[]);
  }

  lastFired(rules: readonly string[]): Promise<Record<string, number>> {
    return attempt(() => {
      const fired: Record<string, number> = {};
      for (const rule of rules) {
        const times = (['applied', 'shadow'] as const)
          .map((outcome) => (this.lastTime.get(rule, outcome) as { time: number | null }).time)
          .filter((time): time is number => time !== null);
        if (times.length > 0) fired[rule] = Math.max(...times);
      }
      return fired;
    });
  }

  latestPerAgent(outcomes: readonly DecisionOutcome[]): Promise<StoredDecision[]> {
    if (outcomes.length === 0) return Promise.resolve([]);
    return attempt(() => {
      // Per outcome, the newest id of each agent straight from the index; then the newest of those.
      const newest = outcomes
        .map(
          () =>
            'SELECT agent_id, MAX(id) AS id FROM decisions WHERE outcome = ? AND agent_id IS NOT NULL GROUP BY agent_id',
        )
        .join(' UNION ALL ');
      const sql = `SELECT d.* FROM decisions d JOIN (SELECT MAX(id) AS id FROM (${newest}) GROUP BY agent_id) m ON d.id = m.id ORDER BY d.id`;
      return (this.db.prepare(sql).all(...outcomes) as Row[]).map(fromRow);
    });
  }

  probe(): Promise<void> {
    return attempt(() => this.probeWrite(Date.now()));
  }

  /**
   * Caps the file at `pages` pages (SQLite's `max_page_count`, for this connection; never below
   * the file's size now): past it every write fails with SQLITE_FULL, as on a full disk. Returns
   * the cap in force.
   */
  limitPages(pages: number): number {
    return this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(pages))}`, { simple: true }) as number;
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
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
    until: row.hold_until,
    latencyMs: row.latency_ms,
  };
}

/**
 * Runs a synchronous SQLite call as a promise: a failure rejects instead of throwing, with
 * SQLite's own error (its `code`, such as SQLITE_FULL, says what went wrong).
 */
function attempt<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(isError(error) ? error : new Error(String(error)));
  }
}

/** An error object, from this realm or the native module's. */
function isError(value: unknown): value is Error {
  return value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value);
}
