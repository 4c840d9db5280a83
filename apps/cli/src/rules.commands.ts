import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RuleSetError,
  RuleSetLoader,
  checkAgainstAccount,
  formatProblem,
  ruleFileSchema,
  runScenario,
  type AccountNames,
  type RuleSet,
  type ScenarioResult,
} from '@app/rules';
import { ZendeskClient, ZendeskError, ZendeskErrorCode } from '@app/zendesk';
import { readAccountConnection, type AccountConnection } from './account.config';

/** What a command prints and how the process should end. */
export interface CommandOutput {
  lines: string[];
  exitCode: 0 | 1;
}

/** `rules check [dir]`: every problem of the rule set, or a summary of what loaded. */
export async function checkRules(directory: string, json: boolean): Promise<CommandOutput> {
  const loaded = await loadRules(directory);
  return loaded.ok
    ? validOutput(directory, json, loaded.ruleSet)
    : problemsOutput(directory, json, loaded.error);
}

/**
 * `rules check --account [dir]`: the rule set checked, then every status and capacity rule it names
 * looked up in the Zendesk account the environment names (the router's variables). A rule set
 * that does not load is reported as by `check`, without asking Zendesk.
 */
export async function checkRulesAgainstAccount(
  directory: string,
  json: boolean,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CommandOutput> {
  const loaded = await loadRules(directory);
  if (!loaded.ok) return problemsOutput(directory, json, loaded.error);
  const unchecked = (at: string | null, errors: string[]): CommandOutput => ({
    exitCode: 1,
    lines: json ? [JSON.stringify({ ok: false, directory, account: at, errors })] : errors,
  });
  const read = readAccountConnection(env);
  if (!read.ok) return unchecked(null, read.problems);
  const { connection } = read;
  let names: AccountNames;
  try {
    names = await readAccountNames(connection);
  } catch (error) {
    if (!(error instanceof ZendeskError)) throw error;
    return unchecked(connection.label, [
      `could not read the statuses and capacity rules of ${connection.label}: ${whyUnread(error)}`,
    ]);
  }
  const problems = checkAgainstAccount(loaded.ruleSet, names);
  const account = {
    at: connection.label,
    statuses: names.statuses.length,
    capacityRules: names.capacityRules.length,
  };
  if (problems.length === 0) {
    const output = validOutput(directory, json, loaded.ruleSet, account);
    return json
      ? output
      : {
          ...output,
          lines: [
            ...output.lines,
            `  fits the account at ${account.at}: it has every status and capacity rule the rules name (${account.statuses} statuses, ${account.capacityRules} capacity rules)`,
          ],
        };
  }
  return {
    exitCode: 1,
    lines: json
      ? [JSON.stringify({ ok: false, directory, account, problems })]
      : [
          ...problems.map(formatProblem),
          `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${directory} against the account at ${account.at}: the rules name what the account does not have`,
        ],
  };
}

function problemsOutput(directory: string, json: boolean, error: RuleSetError): CommandOutput {
  const problems = error.problems;
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

function validOutput(directory: string, json: boolean, set: RuleSet, account?: object): CommandOutput {
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
    ...(account ? { account } : {}),
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

/** The account's unified status names and capacity rule names: two reads, a few retries at most. */
async function readAccountNames(connection: AccountConnection): Promise<AccountNames> {
  const client = new ZendeskClient({
    ...connection.target,
    auth: connection.auth,
    timeoutMs: 10_000,
    retry: { maxAttempts: 2, maxRateLimitedAttempts: 2, baseDelayMs: 250, maxDelayMs: 2_000 },
    userAgent: 'availability-router-cli',
  });
  try {
    const statuses = await client.listStatuses();
    const capacityRules = await client.listCapacityRules();
    return { statuses: statuses.map((s) => s.name), capacityRules: capacityRules.map((r) => r.name) };
  } finally {
    client.close();
  }
}

/** What a person can do about a failed read; Zendesk's errors never hold a credential. */
function whyUnread(error: ZendeskError): string {
  switch (error.code) {
    case ZendeskErrorCode.UNAUTHORIZED:
      return 'Zendesk refused the credentials (ZENDESK_EMAIL + ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN)';
    case ZendeskErrorCode.FORBIDDEN:
      return 'the user may not read statuses and capacity rules (an admin can)';
    case ZendeskErrorCode.NETWORK:
    case ZendeskErrorCode.TIMEOUT:
    case ZendeskErrorCode.CIRCUIT_OPEN:
    case ZendeskErrorCode.UNAVAILABLE:
      return `${error.message}; check the address and the network`;
    case ZendeskErrorCode.RATE_LIMITED:
    case ZendeskErrorCode.UPSTREAM:
      return `Zendesk is busy or failing (${error.message}); try again later`;
    case ZendeskErrorCode.NOT_FOUND:
    case ZendeskErrorCode.CONFLICT:
    case ZendeskErrorCode.BAD_REQUEST:
    case ZendeskErrorCode.INVALID_RESPONSE:
      return `the answer was not what a Zendesk account gives (${error.message}): is this the account's address?`;
  }
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
    // The router's limits; an empty set is valid here (the summary says 0 rules).
    return { ok: true, ruleSet: await new RuleSetLoader(directory, { allowEmpty: true }).load() };
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
