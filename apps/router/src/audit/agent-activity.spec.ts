import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import type { LiveEvent, LiveEvents } from '../api/live.events';
import { AgentActivity } from './agent-activity';
import type { DecisionOutcome, DecisionRecord } from './audit.store';
import { SqliteAuditStore } from './sqlite/sqlite-audit.store';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function decision(agentId: number, rule: string, outcome: DecisionOutcome, time: number, until?: number) {
  return {
    time,
    target: `agent:${agentId}`,
    agentId,
    rule,
    revision: 'r1',
    facts: {},
    explanation: null,
    action: { type: 'set_status', status: 'away' },
    outcome,
    reason: outcome === 'suppressed' ? 'a person changed it' : null,
    until: until ?? null,
    latencyMs: 1,
  } satisfies DecisionRecord;
}

describe('AgentActivity and the latest decision per agent', () => {
  let dir: string;
  let store: SqliteAuditStore;
  let events: Subject<LiveEvent>;
  let activity: AgentActivity;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-activity-'));
    store = new SqliteAuditStore(join(dir, 'audit.sqlite'));
    events = new Subject<LiveEvent>();
    activity = new AgentActivity(store, { events$: events.asObservable() } as unknown as LiveEvents);
  });
  afterEach(async () => {
    activity.onApplicationShutdown();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the newest decision of each agent with the given outcomes, one row per agent', async () => {
    await store.recordPass([
      decision(1, 'a', 'applied', T0),
      decision(1, 'b', 'shadow', T0 + 1_000),
      decision(1, 'c', 'no_op', T0 + 2_000),
      decision(2, 'a', 'applied', T0 + 500),
      decision(3, 'a', 'failed', T0),
      { ...decision(0, 'surge', 'applied', T0 + 3_000), target: 'capacity:Default', agentId: null },
    ]);
    const fired = await store.latestPerAgent(['applied', 'shadow']);
    // In log order: agent 1's shadow decision was recorded before agent 2's change.
    expect(fired.map((d) => [d.agentId, d.rule, d.outcome])).toEqual([
      [1, 'b', 'shadow'],
      [2, 'a', 'applied'],
    ]);
    expect((await store.latestPerAgent(['applied'])).map((d) => [d.agentId, d.rule])).toEqual([
      [1, 'a'],
      [2, 'a'],
    ]);
    expect(await store.latestPerAgent([])).toEqual([]);
  });

  it('answers the latest per agent from an index, not a scan of the table', () => {
    const db = (store as unknown as { db: { prepare(sql: string): { all(...a: unknown[]): unknown[] } } }).db;
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT agent_id, MAX(id) AS id FROM decisions WHERE outcome = ? AND agent_id IS NOT NULL GROUP BY agent_id',
      )
      .all('applied') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' | ')).toContain('USING COVERING INDEX decisions_outcome_agent');
  });

  it('loads what the log holds once, then follows the recorded decisions without reading again', async () => {
    await store.recordPass([decision(1, 'a', 'applied', T0), decision(2, 'b', 'shadow', T0)]);
    const reads = jest.spyOn(store, 'latestPerAgent');
    activity.onApplicationBootstrap();
    await activity.ready();
    expect(activity.of(1, T0)).toEqual({
      lastAction: expect.objectContaining({ rule: 'a', outcome: 'applied' }),
      lastChange: expect.objectContaining({ rule: 'a', outcome: 'applied' }),
      hold: null,
    });
    expect(activity.of(2, T0).lastChange).toBeNull();
    events.next({ type: 'decision', decision: decision(2, 'c', 'applied', T0 + 60_000) });
    events.next({ type: 'agent', agentId: 2, version: 3, status: 'away' });
    for (let i = 0; i < 5; i++) await activity.ready();
    expect(activity.of(2, T0 + 60_000)).toMatchObject({
      lastAction: { rule: 'c', time: T0 + 60_000 },
      lastChange: { rule: 'c' },
    });
    expect(reads).toHaveBeenCalledTimes(3);
  });

  it('shows a hold only while it lasts and while nothing fired after it', async () => {
    activity.onApplicationBootstrap();
    await activity.ready();
    events.next({ type: 'decision', decision: decision(5, 'a', 'suppressed', T0, T0 + 600_000) });
    expect(activity.of(5, T0 + 1_000).hold).toMatchObject({ rule: 'a', until: T0 + 600_000 });
    expect(activity.of(5, T0 + 600_000).hold).toBeNull();
    events.next({ type: 'decision', decision: decision(5, 'a', 'applied', T0 + 2_000) });
    expect(activity.of(5, T0 + 3_000).hold).toBeNull();
  });

  it('keeps a newer decision from the stream over an older one from the log', async () => {
    await store.recordPass([decision(7, 'old', 'applied', T0)]);
    activity.onApplicationBootstrap();
    events.next({ type: 'decision', decision: decision(7, 'new', 'applied', T0 + 5_000) });
    await activity.ready();
    expect(activity.of(7, T0 + 5_000).lastChange).toMatchObject({ rule: 'new' });
  });
});
