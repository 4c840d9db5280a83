import type { AgentAvailability } from '@app/zendesk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditStore } from '../audit/sqlite/sqlite-audit.store';
import { AgentStateCache } from '../sync/agent-state.cache';
import { WriteJournal } from './write.journal';

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

const write = (agentId: number) => ({
  agentId,
  statusId: AWAY,
  statusName: 'away',
  rule: 'no-breaks',
  revision: 'r1',
  sentAt: 1_000,
});

describe('WriteJournal', () => {
  let dir: string;
  let path: string;
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
    await journal.begin(write(3));
    await before.recordPass([], journal.end(3)); // recorded before the stop: not open any more
    await before.close(); // the process stops with writes 1 and 2 sent but unrecorded

    const audit = new SqliteAuditStore(path);
    const next = new WriteJournal(audit);
    await next.load();
    expect(next.unsettled()).toBe(2);
    const cache = new AgentStateCache();
    cache.applySnapshot(agent(1, AWAY, 5), 2_000);
    cache.applySnapshot(agent(2, 9002, 5), 2_000);
    const records = await next.settle(cache, 3_000);
    expect(records.map((r) => [r.agentId, r.outcome, r.latencyMs])).toEqual([
      [1, 'applied', 2_000],
      [2, 'failed', 2_000],
    ]);
    expect((await audit.decisions()).decisions.map((d) => [d.agentId, d.outcome])).toEqual([
      [2, 'failed'],
      [1, 'applied'],
    ]);
    // Settled once: a third start has nothing left to settle.
    expect(await next.settle(cache, 4_000)).toEqual([]);
    await audit.close();
    const third = new SqliteAuditStore(path);
    const last = new WriteJournal(third);
    await last.load();
    expect(last.unsettled()).toBe(0);
    await third.close();
  });
});
