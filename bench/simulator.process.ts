import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const SIM_MAIN = join(__dirname, '..', 'apps', 'zendesk-sim', 'src', 'main.js');

/** A built simulator running as its own process, for benchmarks. */
export interface RunningSimulator {
  readonly url: string;
  /** Milliseconds from spawn to listening. */
  readonly startMs: number;
  readonly child: ChildProcess;
  clearRequestLog(): Promise<void>;
  requestCount(): Promise<number>;
  /** Resident memory of the simulator process, in MB. */
  memoryMb(): Promise<number>;
  stop(): Promise<void>;
}

/** Where the simulator sends its signed webhooks, and its limit (raised unless given). */
export interface SimulatorOptions {
  webhook?: { url: string; secret: string };
  rateLimitPerMin?: number;
}

/** Starts `dist/apps/zendesk-sim` with `agents` agents and activity off. */
export async function startSimulator(
  agents: number,
  options: SimulatorOptions = {},
): Promise<RunningSimulator> {
  const started = performance.now();
  const child = spawn(process.execPath, [SIM_MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      SIM_AGENTS: String(agents),
      SIM_ACTIVITY: 'off',
      SIM_RATE_LIMIT_PER_MIN: String(options.rateLimitPerMin ?? 1_000_000),
      ...(options.webhook
        ? { SIM_WEBHOOK_URL: options.webhook.url, SIM_WEBHOOK_SECRET: options.webhook.secret }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[\d.:a-z[\]]+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the simulator exited with ${code}`)));
  });
  const startMs = performance.now() - started;
  return {
    url,
    startMs,
    child,
    clearRequestLog: async () => {
      await fetch(`${url}/sim/requests`, { method: 'DELETE' });
    },
    requestCount: async () =>
      ((await (await fetch(`${url}/sim/requests`)).json()) as { requests: unknown[] }).requests.length,
    memoryMb: async () =>
      ((await (await fetch(`${url}/sim/state`)).json()) as { memory_mb: number }).memory_mb,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** The whole agent list walked with plain `fetch` and `JSON.parse`, 100 per page: the bare cost of a full list. */
export async function bareListMs(sim: RunningSimulator): Promise<number> {
  const started = performance.now();
  let next: string | undefined = `${sim.url}/api/v2/agent_availabilities?page%5Bsize%5D=100`;
  while (next) {
    const res = await fetch(next, { headers: { Authorization: 'Bearer sim-oauth-token' } });
    next = ((await res.json()) as { links: { next?: string } }).links.next;
  }
  return performance.now() - started;
}
