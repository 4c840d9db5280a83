/**
 * What a full resync of every agent costs through the Zendesk client: requests sent (read from
 * the simulator's request log) and time, measured against the simulator with the rate limit
 * raised, and the time the same resync takes at the default budget (computed from the budget).
 *
 * The reference is the same walk with plain `fetch` and `JSON.parse`, so the ratio is what the
 * client adds (budget, breaker, decoding into domain types) over the bare HTTP exchange.
 *
 * Run: `npm run build && node dist/bench/resync.bench.js [--quick]`
 */
import { ZendeskClient } from '@app/zendesk';
import { median, type Bench } from './report';
import { bareListMs, startSimulator, type RunningSimulator } from './simulator.process';

const AUTH = { type: 'api_token', email: 'admin@example.com', token: 'sim-admin-token' } as const;
const DEFAULT_BUDGET_PER_MIN = 180;
const PAGE_SIZE = 100;
const REPEATS = 5;

async function clientResync(sim: RunningSimulator): Promise<{ ms: number; agents: number }> {
  const client = new ZendeskClient({ baseUrl: sim.url, auth: AUTH, requestsPerMinute: 1_000_000 });
  try {
    const started = performance.now();
    let agents = 0;
    for await (const page of client.listAgentAvailabilities({}, { pageSize: PAGE_SIZE }))
      agents += page.length;
    return { ms: performance.now() - started, agents };
  } finally {
    client.close();
  }
}

/** Time for `requests` at the budget: the first window's worth go at once, then one window per batch. */
function timeAtBudgetS(requests: number, measuredS: number): number {
  const extraWindows = Math.max(0, Math.ceil(requests / DEFAULT_BUDGET_PER_MIN) - 1);
  return extraWindows * 60 + measuredS / Math.max(1, Math.ceil(requests / DEFAULT_BUDGET_PER_MIN));
}

export const resyncBench: Bench = async ({ quick }) => {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 50_000];
  const rows: string[][] = [];
  for (const agents of sizes) {
    const sim = await startSimulator(agents);
    try {
      const clientRuns: number[] = [];
      const fetchRuns: number[] = [];
      let requests = 0;
      for (let i = 0; i < REPEATS; i++) {
        await sim.clearRequestLog();
        const run = await clientResync(sim);
        if (run.agents !== agents) throw new Error(`resync saw ${run.agents} of ${agents} agents`);
        requests = await sim.requestCount();
        clientRuns.push(run.ms);
        fetchRuns.push(await bareListMs(sim));
      }
      const clientMs = median(clientRuns);
      const fetchMs = median(fetchRuns);
      rows.push([
        agents.toLocaleString('en-US'),
        String(requests),
        String(Math.ceil(agents / PAGE_SIZE)),
        clientMs.toFixed(0),
        fetchMs.toFixed(0),
        `${(clientMs / fetchMs).toFixed(2)}×`,
        timeAtBudgetS(requests, clientMs / 1000).toFixed(1),
      ]);
    } finally {
      await sim.stop();
    }
  }
  const header: string[] = [
    'agents',
    'requests sent',
    'ceil(N/100)',
    'client (ms)',
    'plain fetch ref (ms)',
    'ratio',
    `at ${DEFAULT_BUDGET_PER_MIN}/min (s)`,
  ];
  return {
    id: 'resync',
    title: 'Zendesk client: requests and time per full resync',
    about:
      "`ZendeskClient.listAgentAvailabilities()` over every agent against the simulator with the rate limit raised; requests counted from the simulator's request log. Reference: the same walk with plain `fetch` and `JSON.parse`, so the ratio is what the client adds (budget, breaker, decoding into domain types). The last column is the time the same resync takes at the default budget of 180 requests per sliding minute: the first 180 requests go at once, each further 180 a window later. Median of 5.",
    head: header,
    rows,
    figures: rows.map((r) => ({
      name: `resync.requests.${r[0]!.replace(/,/g, '')}`,
      value: Number(r[1]),
      unit: 'requests',
      reference: { name: 'ceil(agents / 100)', value: Number(r[2]) },
    })),
  };
};
