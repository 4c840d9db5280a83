import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ZendeskClientOptions } from '@app/zendesk';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRouterConfig } from '../../apps/router/src/config/router.config';
import type { LogDestination } from '../../apps/router/src/logging/router.logger';
import { createRouterApp, listenAndSync } from '../../apps/router/src/router.app';
import { startSim, type SimHarness } from './sim.harness';

/** The webhook signing secret the harness gives both sides. */
export const WEBHOOK_SECRET = 'router-e2e-webhook-secret';

/** A router and the simulator it runs against, wired with signed webhooks, on loopback. */
export interface RouterHarness {
  readonly sim: SimHarness;
  readonly router: NestExpressApplication;
  readonly url: string;
  /** Holds the rule file and the audit log. */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * Starts a simulator (activity off) whose webhooks go to a router on a free port, with one rule
 * file and the given environment on top of quiet defaults (no resync or tick during a test, no
 * human hold, no group minimum); `zendesk` overrides the client's options (budget, breaker);
 * `logs` receives the router's log lines instead of stdout (nestjs-pino keeps one logger per
 * process: only for the first router a test file starts).
 */
export async function startRouter(
  rules: string,
  env: Record<string, string> = {},
  agentCount = 30,
  zendesk: Partial<ZendeskClientOptions> = {},
  logs?: LogDestination,
): Promise<RouterHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'router-'));
  writeFileSync(join(dir, 'rules.yaml'), rules);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sim = await startSim({
    agentCount,
    rateLimitPerMin: 100_000,
    webhook: { url: `${url}/webhooks/zendesk`, secret: WEBHOOK_SECRET },
  });
  // A router that fails to start leaves nothing behind: the test fails instead of hanging.
  const abandon = async (error: unknown): Promise<never> => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  };
  let router: NestExpressApplication;
  try {
    const config = loadRouterConfig({
      ZENDESK_WEBHOOK_SECRET: WEBHOOK_SECRET,
      DATA_DIR: dir,
      RULES_DIR: dir,
      RESYNC_INTERVAL_S: '3600',
      EVALUATION_INTERVAL_S: '3600',
      HUMAN_HOLD_S: '0',
      MIN_ONLINE_PER_GROUP: '0',
      LOG_LEVEL: process.env.ROUTER_TEST_LOGS ? 'debug' : 'silent',
      ...env,
    });
    router = await createRouterApp(
      config,
      { baseUrl: sim.url, auth: { type: 'oauth', accessToken: 'sim-oauth-token' }, ...zendesk },
      logs,
    );
  } catch (error) {
    return abandon(error);
  }
  try {
    await listenAndSync(router, port, '127.0.0.1');
  } catch (error) {
    await router.close().catch(() => undefined);
    return abandon(error);
  }
  return {
    sim,
    router,
    url,
    dir,
    close: async () => {
      await router.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `read` until `done` says so or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
