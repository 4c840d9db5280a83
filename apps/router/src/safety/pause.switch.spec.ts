import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditStore } from '../audit/sqlite/sqlite-audit.store';
import { PauseNotStoredError, PauseSwitch } from './pause.switch';

describe('PauseSwitch', () => {
  let dir: string;
  let store: SqliteAuditStore;
  let pause: PauseSwitch;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pause-'));
    store = new SqliteAuditStore(join(dir, 'audit.sqlite'));
    pause = new PauseSwitch(store);
    await pause.onModuleInit();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the pause, so a new process starts paused, and the resume too', async () => {
    await pause.set(true);
    const next = new PauseSwitch(store);
    await next.onModuleInit();
    expect(next.isPaused()).toBe(true);
    await next.set(false);
    const third = new PauseSwitch(store);
    await third.onModuleInit();
    expect(third.isPaused()).toBe(false);
  });

  it('pauses at once when the store cannot write, and says the pause was not stored', async () => {
    await store.close();
    const refused = await pause.set(true).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PauseNotStoredError);
    expect((refused as Error).message).toMatch(/^paused for this process, but not stored \(.+\)/);
    expect(pause.isPaused()).toBe(true);
  });

  it('stays paused when the resume cannot be stored', async () => {
    await pause.set(true);
    await store.close();
    const refused = await pause.set(false).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PauseNotStoredError);
    expect((refused as Error).message).toMatch(/^not resumed/);
    expect(pause.isPaused()).toBe(true);
  });
});
