import {
  checkRules,
  checkRulesAgainstAccount,
  testRules,
  writeSchema,
  type CommandOutput,
} from './rules.commands';

const USAGE = `usage: npm run rules -- <check|test|schema> [dir] [--json] [--account]

  check [dir]   check the rule files in dir (default rules/) and report every problem
  test [dir]    run the scenario tests in dir/tests/*.test.yaml against the rule set
  schema [dir]  write dir/schema.json, the JSON Schema editors use to complete rule files
  --json        print one machine-readable JSON line instead of text
  --account     with check: also look up every status and capacity rule the rules name in the
                Zendesk account of ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) with ZENDESK_EMAIL +
                ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN, as the router reads them

Exit code: 0 when everything is valid (and every scenario passes), 1 otherwise, 2 for bad usage.`;

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const account = argv.includes('--account');
  const args = argv.filter((a) => a !== '--json' && a !== '--account');
  const unknownFlags = args.filter((a) => a.startsWith('-'));
  const [command, directory = 'rules', ...extra] = args.filter((a) => !a.startsWith('-'));
  if (
    unknownFlags.length > 0 ||
    extra.length > 0 ||
    (command !== 'check' && command !== 'test' && command !== 'schema') ||
    (account && command !== 'check')
  ) {
    const problem =
      unknownFlags.length > 0
        ? `unknown option ${unknownFlags.join(', ')}`
        : account && (command === 'test' || command === 'schema') && extra.length === 0
          ? `--account goes with check, not ${command}`
          : command
            ? `unknown command "${[command, ...extra].join(' ')}"`
            : 'no command given';
    process.stderr.write(`${problem}\n\n${USAGE}\n`);
    return 2;
  }
  const run = account
    ? (dir: string, asJson: boolean) => checkRulesAgainstAccount(dir, asJson, process.env)
    : { check: checkRules, test: testRules, schema: writeSchema }[command];
  const output: CommandOutput = await run(directory, json);
  process.stdout.write(`${output.lines.join('\n')}\n`);
  return output.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
