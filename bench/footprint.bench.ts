/**
 * Memory and start-up: the built router as its own process against a simulator of 10,000 and
 * 50,000 agents (limit raised, so the budget does not set the pace). Start-up is spawn → the
 * first full sync done and the first pass run (`/health` reports the sync up); RSS is read from
 * /proc once it has settled. References, same run: the full list walked with bare `fetch`, and the
 * RSS of an idle Node process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, ratio, type Bench } from './report';
import { NO_BREAKS, freePort } from './router.process';
import { bareListMs, startSimulator, type RunningSimulator } from './simulator.process';

const ROUTER_MAIN = join(__dirname, '..', 'apps', 'router', 'src', 'main.js');

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function idleNodeRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rss = rssMb(child.pid!);
  child.kill();
  return rss;
}

async function startRouter(
  sim: RunningSimulator,
  dir: string,
): Promise<{ child: ChildProcess; startMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [ROUTER_MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      RULES_DIR: dir,
      ZENDESK_BASE_URL: sim.url,
      ZENDESK_OAUTH_TOKEN: 'sim-oauth-token',
      ZENDESK_WEBHOOK_SECRET: 'bench-webhook-secret',
      ZENDESK_REQUESTS_PER_MIN: '10000',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  for (;;) {
    const health = await fetch(`http://127.0.0.1:${port}/health`)
      .then((r) => r.json() as Promise<{ details?: { sync?: { status: string } } }>)
      .catch(() => null);
    if (health?.details?.sync?.status === 'up') break;
    if (child.exitCode !== null) throw new Error(`the router exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, startMs: performance.now() - started };
}

export const footprintBench: Bench = async ({ quick }) => {
  const sizes = quick ? [10_000] : [10_000, 50_000];
  const idleRss = await idleNodeRssMb();
  const rows: string[][] = [];
  const figures = [];
  for (const agents of sizes) {
    const sim = await startSimulator(agents);
    const dir = mkdtempSync(join(tmpdir(), 'router-footprint-'));
    writeFileSync(join(dir, 'rules.yaml'), NO_BREAKS);
    try {
      const listMs = await bareListMs(sim);
      const { child, startMs } = await startRouter(sim, dir);
      // Let the first passes finish and the heap settle before reading RSS.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const rss = rssMb(child.pid!);
      child.kill();
      rows.push([
        count(agents),
        startMs.toFixed(0),
        listMs.toFixed(0),
        ratio(startMs, listMs),
        rss.toFixed(0),
        idleRss.toFixed(0),
        (((rss - idleRss) * 1024) / agents).toFixed(1),
      ]);
      figures.push(
        {
          name: `footprint.startup.${agents}`,
          value: startMs,
          unit: 'ms',
          reference: { name: 'bare list', value: listMs },
        },
        {
          name: `footprint.rss.${agents}`,
          value: rss,
          unit: 'MB',
          reference: { name: 'idle Node', value: idleRss },
        },
      );
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    id: 'footprint',
    title: 'Router: memory and start-up',
    about:
      'The built router as its own process (`dist/apps/router/src/main.js`) against a simulator process (limit raised, so the budget does not set the pace). Start-up: spawn until `/health` reports the first full sync done. RSS: read from /proc three seconds later. References, same run: the full agent list walked with bare `fetch` (what any start must at least wait for) and the RSS of an idle Node process.',
    head: [
      'agents',
      'start-up (ms)',
      'bare list (ms)',
      'ratio',
      'router RSS (MB)',
      'idle Node RSS (MB)',
      'KB per agent above idle',
    ],
    rows,
    figures,
  };
};
