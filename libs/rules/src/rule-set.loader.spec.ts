import { writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { RuleSetError } from './rule-set.errors';
import { ruleDirectorySignature } from './rule-set.files';
import { RuleSetLoader, type RuleSetChange } from './rule-set.loader';

const GOOD = `rules:
  - { name: idle-away, when: { fact: idleMinutes, operator: greaterThan, value: 15 }, then: { set_status: away } }
`;
const BETTER = GOOD.replace('15', '20');
const BAD = `rules:
  - { name: idle-away, when: { fact: idleMinuts, operator: greaterThan, value: 15 }, then: { set_status: away } }
`;

describe('RuleSetLoader', () => {
  let dir: string;
  let loader: RuleSetLoader;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-'));
    await writeFile(join(dir, 'idle.yaml'), GOOD);
    await mkdir(join(dir, 'tests'));
    await writeFile(join(dir, 'tests', 'idle.test.yaml'), 'not: [a rule file');
    await writeFile(join(dir, 'schema.json'), '{"$schema": "not rules"}');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    loader = new RuleSetLoader(dir, { debounceMs: 50 });
  });
  afterEach(async () => {
    loader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the rule files of a directory, ignoring tests, the schema and other files', async () => {
    const set = await loader.load();
    expect(set.files).toEqual([join(dir, 'idle.yaml')]);
    expect(set.rules.map((r) => r.name)).toEqual(['idle-away']);
  });

  it('throws every problem of an invalid directory, with file positions', async () => {
    await writeFile(join(dir, 'idle.yaml'), BAD);
    await expect(loader.load()).rejects.toThrow(RuleSetError);
    await expect(loader.load()).rejects.toThrow(
      `${join(dir, 'idle.yaml')}:2:38: unknown fact "idleMinuts" (did you mean "idleMinutes"?)`,
    );
  });

  it('reports an unreadable directory as a problem, not a crash', async () => {
    await expect(new RuleSetLoader(join(dir, 'missing')).load()).rejects.toThrow(
      'cannot read the rules directory (ENOENT)',
    );
  });

  it('hot-reloads a good change and keeps the last good set when a change is invalid', async () => {
    const first = await loader.load();
    loader.watch();

    const rejected = firstValueFrom(loader.changes$.pipe(filter((c) => c.type === 'rejected')));
    await writeFile(join(dir, 'idle.yaml'), BAD);
    const rejection = await rejected;
    expect(rejection).toMatchObject({ type: 'rejected', keptRevision: first.revision });
    expect(loader.current()?.revision).toBe(first.revision);
    expect(loader.lastProblems().map((p) => p.message)).toEqual([
      'unknown fact "idleMinuts" (did you mean "idleMinutes"?)',
    ]);

    const loaded = firstValueFrom(loader.changes$.pipe(filter((c) => c.type === 'loaded')));
    await writeFile(join(dir, 'idle.yaml'), BETTER);
    const change = await loaded;
    expect(change).toMatchObject({ type: 'loaded', previousRevision: first.revision });
    expect(loader.current()?.revision).not.toBe(first.revision);
    expect(loader.lastProblems()).toEqual([]);
  });
});

describe('RuleSetLoader on a ConfigMap mount', () => {
  let dir: string;
  let loader: RuleSetLoader;
  let version = 0;

  /** Publishes `files` as the kubelet does: a new timestamped directory, `..data` swapped to it by a rename, a link per file. */
  async function publish(files: Record<string, string>): Promise<void> {
    const stamp = `..2026_03_14_09_00_0${version++}.${version}`;
    await mkdir(join(dir, stamp));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, stamp, name), text);
    await symlink(stamp, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    for (const name of Object.keys(files)) {
      await symlink(join('..data', name), join(dir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-configmap-'));
    await publish({ 'idle.yaml': GOOD });
    loader = new RuleSetLoader(dir, { debounceMs: 50 });
  });
  afterEach(async () => {
    loader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the linked files once each, not again from the hidden directories', async () => {
    const set = await loader.load();
    expect(set.files).toEqual([join(dir, 'idle.yaml')]);
    expect(set.rules.map((r) => r.name)).toEqual(['idle-away']);
  });

  it('reloads when ..data is swapped to a new version, and its signature says so', async () => {
    const first = await loader.load();
    const before = await ruleDirectorySignature(dir);
    loader.watch();
    const loaded = firstValueFrom(loader.changes$.pipe(filter((c) => c.type === 'loaded')));
    await publish({ 'idle.yaml': BETTER, 'more.yaml': GOOD.replace('idle-away', 'idle-away-2') });
    const change = await loaded;
    expect(change).toMatchObject({ type: 'loaded', previousRevision: first.revision });
    expect(loader.current()?.rules.map((r) => r.name)).toEqual(['idle-away', 'idle-away-2']);
    expect(await ruleDirectorySignature(dir)).not.toBe(before);
  });
});

describe('RuleSetLoader reloads', () => {
  let dir: string;
  let loader: RuleSetLoader;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-reload-'));
    await writeFile(join(dir, 'idle.yaml'), GOOD);
  });
  afterEach(async () => {
    loader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a directory without rules, naming it, unless an empty set is allowed', async () => {
    await rm(join(dir, 'idle.yaml'));
    await writeFile(join(dir, 'account.yaml'), 'timezone: Europe/Berlin\n');
    loader = new RuleSetLoader(dir, { emptyAdvice: 'set ALLOW=on to allow it' });
    await expect(loader.load()).rejects.toThrow(
      `${dir}:1:1: no rules: the directory has 1 rule file (*.yaml, *.yml, *.json) and no rule in them; set ALLOW=on to allow it`,
    );
    expect((await new RuleSetLoader(dir, { allowEmpty: true }).load()).rules).toEqual([]);
  });

  it('stops reporting a rejected change once its file is removed', async () => {
    loader = new RuleSetLoader(dir);
    const first = await loader.load();
    const changes: RuleSetChange[] = [];
    loader.changes$.subscribe((c) => changes.push(c));

    await writeFile(join(dir, 'broken.yaml'), BAD.replace('idle-away', 'other'));
    await loader.reload();
    expect(loader.lastProblems()).toHaveLength(1);

    await rm(join(dir, 'broken.yaml'));
    await loader.reload();
    expect(loader.lastProblems()).toEqual([]);
    expect(loader.current()?.revision).toBe(first.revision);
    expect(changes.map((c) => c.type)).toEqual(['rejected', 'restored']);
  });

  it('runs one load at a time: a reload asked for during a load waits for one more, of the latest files', async () => {
    loader = new RuleSetLoader(dir);
    await loader.load();
    const changes: RuleSetChange[] = [];
    loader.changes$.subscribe((c) => changes.push(c));

    const first = loader.reload();
    writeFileSync(join(dir, 'idle.yaml'), BETTER);
    const second = loader.reload();
    expect(second).toBe(first);
    await second;
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ type: 'loaded' });
    expect(loader.current()?.rules[0]?.when).toMatchObject({ value: 20 });
  });

  it('stops a load that takes longer than allowed and rejects its change', async () => {
    loader = new RuleSetLoader(dir, { timeoutMs: 1 });
    await expect(loader.load()).rejects.toThrow(
      `${dir}:1:1: loading the rules took longer than 0.001 s and was stopped`,
    );
  });
});
