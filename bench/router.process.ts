import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRouterConfig } from '../apps/router/src/config/router.config';
import { createRouterApp, listenAndSync } from '../apps/router/src/router.app';
import { startSimulator, type RunningSimulator } from './simulator.process';

/** The webhook signing secret both sides are given. */
export const SECRET = 'bench-webhook-secret';

/** A rule that acts on every agent put on a break: each change costs the router one write. */
export const NO_BREAKS = `statuses: [Break]
rules:
  - name: no-breaks
    when: { fact: status.name, operator: equal, value: Break }
    then: { set_status: away }
`;
export const BREAK_STATUS = 9002;
export const FIRST_AGENT = 360_099_100_001;

export interface RouterUnderTest {
  router: NestExpressApplication;
  sim: RunningSimulator;
  /** The router's URL. */
  url: string;
  /** Its rules and data directory. */
  dir: string;
  close(): Promise<void>;
}

/** The router in this process, on a built simulator of `agents` agents whose webhooks it takes. */
export async function startRouterOnSimulator(
  agents: number,
  env: Record<string, string>,
  simulator: { rateLimitPerMin?: number } = {},
): Promise<RouterUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'router-bench-'));
  writeFileSync(join(dir, 'rules.yaml'), NO_BREAKS);
  const port = await freePort();
  const sim = await startSimulator(agents, {
    ...simulator,
    webhook: { url: `http://127.0.0.1:${port}/webhooks/zendesk`, secret: SECRET },
  });
  const config = loadRouterConfig({
    ZENDESK_WEBHOOK_SECRET: SECRET,
    DATA_DIR: dir,
    RULES_DIR: dir,
    HUMAN_HOLD_S: '0',
    MIN_ONLINE_PER_GROUP: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const router = await createRouterApp(config, {
    baseUrl: sim.url,
    auth: { type: 'oauth', accessToken: 'sim-oauth-token' },
  });
  await listenAndSync(router, port, '127.0.0.1');
  return {
    router,
    sim,
    url: `http://127.0.0.1:${port}`,
    dir,
    close: async () => {
      await router.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Puts an agent on a break through the simulator's control API (as a person would). */
export async function putOnBreak(sim: RunningSimulator, agentId: number): Promise<void> {
  const res = await fetch(`${sim.url}/sim/agents/${agentId}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ status_id: BREAK_STATUS }),
  });
  if (!res.ok) throw new Error(`PUT /sim/agents/${agentId} → ${res.status}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
