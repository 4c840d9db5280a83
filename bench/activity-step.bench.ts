/**
 * What one step of the simulator's activity generator costs at account sizes up to 10,000 agents,
 * in a busy hour of the simulated day, with a subscriber on the store's events (as the webhook
 * dispatcher is in the running simulator).
 *
 * The reference is the cheapest pass any step could make: one loop over the same agents reading
 * each agent's status and each channel's work-item count, so the ratio is what the behaviour
 * model (random draws, plans, store changes and their events) adds on top of touching every agent.
 *
 * Steps during which V8 paused for garbage collection are counted and also left out of a separate
 * p99, because at 10,000 agents the young generation fills every few dozen steps (mostly with the
 * store's own work-item arrays and events) and one scavenge then dominates that step.
 *
 * Run: `npm run build && node dist/bench/activity-step.bench.js [--quick]`
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { ActivityGenerator, ACTIVITY_STEP_MS } from '../apps/zendesk-sim/src/activity/activity.generator';
import { SimClock } from '../apps/zendesk-sim/src/clock/sim.clock';
import { seedAccount } from '../apps/zendesk-sim/src/store/account.seed';
import { AccountStore } from '../apps/zendesk-sim/src/store/account.store';
import { quantile, type Bench } from './report';

const BUSY_HOUR = Date.parse('2025-03-14T10:00:00Z');
const WARM_UP_MS = 2 * 3_600_000;

function referencePass(store: AccountStore): number {
  let sum = 0;
  for (const agent of store.agents()) {
    sum += agent.status.id;
    for (const channel of agent.channels.values()) sum += channel.workItems.length;
  }
  return sum;
}

async function measure(agentCount: number, steps: number): Promise<string[]> {
  const clock = new SimClock();
  clock.freeze(BUSY_HOUR - WARM_UP_MS);
  const store = new AccountStore(clock);
  store.load(
    seedAccount({
      seed: 1,
      agentCount,
      now: clock.now(),
      accountId: 1,
      admin: { email: 'admin@example.com', apiToken: 'a' },
      agent: { email: 'agent@example.com', apiToken: 'b' },
    }),
  );
  let events = 0;
  store.events$.subscribe(() => events++);
  const generator = new ActivityGenerator(store, clock);
  generator.reset(1, true);
  // Let shifts, breaks and work settle into the day's rhythm before timing anything.
  clock.advance(WARM_UP_MS);
  const eventsBefore = events;
  const gcs: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const stepMs: number[] = [];
  const windows: Array<[number, number]> = [];
  for (let i = 0; i < steps; i++) {
    const started = performance.now();
    clock.advance(ACTIVITY_STEP_MS);
    const ended = performance.now();
    stepMs.push(ended - started);
    windows.push([started, ended]);
  }
  // GC entries are delivered asynchronously, after the next turn of the event loop's timers.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const withGc = windows.map(([from, to]) =>
    gcs.some((gc) => gc.startTime < to && gc.startTime + gc.duration > from),
  );
  const withoutGcMs = stepMs.filter((_, i) => !withGc[i]);
  const eventsPerStep = (events - eventsBefore) / steps;
  const refMs: number[] = [];
  let sink = 0;
  for (let i = 0; i < steps; i++) {
    const started = performance.now();
    sink += referencePass(store);
    refMs.push(performance.now() - started);
  }
  generator.stop();
  if (sink < 0) throw new Error('unreachable: keeps the reference pass from being optimised away');
  const median = quantile(stepMs, 0.5);
  const ref = quantile(refMs, 0.5);
  return [
    agentCount.toLocaleString('en-US'),
    String(steps),
    eventsPerStep.toFixed(0),
    median.toFixed(2),
    quantile(stepMs, 0.9).toFixed(2),
    quantile(stepMs, 0.99).toFixed(2),
    String(withGc.filter(Boolean).length),
    quantile(withoutGcMs, 0.99).toFixed(2),
    ref.toFixed(3),
    `${(median / ref).toFixed(1)}×`,
  ];
}

export const activityStepBench: Bench = async ({ quick }) => {
  const sizes = quick ? [1_000, 10_000] : [200, 1_000, 10_000];
  const steps = quick ? 120 : 720;
  const rows: string[][] = [];
  for (const n of sizes) rows.push(await measure(n, steps));
  const header: string[] = [
    'agents',
    'steps',
    'events/step',
    'step p50 (ms)',
    'p90 (ms)',
    'p99 (ms)',
    'steps with a GC pause',
    'p99 without them (ms)',
    'ref pass p50 (ms)',
    'ratio',
  ];
  return {
    id: 'activity-step',
    title: 'Simulator: one step of the activity generator',
    about:
      "One 5 s step of the simulated day at 10:00 UTC (after two simulated hours to settle), with a subscriber on the store's events as the webhook dispatcher is in the running simulator. Reference: one loop over the same agents reading each status and each channel's work-item count, so the ratio is what the behaviour model adds on top of touching every agent. Steps with a V8 garbage-collection pause are counted, and left out of a separate p99.",
    head: header,
    rows,
    figures: rows.map((r) => ({
      name: `simulator.activity-step.${r[0]!.replace(/,/g, '')}`,
      value: Number(r[3]),
      unit: 'ms (p50)',
      reference: { name: 'one pass over every agent', value: Number(r[8]) },
    })),
  };
};
