import Database from 'better-sqlite3';
import type { AgentAvailability, CapacityRule } from '@app/zendesk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AuditHealth } from '../audit/audit.health';
import type { DecisionRecord } from '../audit/audit.store';
import { SqliteAuditStore } from '../audit/sqlite/sqlite-audit.store';
import { AgentStateCache } from '../sync/agent-state.cache';
import { WriteJournal, type NewWrite } from './write.journal';

const AWAY = 3;

function agent(agentId: number, statusId: number, version: number): AgentAvailability {
  return {
    agentId,
    status: { id: statusId, name: statusId === AWAY ? 'away' : 'Break', reason: null, updatedAt: null },
    groupIds: [],
    skillIds: [],
    version,
    channels: [],
  };
}

const write = (agentId: number): NewWrite => ({
  kind: 'status',
  target: `agent:${agentId}`,
  agentId,
  statusId: AWAY,
  statusName: 'away',
  rule: 'no-breaks',
  revision: 'r1',
  action: { set_status: 'away' },
  sentAt: 1_000,
});

const capacityWrite = (capacityRule: string, voice: number): NewWrite => ({
  kind: 'capacity',
  target: `capacity:${capacityRule}`,
  capacityRule,
  capacities: { voice },
  rule: 'surge',
  revision: 'r1',
  action: { set_capacity: { capacityRule, capacities: { voice } } },
  sentAt: 1_000,
});

/** The row the pass makes of a write's outcome. */
const row = (agentId: number, outcome: 'applied' | 'failed' = 'applied'): DecisionRecord => ({
  time: 2_000,
  target: `agent:${agentId}`,
  agentId,
  rule: 'no-breaks',
  revision: 'r1',
  facts: { 'status.name': 'Break' },
  explanation: null,
  action: { set_status: 'away' },
  outcome,
  reason: 'set to away',
  latencyMs: 5,
});

const capacityRule = (name: string, voice: number): CapacityRule => ({
  id: `cr-${name}`,
  name,
  description: null,
  isDefault: false,
  capacities: { voice },
  assigneeCount: null,
  assigneeSample: [],
  createdAt: null,
  updatedAt: null,
});

/** Caps the store's file at its size and fills it until not even a small row fits. */
async function fill(store: SqliteAuditStore): Promise<void> {
  store.limitPages(0);
  for (const padding of [2_000, 200, 0]) {
    let refused = false;
    for (let i = 0; i < 1_000 && !refused; i++)
      refused = await store.recordPass([{ ...row(99), facts: { padding: 'x'.repeat(padding) } }]).then(
        () => false,
        () => true,
      );
    if (!refused) throw new Error('the capped file never filled');
  }
}

