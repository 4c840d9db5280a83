import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from './support/router.harness';

const ROOT = join(__dirname, '..');
/** Every process of one test carries this variable, so leftovers are found wherever they went. */
const MARKER = 'EMBEDDED_SIMULATOR_E2E';
const RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;
const BROKEN_RULES = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: no.such.fact, operator: equal, value: Break }
    then: { set_status: away }
`;

interface RouterProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/**
 * `npm start` as a test can run it: the router from its TypeScript sources with no Zendesk
 * configured, so it embeds the simulator (started from its sources through the same hook).
 */
function startRouter(dir: string, port: number, marker: string): RouterProcess {
  // Nothing from the caller's environment may point the router at a real account or change the
  // embedded simulator.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(ZENDESK_|SIM_|ROUTER_)/.test(key)),
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
      LOG_LEVEL: 'silent',
      SIM_AGENTS: '10',
      SIM_ACTIVITY: 'off',
      [MARKER]: marker,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

interface SimulatorProcess {
  readonly pid: number;
  readonly parentPid: number;
}

/**
 * Running simulator processes of one test, found through /proc by the marker in their environment:
 * this also finds a simulator whose router is gone and that now belongs to another parent. An
 * exited process that is not yet reaped has an empty environment, so it is not listed.
 */
function simulatorsOf(marker: string): SimulatorProcess[] {
  const found: SimulatorProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environment = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!environment.includes(`${MARKER}=${marker}`)) continue;
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (!commandLine.includes('zendesk-sim')) continue;
      // The fields after the command name, which is in parentheses: state, parent pid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const [state, parentPid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      found.push({ pid: Number(entry), parentPid: Number(parentPid) });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** The simulator's address, as the router prints it (on stderr) once the simulator is up. */
function simulatorUrl(router: RouterProcess): string | null {
  return /Embedded Zendesk simulator at (http:\/\/[\d.:]+)/.exec(router.stderr())?.[1] ?? null;
}

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    () => true,
    () => false,
  );
}

describe('the embedded simulator never outlives the router', () => {
  let dir: string;
  let marker: string;
  let router: RouterProcess | null;
  let blocker: Server | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'embedded-sim-'));
    marker = randomUUID();
    router = null;
    blocker = null;
  });

  afterEach(async () => {
    // Whatever a failing test left behind, by pid: only processes carrying this test's marker.
    if (router && router.child.exitCode === null && router.child.signalCode === null) {
      router.child.kill('SIGKILL');
      await router.exited;
    }
    for (const { pid } of simulatorsOf(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the router and waits until it serves; its simulator is its child and answers. */
  async function startServingRouter(): Promise<{ router: RouterProcess; simulatorUrl: string }> {
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    const started = startRouter(dir, await freePort(), marker);
    router = started;
    const serving = await eventually(
      () => answers(`${started.url}/health`),
      (up) => up || started.child.exitCode !== null,
      60_000,
    );
    if (!serving) throw new Error(`the router did not start:\n${started.stderr()}`);
    const url = simulatorUrl(started);
    expect(url).not.toBeNull();
    expect((await fetch(`${url}/sim/state`)).status).toBe(200);
    expect(simulatorsOf(marker)).toEqual([{ pid: expect.any(Number), parentPid: started.child.pid }]);
    return { router: started, simulatorUrl: url! };
  }

  /** The simulators still running once they have had the time to exit (none, or the test fails). */
  function simulatorsLeft(): Promise<SimulatorProcess[]> {
    return eventually(
      () => Promise.resolve(simulatorsOf(marker)),
      (left) => left.length === 0,
      20_000,
    );
  }

  it('exits when the router is killed with SIGKILL', async () => {
    const started = await startServingRouter();

    started.router.child.kill('SIGKILL');
    expect(await started.router.exited).toEqual({ code: null, signal: 'SIGKILL' });

    expect(await simulatorsLeft()).toEqual([]);
    expect(await answers(`${started.simulatorUrl}/sim/state`)).toBe(false);
  }, 90_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'exits with the router when the router gets %s',
    async (signal) => {
      const started = await startServingRouter();

      started.router.child.kill(signal);
      const exit = await started.router.exited;
      expect(exit.code === 0 || exit.signal === signal).toBe(true);

      expect(await simulatorsLeft()).toEqual([]);
      expect(await answers(`${started.simulatorUrl}/sim/state`)).toBe(false);
    },
    90_000,
  );

  it.each([
    ['a broken rule file', 'rules'],
    ['its port already in use', 'port'],
  ] as const)(
    'leaves no simulator running when the start fails on %s',
    async (_, failure) => {
      const port = await freePort();
      writeFileSync(join(dir, 'rules.yaml'), failure === 'rules' ? BROKEN_RULES : RULES);
      if (failure === 'port') {
        const server = createServer();
        blocker = server;
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      }
      const started = startRouter(dir, port, marker);
      router = started;

      expect((await started.exited).code).toBe(1);
      expect(started.stderr()).toMatch(failure === 'rules' ? /no\.such\.fact/ : /EADDRINUSE/);
      // The simulator was up before the start failed.
      expect(simulatorUrl(started)).not.toBeNull();
      expect(await simulatorsLeft()).toEqual([]);
    },
    90_000,
  );
});
