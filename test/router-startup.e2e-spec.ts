import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from './support/router.harness';

const ROOT = join(__dirname, '..');
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

jest.setTimeout(90_000);

interface RouterProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** `npm start` from the sources, with the embedded simulator (no Zendesk configured). */
function startRouter(dir: string, port: number, env: Record<string, string>): RouterProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(ZENDESK_|SIM_|ROUTER_|LOG_)/.test(key)),
  );
  const child = spawn(process.execPath, ['-r', './test/support/ts-register.cjs', 'apps/router/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      RULES_DIR: dir,
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
      SIM_AGENTS: '5',
      SIM_ACTIVITY: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('the start-up summary and the log format of a started router', () => {
  let dir: string;
  let router: RouterProcess | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'router-startup-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
  });

  afterEach(async () => {
    if (router && router.child.exitCode === null) {
      router.child.kill('SIGTERM');
      await router.exited;
    }
    router = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function started(env: Record<string, string>): Promise<RouterProcess> {
    const r = startRouter(dir, await freePort(), env);
    router = r;
    const stderr = await eventually(
      () => Promise.resolve(r.stderr()),
      (text) => text.includes('  Logs ') || r.child.exitCode !== null,
      60_000,
    );
    if (!stderr.includes('  Logs ')) throw new Error(`the router did not start:\n${stderr}`);
    return r;
  }

  it('shows where everything is, with the generated token, at LOG_LEVEL=warn', async () => {
    const r = await started({ LOG_LEVEL: 'warn' });
    const summary = r.stderr();
    expect(summary).toContain(`Availability Router listening on ${r.url}`);
    for (const line of [
      `API       ${r.url}/api`,
      `Docs      ${r.url}/docs`,
      `Metrics   ${r.url}/metrics`,
      `Webhooks  ${r.url}/webhooks/zendesk`,
      'Zendesk   embedded simulator at http://127.0.0.1:',
      `Rules     ${dir} (1 rule, revision `,
      `Data      ${dir}`,
      'Mode      enforcing',
    ])
      expect(summary).toContain(line);
    const token = /Token +(\S+) \(generated for this run/.exec(summary)?.[1];
    expect(token).toBeDefined();
    const rules = await fetch(`${r.url}/api/rules`, { headers: { Authorization: `Bearer ${token}` } });
    expect(rules.status).toBe(200);
    // At warn no info line is written (stdout is a pipe: JSON): the summary says where the router is.
    expect(r.stdout()).not.toMatch(/"level":30/);
  });

  it('writes readable lines with LOG_FORMAT=pretty, and says where the token comes from when set', async () => {
    const r = await started({
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
      ROUTER_API_TOKEN: 'a-set-router-api-token',
    });
    expect(r.stderr()).toContain('Token     from ROUTER_API_TOKEN');
    expect(r.stderr()).not.toContain('a-set-router-api-token');
    const stdout = await eventually(
      () => Promise.resolve(r.stdout()),
      (text) => text.includes('[Rules] '),
    );
    const pinoLines = stdout.split('\n').filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line));
    expect(pinoLines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[Rules\] \S/));
    expect(stdout.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  });
});
