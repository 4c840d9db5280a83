import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIM_DEFAULTS } from '../apps/zendesk-sim/src/config/sim.config';
import { startSim, type SimHarness } from './support/sim.harness';

const ROOT = join(__dirname, '..');
const SHIPPED = join(ROOT, 'rules');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI in a child process, with only the environment given (and PATH). */
function rules(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', './test/support/ts-register.cjs', 'apps/cli/src/main.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

describe('rules check --account against the simulator over HTTP', () => {
  let sim: SimHarness;
  let dir: string;
  let apiToken: Record<string, string>;

  beforeAll(async () => {
    sim = await startSim();
    apiToken = {
      ZENDESK_BASE_URL: sim.url,
      ZENDESK_EMAIL: SIM_DEFAULTS.admin.email,
      ZENDESK_API_TOKEN: SIM_DEFAULTS.admin.apiToken,
    };
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rules-account-'));
    await cp(SHIPPED, dir, { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('passes the shipped rules: the account has every status and capacity rule they name', async () => {
    const run = await rules(['check', dir, '--account'], apiToken);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`${dir}: 5 rules in 5 files are valid`);
    expect(run.stdout).toContain(
      `  fits the account at ${sim.url}: it has every status and capacity rule the rules name (9 statuses, 3 capacity rules)`,
    );
  });

  it('reports each name the account lacks at its rule, with the name it probably meant, and exits 1', async () => {
    const account = join(dir, 'account.yaml');
    await writeFile(account, (await readFile(account, 'utf8')).replace('  - Back office', '  - Backoffice'));
    const capacity = join(dir, 'capacity.yaml');
    const capacityText = await readFile(capacity, 'utf8');
    await writeFile(capacity, capacityText.replace('rule: Default capacity', 'rule: Default capacities'));
    // Where the shipped surge rule starts: the problem is reported at its rule.
    const surgeLine = capacityText.split('\n').findIndex((l) => l.includes('- name: messaging-surge')) + 1;
    await writeFile(
      join(dir, 'back-office.yaml'),
      `rules:
  - name: back-office-after-calls
    priority: 40
    when: { fact: talk.status, operator: equal, value: offline }
    then: { set_status: Backoffice }
`,
    );
    const oauth = { ZENDESK_BASE_URL: sim.url, ZENDESK_OAUTH_TOKEN: SIM_DEFAULTS.oauthToken };
    const run = await rules(['check', dir, '--account'], oauth);
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      `${join(dir, 'back-office.yaml')}:2:5: rule "back-office-after-calls" sets status "Backoffice", which the account does not have (did you mean "Back office"?)`,
      `${join(dir, 'capacity.yaml')}:${surgeLine}:5: rule "messaging-surge" changes capacity rule "Default capacities", which the account does not have (did you mean "Default capacity"?)`,
      `2 problems in ${dir} against the account at ${sim.url}: the rules name what the account does not have`,
    ]);

    const json = await rules(['check', dir, '--account', '--json'], oauth);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      account: { at: sim.url, statuses: 9, capacityRules: 3 },
      problems: [
        { file: join(dir, 'back-office.yaml'), line: 2, column: 5 },
        { file: join(dir, 'capacity.yaml'), line: surgeLine, column: 5 },
      ],
    });
  });

  it('says how to name an account when the environment names none', async () => {
    const run = await rules(['check', dir, '--account'], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'check --account needs a Zendesk account: set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL)',
    );
  });

  it('says Zendesk refused the credentials, without printing them', async () => {
    const token = 'not-the-admin-token-8f3a';
    const run = await rules(['check', dir, '--account'], { ...apiToken, ZENDESK_API_TOKEN: token });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `could not read the statuses and capacity rules of ${sim.url}: Zendesk refused the credentials`,
    );
    expect(run.stdout + run.stderr).not.toContain(token);
  });

  it('says Zendesk cannot be reached when nothing answers', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await rules(['check', dir, '--account'], { ...apiToken, ZENDESK_BASE_URL: url });
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe(
      `could not read the statuses and capacity rules of ${url}: Could not reach Zendesk (ECONNREFUSED); check the address and the network`,
    );
    expect(run.stdout + run.stderr).not.toContain(SIM_DEFAULTS.admin.apiToken);
  });

  it('reports a rule set that does not load as check does, without asking Zendesk', async () => {
    await writeFile(join(dir, 'extra.yaml'), 'rules: {}\n');
    const run = await rules(['check', dir, '--account'], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(dir, 'extra.yaml')}:1:8: rules must be a list of rules`);
  });

  it('takes --account with check only', async () => {
    const run = await rules(['test', dir, '--account'], apiToken);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--account goes with check, not test');
  });
});
