import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { RuleSetError } from './rule-set.errors';
import { RuleSetLoader } from './rule-set.loader';

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
    loader = new RuleSetLoader(dir, 50);
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
