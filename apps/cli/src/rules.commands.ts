import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RuleSetError,
  RuleSetLoader,
  formatProblem,
  ruleFileSchema,
  runScenario,
  type RuleSet,
  type ScenarioResult,
} from '@app/rules';

/** What a command prints and how the process should end. */
export interface CommandOutput {
  lines: string[];
  exitCode: 0 | 1;
}

/** `rules check [dir]`: every problem of the rule set, or a summary of what loaded. */
export async function checkRules(directory: string, json: boolean): Promise<CommandOutput> {
  const loaded = await loadRules(directory);
  if (!loaded.ok) {
    const problems = loaded.error.problems;
    return {
      exitCode: 1,
      lines: json
        ? [JSON.stringify({ ok: false, directory, problems })]
        : [
            ...problems.map(formatProblem),
            `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${directory}: nothing was loaded`,
          ],
    };
  }
  const set = loaded.ruleSet;
  const summary = {
    ok: true,
    directory,
    revision: set.revision,
    timeZone: set.timeZone,
    files: set.files.length,
    rules: set.rules.map((r) => ({
      name: r.name,
      kind: r.kind,
      mode: r.mode,
      enabled: r.enabled,
      priority: r.priority,
    })),
    calendars: [...set.calendars.keys()],
  };
  if (json) return { exitCode: 0, lines: [JSON.stringify(summary)] };
  const shadow = set.rules.filter((r) => r.mode === 'shadow').length;
  const disabled = set.rules.filter((r) => !r.enabled).length;
  return {
    exitCode: 0,
    lines: [
      `${directory}: ${set.rules.length} rules in ${set.files.length} files are valid (revision ${set.revision}, time zone ${set.timeZone})`,
      `  ${set.rules.filter((r) => r.kind === 'agent').length} agent rules, ${set.rules.filter((r) => r.kind === 'account').length} capacity rules, ${shadow} in shadow mode, ${disabled} disabled; calendars: ${[...set.calendars.keys()].join(', ') || 'none'}`,
    ],
  };
}

/** `rules test [dir]`: runs every scenario in `<dir>/tests/*.test.yaml` against the rule set. */
export async function testRules(directory: string, json: boolean): Promise<CommandOutput> {
  const loaded = await loadRules(directory);
  if (!loaded.ok) {
    const check = await checkRules(directory, json);
    return {
      exitCode: 1,
      lines: [...check.lines, ...(json ? [] : ['the scenarios were not run: fix the rule set first'])],
    };
  }
  const testDir = join(directory, 'tests');
  let names: string[];
  try {
    names = (await readdir(testDir)).filter((n) => /\.test\.ya?ml$/.test(n)).sort();
  } catch {
    names = [];
  }
  const results: ScenarioResult[] = [];
  for (const name of names) {
    const path = join(testDir, name);
    results.push(await runScenario(loaded.ruleSet, path, await readFile(path, 'utf8')));
  }
  const failed = results.filter((r) => !r.passed);
  const exitCode = failed.length > 0 || results.length === 0 ? 1 : 0;
  if (json)
    return {
      exitCode,
      lines: [JSON.stringify({ ok: exitCode === 0, directory, revision: loaded.ruleSet.revision, results })],
    };
  const lines = results.flatMap((r) => [
    `${r.passed ? '✓' : '✗'} ${r.name} (${r.file})`,
    ...r.failures.map((f) => f.replace(/^/gm, '    ')),
  ]);
  if (results.length === 0) lines.push(`no scenario tests found in ${testDir} (*.test.yaml)`);
  lines.push(`${results.length - failed.length} passed, ${failed.length} failed`);
  return { exitCode, lines };
}

async function loadRules(
  directory: string,
): Promise<{ ok: true; ruleSet: RuleSet } | { ok: false; error: RuleSetError }> {
  try {
    return { ok: true, ruleSet: await new RuleSetLoader(directory).load() };
  } catch (error) {
    if (error instanceof RuleSetError) return { ok: false, error };
    throw error;
  }
}

/** The schema file text, exactly as `rules schema` writes it. */
export function schemaText(): string {
  return `${JSON.stringify(ruleFileSchema(), null, 2)}\n`;
}

/** `rules schema [dir]`: writes `<dir>/schema.json` for editors, generated from the fact catalogue. */
export async function writeSchema(directory: string, json: boolean): Promise<CommandOutput> {
  const path = join(directory, 'schema.json');
  await writeFile(path, schemaText());
  return { exitCode: 0, lines: [json ? JSON.stringify({ ok: true, path }) : `wrote ${path}`] };
}
