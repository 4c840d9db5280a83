import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventually,
  freePort,
  startRouter,
  WEBHOOK_SECRET,
  type RouterHarness,
} from './support/router.harness';
import { generatedRules, WebhookStream } from '../bench/webhook-stream';
import { startSim, type SimHarness } from './support/sim.harness';

/**
 * Rule loading as operations meet it: a huge change while webhooks flow, a Kubernetes ConfigMap
 * mount, a directory without rules.
 */

const TOKEN = 'a-router-api-token-for-rule-loading';
const ROOT = join(__dirname, '..');
const AGENTS = Array.from({ length: 10 }, (_, i) => 360_099_100_001 + i);
const RULES = `rules:
  - name: idle-away
    when: { fact: idleMinutes, operator: greaterThan, value: 15 }
    then: { set_status: away }
`;

jest.setTimeout(120_000);

interface RulesBody {
  revision: string | null;
  rules: Array<{ name: string }>;
  rejectedChange: Array<{ file: string; line: number; message: string }>;
}

async function rulesOf(h: RouterHarness): Promise<RulesBody> {
  const res = await fetch(`${h.url}/api/rules`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as RulesBody;
}

async function healthOf(h: RouterHarness): Promise<{ details: { rules: { rejectedChange: boolean } } }> {
  return (await (await fetch(`${h.url}/health`)).json()) as {
    details: { rules: { rejectedChange: boolean } };
  };
}

describe('a 10,000-rule change while signed webhooks flow', () => {
  let h: RouterHarness;
  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN });
  });
  afterAll(() => h.close());

  it('keeps answering webhooks promptly; the change is refused by the limits, then forgotten once removed', async () => {
    const live = await rulesOf(h);
    const stream = new WebhookStream(`${h.url}/webhooks/zendesk`, WEBHOOK_SECRET, AGENTS);
    await stream.answered(20);

    // One file of 10,000 rules: over the size limit, refused without being parsed.
    writeFileSync(join(h.dir, 'generated.yaml'), generatedRules(10_000, 'gen'));
    const big = await eventually(
      () => rulesOf(h),
      (r) => r.rejectedChange.length > 0,
      60_000,
    );
    expect(big.rejectedChange.map((p) => `${p.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^1: the file is 1\.\d MiB, larger than the 512 KiB a rule file may be$/),
    ]);
    rmSync(join(h.dir, 'generated.yaml'));
    await eventually(
      () => rulesOf(h),
      (r) => r.rejectedChange.length === 0,
      60_000,
    );

    // 10,000 rules in 20 files within the size limit: every file is parsed (in the worker),
    // then the set is refused for its count. Written aside and moved in at once, as a deploy does.
    const names = Array.from({ length: 20 }, (_, f) => `generated-${String(f).padStart(2, '0')}.yaml`);
    mkdirSync(join(h.dir, '.staging'));
    names.forEach((name, f) => writeFileSync(join(h.dir, '.staging', name), generatedRules(500, `gen${f}`)));
    const answeredBefore = stream.statuses.length;
    for (const name of names) renameSync(join(h.dir, '.staging', name), join(h.dir, name));
    const many = await eventually(
      () => rulesOf(h),
      (r) => r.rejectedChange.length > 0,
      60_000,
    );
    expect(many.rejectedChange).toEqual([
      expect.objectContaining({
        file: join(h.dir, 'generated-04.yaml'),
        message:
          'the rule set has more than the 2000 rules allowed (this is rule 2001; the files after this one were not read)',
      }),
    ]);
    // Parsing 10,000 rules takes the worker a while; the router (in this process, like the
    // stream) answered webhooks all along. Parsed on the event loop, none would have been.
    const answeredWhileLoading = stream.statuses.length - answeredBefore;
    expect(answeredWhileLoading).toBeGreaterThanOrEqual(10);
    expect((await healthOf(h)).details.rules.rejectedChange).toBe(true);
    await stream.answered(20);
    await stream.stop();

    expect(many.revision).toBe(live.revision);
    expect(many.rules.map((r) => r.name)).toEqual(['idle-away']);
    const { statuses } = stream;
    expect(statuses.every((s) => s === 200)).toBe(true);
    // How long each answer took is measured by `npm run bench -- --only reload`, not asserted here.

    for (const name of names) rmSync(join(h.dir, name));
    await eventually(
      () => rulesOf(h),
      (r) => r.rejectedChange.length === 0,
      60_000,
    );
    expect((await healthOf(h)).details.rules.rejectedChange).toBe(false);
  });
});

describe('rules mounted from a Kubernetes ConfigMap', () => {
  let mount: string;
  let h: RouterHarness;
  let version = 0;

  /** Publishes `files` as the kubelet does: a timestamped directory, `..data` swapped to it by a rename, one link per file. */
  function publish(files: Record<string, string>): void {
    const stamp = `..2026_03_14_09_00_0${version}.${++version}`;
    mkdirSync(join(mount, stamp));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(mount, stamp, name), text);
    symlinkSync(stamp, join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    for (const name of Object.keys(files)) {
      try {
        symlinkSync(join('..data', name), join(mount, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  beforeAll(async () => {
    mount = mkdtempSync(join(tmpdir(), 'rules-configmap-'));
    publish({ 'idle.yaml': RULES });
    h = await startRouter('', { ROUTER_API_TOKEN: TOKEN, RULES_DIR: mount });
  });
  afterAll(async () => {
    await h.close();
    rmSync(mount, { recursive: true, force: true });
  });

  it('loads each linked file once, and reloads when ..data is swapped', async () => {
    const first = await rulesOf(h);
    expect(first.rules.map((r) => r.name)).toEqual(['idle-away']);

    publish({
      'idle.yaml': RULES.replace('value: 15', 'value: 20'),
      'breaks.yaml': RULES.replace('idle-away', 'idle-away-later').replace('value: 15', 'value: 30'),
    });
    const second = await eventually(
      () => rulesOf(h),
      (r) => r.revision !== first.revision,
      30_000,
    );
    expect(second.rules.map((r) => r.name)).toEqual(['idle-away-later', 'idle-away']);
    expect(second.rejectedChange).toEqual([]);
  });
});

describe('a rules directory without rules', () => {
  let sim: SimHarness;
  let dir: string;
  beforeAll(async () => {
    sim = await startSim({ agentCount: 5, rateLimitPerMin: 100_000 });
    dir = mkdtempSync(join(tmpdir(), 'rules-empty-'));
    writeFileSync(join(dir, 'account.yaml'), 'timezone: Europe/Berlin\n');
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the router from its sources on `dir` until it exits or answers `/health`; then stops it. */
  async function run(
    env: Record<string, string>,
  ): Promise<{ code: number | null; healthy: boolean; stderr: string }> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['-r', './test/support/ts-register.cjs', 'apps/router/src/main.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dir,
          RULES_DIR: dir,
          ZENDESK_BASE_URL: sim.url,
          ZENDESK_OAUTH_TOKEN: 'sim-oauth-token',
          ZENDESK_WEBHOOK_SECRET: WEBHOOK_SECRET,
          LOG_LEVEL: 'silent',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let healthy = false;
    const deadline = Date.now() + 60_000;
    while (child.exitCode === null && !healthy && Date.now() < deadline) {
      healthy = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exitCode === null) child.kill('SIGTERM');
    return { code: await exited, healthy, stderr };
  }

  it('refuses to start, naming the directory and how to allow it', async () => {
    const { code, healthy, stderr } = await run({});
    expect({ code, healthy }).toEqual({ code: 1, healthy: false });
    expect(stderr).toContain(
      `${dir}:1:1: no rules: the directory has 1 rule file (*.yaml, *.yml, *.json) and no rule in them; set RULES_ALLOW_EMPTY=on to run the router without rules`,
    );
  });

  it('starts with RULES_ALLOW_EMPTY=on', async () => {
    const { healthy } = await run({ RULES_ALLOW_EMPTY: 'on' });
    expect(healthy).toBe(true);
  });
});
