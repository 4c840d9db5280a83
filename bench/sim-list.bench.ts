/**
 * How fast the simulator lists every agent, and what it costs in memory and start-up time.
 *
 * For each account size, a built simulator runs as its own process (activity off, rate limit
 * raised) and a client walks the whole agent list with `page[size]=100`. The reference is the
 * same walk against a bare `node:http` server replaying the very same response bodies from
 * memory, so the ratio is the simulator's own cost over HTTP + JSON transfer.
 *
 * Run: `npm run build && node dist/bench/sim-list.bench.js [--quick]`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const AUTH = `Basic ${Buffer.from('admin@example.com/token:sim-admin-token').toString('base64')}`;
const SIM_MAIN = join(__dirname, '..', 'apps', 'zendesk-sim', 'src', 'main.js');
const REPEATS = 5;

interface Walk {
  ms: number;
  bodies: Map<string, string>;
}

async function walk(base: string): Promise<Walk> {
  const bodies = new Map<string, string>();
  const started = performance.now();
  let next: string | undefined = `${base}/api/v2/agent_availabilities?page%5Bsize%5D=100`;
  while (next) {
    const res = await fetch(next, { headers: { Authorization: AUTH, Accept: 'application/json' } });
    if (!res.ok) throw new Error(`${next} → ${res.status}`);
    const text = await res.text();
    bodies.set(next.slice(base.length), text);
    const links = (JSON.parse(text) as { links: { next?: string } }).links;
    next = links.next?.replace(/^https?:\/\/[^/]+/, base);
  }
  return { ms: performance.now() - started, bodies };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function startSimulator(
  agents: number,
): Promise<{ child: ChildProcess; base: string; startMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [SIM_MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      SIM_AGENTS: String(agents),
      SIM_ACTIVITY: 'off',
      SIM_RATE_LIMIT_PER_MIN: '1000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[\d.:a-z[\]]+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { child, base, startMs: performance.now() - started };
}

async function replayServer(bodies: Map<string, string>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const body = bodies.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 50_000];
  const rows: string[][] = [];
  for (const agents of sizes) {
    const sim = await startSimulator(agents);
    try {
      const simWalks: number[] = [];
      let bodies = new Map<string, string>();
      for (let i = 0; i < REPEATS; i++) {
        const result = await walk(sim.base);
        simWalks.push(result.ms);
        bodies = result.bodies;
      }
      const state = (await (await fetch(`${sim.base}/sim/state`)).json()) as { memory_mb: number };
      const replay = await replayServer(bodies);
      const refWalks: number[] = [];
      for (let i = 0; i < REPEATS; i++) refWalks.push((await walk(replay.base)).ms);
      replay.server.close();
      const simMs = median(simWalks);
      const refMs = median(refWalks);
      const megabytes = [...bodies.values()].reduce((n, b) => n + Buffer.byteLength(b), 0) / 1_048_576;
      rows.push([
        agents.toLocaleString('en-US'),
        String(bodies.size),
        megabytes.toFixed(1),
        simMs.toFixed(0),
        refMs.toFixed(0),
        `${(simMs / refMs).toFixed(2)}×`,
        String(state.memory_mb),
        sim.startMs.toFixed(0),
      ]);
    } finally {
      sim.child.kill();
    }
  }
  const header = [
    'agents',
    'pages',
    'MB sent',
    'full list (ms)',
    'replay ref (ms)',
    'ratio',
    'sim RSS (MB)',
    'start (ms)',
  ];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  process.stdout.write(
    `\nSimulator full agent list (median of ${REPEATS}; Node ${process.version})\n\n${table}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
