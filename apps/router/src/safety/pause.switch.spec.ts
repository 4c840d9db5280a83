import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditStore } from '../audit/sqlite/sqlite-audit.store';
import type { ControlActor } from '../audit/audit.store';
import { PauseNotStoredError, PauseSwitch } from './pause.switch';

const BEARER: ControlActor = { via: 'bearer', name: null };
const ANA: ControlActor = { via: 'session', name: 'Ana' };

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
    await pause.set(true, BEARER);
    const next = new PauseSwitch(store);
    await next.onModuleInit();
    expect(next.isPaused()).toBe(true);
    await next.set(false, BEARER);
    const third = new PauseSwitch(store);
    await third.onModuleInit();
    expect(third.isPaused()).toBe(false);
  });

  it('pauses at once when the store cannot write, and says the pause was not stored', async () => {
    await store.close();
    const refused = await pause.set(true, BEARER).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PauseNotStoredError);
    expect((refused as Error).message).toMatch(/^paused for this process, but not stored \(.+\)/);
    expect(pause.isPaused()).toBe(true);
  });

  it('stays paused when the resume cannot be stored', async () => {
    await pause.set(true, BEARER);
    await store.close();
    const refused = await pause.set(false, BEARER).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PauseNotStoredError);
    expect((refused as Error).message).toMatch(/^not resumed/);
    expect(pause.isPaused()).toBe(true);
  });

  it('keeps who paused, when and why across a restart, and logs every pause and resume', async () => {
    await pause.set(true, ANA, 'lunch cover');
    await pause.set(true, BEARER, 'again');
    const next = new PauseSwitch(store);
    await next.onModuleInit();
    expect(next.inForce()).toMatchObject({ action: 'pause', by: ANA, reason: 'lunch cover' });
    await next.set(false, BEARER);
    expect(next.inForce()).toBeNull();
    expect((await store.controls()).map((c) => [c.action, c.by.via, c.by.name, c.reason])).toEqual([
      ['resume', 'bearer', null, null],
      ['pause', 'bearer', null, 'again'],
      ['pause', 'session', 'Ana', 'lunch cover'],
    ]);
  });

  it('keeps who paused for this process when the pause cannot be stored', async () => {
    await store.close();
    await pause.set(true, ANA, 'storm').catch(() => undefined);
    expect(pause.inForce()).toMatchObject({ by: ANA, reason: 'storm' });
  });
});
