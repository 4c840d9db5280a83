import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { checkRules, schemaText, testRules } from './rules.commands';

const SHIPPED = join(__dirname, '..', '..', '..', 'rules');

describe('the rules CLI on the shipped rule set', () => {
  it('check passes and summarises the set', async () => {
    const output = await checkRules(SHIPPED, false);
    expect(output.exitCode).toBe(0);
    expect(output.lines[0]).toMatch(
      /: 5 rules in 5 files are valid \(revision [0-9a-f]{12}, time zone Europe\/Berlin\)$/,
    );
  });

  it('test runs every scenario and passes', async () => {
    const output = await testRules(SHIPPED, false);
    expect(output.lines.at(-1)).toBe(`${await scenarioCount()} passed, 0 failed`);
    expect(output.exitCode).toBe(0);
  });

  it('prints one JSON line with --json', async () => {
    const output = await checkRules(SHIPPED, true);
    expect(output.lines).toHaveLength(1);
    expect(JSON.parse(output.lines[0]!)).toMatchObject({
      ok: true,
      timeZone: 'Europe/Berlin',
      calendars: ['business-hours', 'busy-hours'],
    });
  });
});

describe('rules/schema.json', () => {
  it('is the schema generated from the fact catalogue (run `npm run rules -- schema` after changing facts)', () => {
    expect(readFileSync(join(SHIPPED, 'schema.json'), 'utf8')).toBe(schemaText());
  });
});

describe('the rules CLI on a broken copy', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-cli-'));
    await cp(SHIPPED, dir, { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('check fails with file:line:column problems', async () => {
    await writeFile(
      join(dir, 'extra.yaml'),
      'rules:\n  - { name: x, when: { fact: idleMinute, operator: greaterThan, value: 1 }, then: { set_status: Lnch } }\n',
    );
    const output = await checkRules(dir, false);
    expect(output.exitCode).toBe(1);
    expect(output.lines).toEqual([
      `${join(dir, 'extra.yaml')}:2:30: unknown fact "idleMinute" (did you mean "idleMinutes"?)`,
      `${join(dir, 'extra.yaml')}:2:97: unknown status "Lnch" (did you mean "Lunch"?); declare your account's custom statuses under "statuses"`,
      `2 problems in ${dir}: nothing was loaded`,
    ]);
  });

  it('test fails when a rule no longer does what its scenario says, and says why', async () => {
    const idle = join(dir, 'idle.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(idle, (await readFile(idle, 'utf8')).replace('value: 15m', 'value: 20m'));
    const output = await testRules(dir, false);
    expect(output.exitCode).toBe(1);
    expect(output.lines.at(-1)).toBe(`${(await scenarioCount()) - 1} passed, 1 failed`);
    const report = output.lines.join('\n');
    expect(report).toContain('✗ an idle messaging agent goes away after 15 idle minutes held for 5 more');
    expect(report).toContain('expected: {"rule":"messaging-idle-away","set_status":"away"}');
    // Where the rule stood and what it saw: at +5m it only starts matching, and waits for its `for`.
    expect(report).toContain('rule messaging-idle-away (waiting for its for since 2026-11-23T09:05:00.000Z');
    expect(report).toContain('✓ idleMinutes atLeastDuration "20m" (was 20)');
  });

  it('test refuses to run scenarios against an invalid set', async () => {
    await writeFile(join(dir, 'extra.yaml'), 'rules: {}\n');
    const output = await testRules(dir, false);
    expect(output.exitCode).toBe(1);
    expect(output.lines.at(-1)).toBe('the scenarios were not run: fix the rule set first');
  });
});

/** How many scenario files the shipped rule set has. */
async function scenarioCount(): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(join(SHIPPED, 'tests'))).filter((n) => n.endsWith('.test.yaml')).length;
}
