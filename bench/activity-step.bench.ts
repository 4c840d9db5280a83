/**
 * What one step of the simulator's activity generator costs at account sizes up to 10,000 agents,
 * in a busy hour of the simulated day, with a subscriber on the store's events (as the webhook
 * dispatcher is in the running simulator).
 *
 * The reference is the cheapest pass any step could make: one loop over the same agents reading
 * each agent's status and each channel's work-item count, so the ratio is what the behaviour
 * model (random draws, plans, store changes and their events) adds on top of touching every agent.
 *
 * Run: `npm run build && node dist/bench/activity-step.bench.js [--quick]`
 */
import { ActivityGenerator, ACTIVITY_STEP_MS } from '../apps/zendesk-sim/src/activity/activity.generator';
import { SimClock } from '../apps/zendesk-sim/src/clock/sim.clock';
import { seedAccount } from '../apps/zendesk-sim/src/store/account.seed';
import { AccountStore } from '../apps/zendesk-sim/src/store/account.store';

const BUSY_HOUR = Date.parse('2025-03-14T10:00:00Z');
const WARM_UP_MS = 2 * 3_600_000;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

function referencePass(store: AccountStore): number {
  let sum = 0;
  for (const agent of store.agents()) {
    sum += agent.status.id;
    for (const channel of agent.channels.values()) sum += channel.workItems.length;
  }
  return sum;
}

function measure(agentCount: number, steps: number): string[] {
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
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const started = performance.now();
    clock.advance(ACTIVITY_STEP_MS);
    stepMs.push(performance.now() - started);
  }
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
    quantile(stepMs, 0.99).toFixed(2),
    ref.toFixed(3),
    `${(median / ref).toFixed(1)}×`,
  ];
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const sizes = quick ? [1_000, 10_000] : [200, 1_000, 10_000];
  const steps = quick ? 120 : 720;
  const rows = sizes.map((n) => measure(n, steps));
  const header = [
    'agents',
    'steps',
    'events/step',
    'step p50 (ms)',
    'step p99 (ms)',
    'ref pass p50 (ms)',
    'ratio',
  ];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  process.stdout.write(
    `\nActivity generator, one ${ACTIVITY_STEP_MS / 1000} s step at 10:00 UTC (Node ${process.version})\n\n${table}\n`,
  );
}

main();
