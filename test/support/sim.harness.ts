import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { SIM_DEFAULTS, type SimConfig } from '../../apps/zendesk-sim/src/config/sim.config';
import { createSimApp } from '../../apps/zendesk-sim/src/sim.app';

/** Authorization header values for the simulator's default identities. */
export const AUTH = {
  admin: basic(SIM_DEFAULTS.admin.email, SIM_DEFAULTS.admin.apiToken),
  agent: basic(SIM_DEFAULTS.agent.email, SIM_DEFAULTS.agent.apiToken),
  oauth: `Bearer ${SIM_DEFAULTS.oauthToken}`,
} as const;

export function basic(email: string, token: string): string {
  return `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;
}

/** A simulator listening on an ephemeral loopback port, driven over real HTTP. */
export interface SimHarness {
  readonly url: string;
  readonly app: NestExpressApplication;
  /** A supertest agent bound to the simulator's URL. */
  http(): ReturnType<typeof request>;
  /** GET a Zendesk path as the admin (or the given identity). */
  get(path: string, auth?: string): request.Test;
  /** Calls the control API. */
  control(method: 'get' | 'post' | 'put' | 'delete', path: string, body?: object): Promise<request.Response>;
  /** Freezes the simulator clock at `at` (default 2025-03-14T09:00:00Z). */
  freezeClock(at?: string): Promise<void>;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a simulator with activity off (unless asked) on 127.0.0.1:0. */
export async function startSim(overrides: Partial<SimConfig> = {}): Promise<SimHarness> {
  const config: SimConfig = { ...SIM_DEFAULTS, activity: false, port: 0, ...overrides };
  const app = await createSimApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string')
    throw new Error('The simulator did not bind a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  const http = () => request(url);
  const control = async (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: object) => {
    const response = await http()[method](`/sim${path}`).send(body);
    if (response.status >= 400)
      throw new Error(`${method.toUpperCase()} /sim${path} → ${response.status}: ${response.text}`);
    return response;
  };
  return {
    url,
    app,
    http,
    get: (path, auth = AUTH.admin) => http().get(path).set('Authorization', auth),
    control,
    freezeClock: async (at = '2025-03-14T09:00:00Z') => {
      await control('put', '/clock', { frozen: true, now: at });
    },
    advance: async (ms) => {
      await control('post', '/clock/advance', { ms });
    },
    close: () => app.close(),
  };
}
