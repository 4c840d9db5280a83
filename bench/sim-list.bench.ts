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
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { median, type Bench } from './report';
import { startSimulator } from './simulator.process';

const AUTH = `Basic ${Buffer.from('admin@example.com/token:sim-admin-token').toString('base64')}`;
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

async function replayServer(bodies: Map<string, string>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const body = bodies.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export const simListBench: Bench = async ({ quick }) => {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 50_000];
  const rows: string[][] = [];
  for (const agents of sizes) {
    const sim = await startSimulator(agents);
    try {
      const simWalks: number[] = [];
      let bodies = new Map<string, string>();
      for (let i = 0; i < REPEATS; i++) {
        const result = await walk(sim.url);
        simWalks.push(result.ms);
        bodies = result.bodies;
      }
      const memoryMb = await sim.memoryMb();
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
        String(memoryMb),
        sim.startMs.toFixed(0),
      ]);
    } finally {
      await sim.stop();
    }
  }
  const header: string[] = [
    'agents',
    'pages',
    'MB sent',
    'full list (ms)',
    'replay ref (ms)',
    'ratio',
    'sim RSS (MB)',
    'start (ms)',
  ];
  return {
    id: 'sim-list',
    title: 'Simulator: full agent list',
    about:
      "A client walks `GET /api/v2/agent_availabilities?page[size]=100` to the end against the simulator running as its own process (activity off, limit raised). Reference: a bare `node:http` server replaying the very same response bodies from memory, so the ratio is the simulator's own cost over HTTP and JSON transfer. Median of 5 walks.",
    head: header,
    rows,
    figures: rows.map((r) => ({
      name: `simulator.list.${r[0]!.replace(/,/g, '')}`,
      value: Number(r[3]),
      unit: 'ms',
      reference: { name: 'replay server', value: Number(r[4]) },
    })),
  };
};
