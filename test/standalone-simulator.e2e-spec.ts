import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookSecretPath } from '../apps/router/src/config/router.config';
import { ROUTER_WEBHOOK_NAME } from '../apps/router/src/sync/webhook.setup';
import { eventually, freePort } from './support/router.harness';

const ROOT = join(__dirname, '..');
const AGENT = 360_099_100_001;
const BREAK = 9002;
/** A status Zendesk set (an idle timeout), so the rule may act at once: no person to leave alone. */
const TO_BREAK = { status_id: BREAK, reason: 'AGENT_IDLE_TIMEOUT' };
const ADMIN = `Basic ${Buffer.from('admin@example.com/token:sim-admin-token').toString('base64')}`;
const NO_BREAKS = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  output(): string;
}

/** A process from the TypeScript sources, with only the given variables from this test's world. */
function run(main: string, env: Record<string, string>): Started {
  // Nothing from the caller's environment may point either process somewhere else.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(ZENDESK_|SIM_|ROUTER_|PUBLIC_URL|PORT|HOST|DATA_DIR|RULES_DIR|ENFORCE)/.test(key),
    ),
  );
  const child = spawn(process.execPath, ['-r', './test/support/ts-register.cjs', main], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

async function stop(process: Started | null): Promise<void> {
  if (!process || process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGTERM');
  await process.exited;
}

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { Authorization: ADMIN, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * The README's "a simulator you run yourself": `npm run sim` in one terminal, the router with
 * ZENDESK_BASE_URL and the simulator's admin credentials in another, and nothing else — no
 * webhook secret, no PUBLIC_URL.
 */
describe('the router against a simulator started on its own, as the README documents', () => {
  let dir: string;
  let simUrl: string;
  let routerPort: number;
  let sim: Started | null = null;
  let router: Started | null = null;

  /** Exactly the README's variables; DATA_DIR/RULES_DIR/LOG_LEVEL keep the test to itself. */
  function routerEnv(): Record<string, string> {
    return {
      ZENDESK_BASE_URL: simUrl,
      ZENDESK_EMAIL: 'admin@example.com',
      ZENDESK_API_TOKEN: 'sim-admin-token',
      ENFORCE: 'on',
      PORT: String(routerPort),
      DATA_DIR: dir,
      RULES_DIR: dir,
      LOG_LEVEL: 'silent',
    };
  }

  async function startRouter(): Promise<Started> {
    const started = run('apps/router/src/main.ts', routerEnv());
    router = started;
    const up = await eventually(
      () =>
        fetch(`http://127.0.0.1:${routerPort}/health`).then(
          (res) => res.status === 200,
          () => false,
        ),
      (ok) => ok || started.child.exitCode !== null,
      60_000,
    );
    if (!up) throw new Error(`the router did not start:\n${started.output()}`);
    return started;
  }

  async function routerWebhooks(): Promise<
    Array<{ id: string; name: string; endpoint: string; status: string }>
  > {
    const listed = await api('GET', `${simUrl}/api/v2/webhooks`);
    expect(listed.status).toBe(200);
    return listed.body.webhooks.filter((w: { name: string }) => w.name === ROUTER_WEBHOOK_NAME);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'standalone-sim-'));
    writeFileSync(join(dir, 'rules.yaml'), NO_BREAKS);
    const simPort = await freePort();
    routerPort = await freePort();
    sim = run('apps/zendesk-sim/src/main.ts', {
      PORT: String(simPort),
      SIM_AGENTS: '10',
      SIM_ACTIVITY: 'off',
    });
    const listening = await eventually(
      () => Promise.resolve(/listening on (http:\/\/[\d.:]+)/.exec(sim!.output())?.[1] ?? null),
      (url) => url !== null || sim!.child.exitCode !== null,
      60_000,
    );
    if (!listening) throw new Error(`the simulator did not start:\n${sim.output()}`);
    simUrl = listening;
  }, 90_000);

  afterAll(async () => {
    await stop(router);
    await stop(sim);
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes itself through the Webhooks API, receives webhooks and acts on them', async () => {
    await startRouter();

    const [webhook, ...others] = await routerWebhooks();
    expect(others).toEqual([]);
    expect(webhook).toMatchObject({
      endpoint: `http://127.0.0.1:${routerPort}/webhooks/zendesk`,
      status: 'active',
    });
    const secret = (await api('GET', `${simUrl}/api/v2/webhooks/${webhook!.id}/signing_secret`)).body
      .signing_secret.secret;
    expect(readFileSync(webhookSecretPath(dir), 'utf8').trim()).toBe(secret);
    expect(statSync(webhookSecretPath(dir)).mode & 0o777).toBe(0o600);

    await fetch(`${simUrl}/sim/agents/${AGENT}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(TO_BREAK),
    });
    const agent = await eventually(
      async () => ((await (await fetch(`${simUrl}/sim/agents/${AGENT}`)).json()) as any).agent,
      (a) => a.status.name === 'away',
      30_000,
    );
    expect(agent.status).toMatchObject({ name: 'away', reason: 'PUBLIC_API' });

    // The simulator's invocation list shows the deliveries the router accepted.
    const invocations = await eventually(
      async () => (await api('GET', `${simUrl}/api/v2/webhooks/${webhook!.id}/invocations`)).body,
      (page) =>
        page.invocations.some(
          (i: { event_type: string; status: string }) =>
            i.event_type === 'zen:event-type:agent.unified_state_changed' && i.status === 'success',
        ),
    );
    const delivered = invocations.invocations.find(
      (i: { event_type: string }) => i.event_type === 'zen:event-type:agent.unified_state_changed',
    );
    expect(delivered).toMatchObject({ webhook_id: webhook!.id, status: 'success', attempts_count: 1 });
    const attempts = await api(
      'GET',
      `${simUrl}/api/v2/webhooks/${webhook!.id}/invocations/${delivered.id}/attempts`,
    );
    expect(attempts.body.attempts).toEqual([
      expect.objectContaining({ invocation_id: delivered.id, status: 'success', response_code: 200 }),
    ]);
  }, 120_000);

  it('passes a test of its webhook signed with its secret, and refuses one signed with another', async () => {
    const [webhook] = await routerWebhooks();
    // Signed with the webhook's secret, the router checks the body next: `{}` is no event.
    const ours = await api('POST', `${simUrl}/api/v2/webhooks/test?webhook_id=${webhook!.id}`, {
      request: { payload: '{}' },
    });
    expect(ours.status).toBe(200);
    expect(ours.body.response).toMatchObject({ status: 400 });
    expect(JSON.parse(ours.body.response.payload)).toMatchObject({ error: 'bad_request' });
    // A webhook not created yet is signed with Zendesk's test secret, which the router does not know.
    const unsaved = await api('POST', `${simUrl}/api/v2/webhooks/test`, {
      request: { endpoint: webhook!.endpoint, payload: '{}' },
    });
    expect(unsaved.body.response).toMatchObject({ status: 401 });
    // Tests are not invocations.
    const page = (await api('GET', `${simUrl}/api/v2/webhooks/${webhook!.id}/invocations`)).body;
    expect(page.invocations.every((i: { status: string }) => i.status === 'success')).toBe(true);
  }, 60_000);

  it('after a restart finds its webhook again instead of making a second one', async () => {
    const [before] = await routerWebhooks();
    await stop(router);
    await startRouter();

    const after = await routerWebhooks();
    expect(after).toEqual([expect.objectContaining({ id: before!.id, status: 'active' })]);
    await fetch(`${simUrl}/sim/agents/${AGENT}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(TO_BREAK),
    });
    const agent = await eventually(
      async () => ((await (await fetch(`${simUrl}/sim/agents/${AGENT}`)).json()) as any).agent,
      (a) => a.status.name === 'away',
      30_000,
    );
    expect(agent.status.name).toBe('away');
  }, 120_000);
});
