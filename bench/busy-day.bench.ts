/**
 * API efficiency under load: the router at its default budget (180 requests per sliding
 * minute) against a simulator enforcing Zendesk's 200, through a busy stretch of the day — an
 * agent put on a break every 200 ms (each one a write the rules want), a full resync every
 * minute, the clock tick every 30 s. The figure is the peak number of requests that reached the
 * simulator in any sliding 60 s window (from its request log); the reference is the budget.
 */
import { ZendeskClient } from '@app/zendesk';
import { count, ratio, type Bench } from './report';
import { FIRST_AGENT, putOnBreak, startRouterOnSimulator } from './router.process';

const BUDGET = 180;
const WINDOW_MS = 60_000;

interface LoggedRequest {
  time: string;
  method: string;
  path: string;
  status: number | null;
}

function peakInWindow(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= WINDOW_MS) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

export const busyDayBench: Bench = async ({ quick }) => {
  const agents = quick ? 1_000 : 10_000;
  const minutes = quick ? 0.75 : 10;
  const under = await startRouterOnSimulator(
    agents,
    { MAX_CHANGES_PER_MIN: '10000', RESYNC_INTERVAL_S: '60', EVALUATION_INTERVAL_S: '30' },
    { rateLimitPerMin: 200 },
  );
  let log: LoggedRequest[];
  let changes = 0;
  let queued: number;
  try {
    await fetch(`${under.sim.url}/sim/requests`, { method: 'DELETE' });
    const ends = Date.now() + minutes * 60_000;
    while (Date.now() < ends) {
      await putOnBreak(under.sim, FIRST_AGENT + Math.floor(Math.random() * agents));
      changes++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    queued = under.router.get(ZendeskClient).budget().queued;
    log = [];
    for (let after = 0; ;) {
      const page = (await (
        await fetch(`${under.sim.url}/sim/requests?after=${after}&limit=10000`)
      ).json()) as {
        requests: Array<LoggedRequest & { seq: number }>;
      };
      if (page.requests.length === 0) break;
      log.push(...page.requests);
      after = page.requests[page.requests.length - 1]!.seq;
    }
  } finally {
    await under.close();
  }
  // Agent names come from the Users API, a Support API with a limit and a budget of its own; the
  // simulator logs those calls with the rest.
  const users = log.filter((r) => r.path.startsWith('/api/v2/users'));
  log = log.filter((r) => !r.path.startsWith('/api/v2/users'));
  const peak = peakInWindow(log.map((r) => Date.parse(r.time)));
  const limited = log.filter((r) => r.status === 429).length;
  const writes = log.filter((r) => r.method === 'PUT').length;
  return {
    id: 'busy-day',
    title: 'Router: requests in a busy stretch of the day',
    about:
      `${count(agents)} agents; for ${minutes} minutes an agent is put on a break every 200 ms (a write the rules want each time, about 300 a minute — more than the budget), a full resync runs every minute and the clock tick every 30 s. ` +
      'The router runs at its default budget of 180 requests per sliding minute, the simulator enforces 200. Requests are counted as they reached the simulator (its request log); the Users API lookups of agent names, on a budget of their own, are counted apart. Reference: the budget.',
    head: [
      'agents',
      'minutes',
      'changes made',
      'requests',
      'PUT writes',
      '429s',
      'peak in any 60 s',
      'budget',
      'peak / budget',
      'queued at the end',
      'Users API calls',
    ],
    rows: [
      [
        count(agents),
        String(minutes),
        count(changes),
        count(log.length),
        count(writes),
        String(limited),
        String(peak),
        String(BUDGET),
        ratio(peak, BUDGET),
        String(queued),
        count(users.length),
      ],
    ],
    figures: [
      {
        name: 'busy-day.peak-60s',
        value: peak,
        unit: 'requests',
        reference: { name: 'budget', value: BUDGET },
      },
    ],
    notes:
      `Peak ${peak} requests in a 60 s window against a budget of ${BUDGET}${peak <= BUDGET ? ' — within it' : ' — OVER the budget'}; ${limited} answers were 429. ` +
      `${count(writes)} writes reached Zendesk: the writes wanted (about 300 a minute) outran the budget, so the rest waited their turn, and the resync pages, which come after writes, waited too (${count(log.length - writes)} other requests). ` +
      'With webhooks flowing that is the intended order; `/health` reports the stale sync as degraded meanwhile.',
  };
};