describe('WriteJournal', () => {
  let dir: string;
  let path: string;
  /** What another process reading the file sees: the durable journal and rows. */
  const onDisk = () => {
    const db = new Database(path, { readonly: true });
    try {
      const state = db.prepare("SELECT value FROM state WHERE key = 'openWrites'").get() as
        { value: string } | undefined;
      const rows = db.prepare('SELECT agent_id, outcome FROM decisions WHERE agent_id <> 99').all() as Array<{
        agent_id: number;
        outcome: string;
      }>;
      const open = state ? (JSON.parse(state.value) as Array<{ target: string }>) : [];
      return { open: open.map((w) => w.target), rows: rows.map((r) => [r.agent_id, r.outcome]) };
    } finally {
      db.close();
    }
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    path = join(dir, 'audit.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('settles the writes a stopped process left open: applied when Zendesk took them, failed when not', async () => {
    const before = new SqliteAuditStore(path);
    const journal = new WriteJournal(before);
    await journal.load();
    await journal.begin(write(1));
    await journal.begin(write(2));
    const third = (await journal.begin(write(3)))!;
    journal.answered(third);
    expect(journal.attach(row(3))).toBe(true);
    await journal.commit([]); // recorded before the stop: not open any more
    await before.close(); // the process stops with writes 1 and 2 sent but unrecorded

    const audit = new SqliteAuditStore(path);
    const next = new WriteJournal(audit);
    await next.load();
    expect(next.unsettled()).toBe(2);
    const cache = new AgentStateCache();
    cache.applySnapshot(agent(1, AWAY, 5), 2_000);
    cache.applySnapshot(agent(2, 9002, 5), 2_000);
    const records = await next.settle(cache, [], 3_000);
    expect(records!.map((r) => [r.agentId, r.outcome, r.latencyMs])).toEqual([
      [1, 'applied', 2_000],
      [2, 'failed', 2_000],
    ]);
    expect((await audit.decisions()).decisions.map((d) => [d.agentId, d.outcome])).toEqual([
      [2, 'failed'],
      [1, 'applied'],
      [3, 'applied'],
    ]);
    // Settled once: a third start has nothing left to settle.
    expect(await next.settle(cache, [], 4_000)).toEqual([]);
    await audit.close();
    const last = new WriteJournal(new SqliteAuditStore(path));
    await last.load();
    expect(last.unsettled()).toBe(0);
  });

  it('has a write durable before it may be sent, and drops it only with its row', async () => {
    const store = new SqliteAuditStore(path);
    const journal = new WriteJournal(store);
    const id = (await journal.begin(write(7)))!;
    expect(onDisk()).toEqual({ open: ['agent:7'], rows: [] });
    // A row that is not this write's outcome (another target, or no answer yet) is not taken.
    expect(journal.attach(row(8))).toBe(false);
    expect(journal.attach(row(7))).toBe(false);
    journal.answered(id);
    expect(journal.attach({ ...row(7), outcome: 'no_op' })).toBe(false);
    expect(journal.attach(row(7))).toBe(true);
    expect(onDisk().open).toEqual(['agent:7']);
    expect(await journal.commit([])).toEqual([row(7)]);
    expect(onDisk()).toEqual({ open: [], rows: [[7, 'applied']] });
    await store.close();
  });

  it('keeps a write and its row when the commit fails on a full store, and commits the row once when space returns', async () => {
    const store = new SqliteAuditStore(path);
    const health = new AuditHealth(store, new Registry());
    const journal = new WriteJournal(store, health);
    const id = (await journal.begin(write(1)))!;
    journal.answered(id); // Zendesk took it
    await fill(store);
    journal.attach(row(1));
    expect(await journal.commit([])).toBeNull();
    expect(health.status()).toMatchObject({ writable: false, code: 'SQLITE_FULL' });
    expect(journal.unrecorded()).toBe(1);
    expect(onDisk()).toEqual({ open: ['agent:1'], rows: [] });

    // Failing closed: no write is noted, so none may be sent, and nothing is tried on the store.
    expect(await journal.begin(write(2))).toBeNull();
    expect(await journal.commit([])).toBeNull();
    expect(onDisk()).toEqual({ open: ['agent:1'], rows: [] });

    store.limitPages(1_000_000);
    expect(await health.probe()).toBe(true);
    expect(await journal.commit([])).toEqual([row(1)]);
    expect(await journal.commit([])).toEqual([]);
    expect(journal.unrecorded()).toBe(0);
    expect(onDisk()).toEqual({ open: [], rows: [[1, 'applied']] });
    expect(await journal.begin(write(2))).not.toBeNull();
    health.onApplicationShutdown();
    await store.close();
  });

  it('refuses a write whose entry the store cannot take, and forgets it', async () => {
    const store = new SqliteAuditStore(path);
    const health = new AuditHealth(store, new Registry());
    const journal = new WriteJournal(store, health);
    await journal.begin(write(1));
    await fill(store);
    // However much room a row would still find, the entry is refused or taken: never sent unnoted.
    let refused = false;
    for (let agentId = 2; agentId < 200 && !refused; agentId++)
      refused = (await journal.begin({ ...write(agentId), action: { padding: 'x'.repeat(3_000) } })) === null;
    expect(refused).toBe(true);
    expect(health.writable).toBe(false);
    const durable = onDisk().open;
    store.limitPages(1_000_000);
    await health.probe();
    // The refused write is not in the journal, in memory or on disk.
    await journal.begin(write(500));
    expect(onDisk().open).toEqual([...durable, 'agent:500']);
    health.onApplicationShutdown();
    await store.close();
  });

  it('settles a row that never committed at the next start: exactly one row', async () => {
    const store = new SqliteAuditStore(path);
    const journal = new WriteJournal(store, new AuditHealth(store, new Registry()));
    const id = (await journal.begin(write(4)))!;
    journal.answered(id);
    await fill(store);
    journal.attach(row(4));
    expect(await journal.commit([])).toBeNull();
    journal.health.onApplicationShutdown();
    await store.close(); // stopped while the row waited

    const reopened = new SqliteAuditStore(path);
    const next = new WriteJournal(reopened);
    await next.load();
    const cache = new AgentStateCache();
    cache.applySnapshot(agent(4, AWAY, 2), 2_000);
    expect((await next.settle(cache, [], 3_000))!.map((r) => [r.agentId, r.outcome])).toEqual([
      [4, 'applied'],
    ]);
    expect(onDisk()).toEqual({ open: [], rows: [[4, 'applied']] });
    await reopened.close();
  });

  it('settles capacity writes against the capacity rules once they are read', async () => {
    const store = new SqliteAuditStore(path);
    const journal = new WriteJournal(store);
    await journal.begin(capacityWrite('Surge', 3));
    await journal.begin(capacityWrite('Calm', 1));
    await journal.begin(capacityWrite('Gone', 2));
    await store.close();

    const reopened = new SqliteAuditStore(path);
    const next = new WriteJournal(reopened);
    await next.load();
    const cache = new AgentStateCache();
    // The capacity rules were not read: capacity writes wait.
    expect(await next.settle(cache, null, 3_000)).toEqual([]);
    expect(next.unsettled()).toBe(3);
    const records = await next.settle(cache, [capacityRule('Surge', 3), capacityRule('Calm', 5)], 3_000);
    expect(records!.map((r) => [r.target, r.outcome, r.action])).toEqual([
      ['capacity:Surge', 'applied', { set_capacity: { capacityRule: 'Surge', capacities: { voice: 3 } } }],
      ['capacity:Calm', 'failed', { set_capacity: { capacityRule: 'Calm', capacities: { voice: 1 } } }],
      ['capacity:Gone', 'failed', { set_capacity: { capacityRule: 'Gone', capacities: { voice: 2 } } }],
    ]);
    expect(records![2]!.reason).toContain('no longer exists');
    expect(onDisk().open).toEqual([]);
    await reopened.close();
  });

  it('reads status writes a journal from before capacity writes left open', async () => {
    const store = new SqliteAuditStore(path);
    const old = {
      agentId: 5,
      statusId: AWAY,
      statusName: 'away',
      rule: 'no-breaks',
      revision: 'r0',
      sentAt: 1_000,
    };
    // The shape older files hold: a status write without kind, target or action.
    await store.recordPass([], { openWrites: [old] as never });
    const journal = new WriteJournal(store);
    await journal.load();
    const cache = new AgentStateCache();
    cache.applySnapshot(agent(5, AWAY, 2), 2_000);
    expect((await journal.settle(cache, [], 3_000))!.map((r) => [r.target, r.outcome, r.action])).toEqual([
      ['agent:5', 'applied', { set_status: 'away' }],
    ]);
    await store.close();
  });
});
