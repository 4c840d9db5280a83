/**
 * Rule changes under live traffic: signed webhooks stream to the router, one after another as
 * Zendesk sends them, while large rule changes land in its rules directory. Rule files are read,
 * parsed and checked in a worker thread; what stays on the event loop is taking the checked set
 * in and compiling it. Reference, same run: the same stream with no change.
 */
import { RuleSetLoader } from '@app/rules';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { count, quantile, ratio, type Bench } from './report';
import { FIRST_AGENT, SECRET, startRouterOnSimulator } from './router.process';
import { generatedRules, WebhookStream } from './webhook-stream';

interface Change {
  /** For the figure's name. */
  id: string;
  name: string;
  outcome: 'loaded' | 'rejected';
  /** Writes the change into `dir` (aside, then moved in at once, as a deploy does). */
  write(dir: string): string[];
}

const spread = (files: number, perFile: number, prefix: string) => (dir: string) => {
  const names = Array.from({ length: files }, (_, f) => `${prefix}-${String(f).padStart(2, '0')}.yaml`);
  mkdirSync(join(dir, '.staging'), { recursive: true });
  names.forEach((name, f) =>
    writeFileSync(join(dir, '.staging', name), generatedRules(perFile, `${prefix}${f}`)),
  );
  for (const name of names) renameSync(join(dir, '.staging', name), join(dir, name));
  return names;
};

const CHANGES: Change[] = [
  {
    id: 'one-file',
    name: '10,000 rules in one file (over the size limit)',
    outcome: 'rejected',
    write: (dir) => {
      writeFileSync(join(dir, 'one-big.yaml'), generatedRules(10_000, 'big'));
      return ['one-big.yaml'];
    },
  },
  {
    id: 'over-limit',
    name: '10,000 rules in 20 files (over the rule limit)',
    outcome: 'rejected',
    write: spread(20, 500, 'many'),
  },
  {
    id: 'largest',
    name: '1,997 rules in 4 files (near the most a set may have)',
    outcome: 'loaded',
    // With the one rule already live: 1,997 rules.
    write: spread(4, 499, 'most'),
  },
];

export const reloadBench: Bench = async ({ quick }) => {
  const under = await startRouterOnSimulator(50, {
    ZENDESK_REQUESTS_PER_MIN: '10000',
    RESYNC_INTERVAL_S: '3600',
    EVALUATION_INTERVAL_S: '3600',
  });
  const loader = under.router.get(RuleSetLoader);
  const stream = new WebhookStream(
    `${under.url}/webhooks/zendesk`,
    SECRET,
    Array.from({ length: 20 }, (_, i) => FIRST_AGENT + i),
  );
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const rows: string[][] = [];
  const figures = [];
  try {
    await settle(quick ? 1_000 : 3_000);
    const reference = stream.durationsMs.slice(0);
    const ref99 = quantile(reference, 0.99);
    rows.push(['no change (reference)', '—', count(reference.length), ...stats(reference), '1.00×']);
    for (const change of CHANGES) {
      const revision = loader.current()?.revision;
      const from = stream.durationsMs.length;
      const started = performance.now();
      const names = change.write(under.dir);
      for (;;) {
        const seen =
          change.outcome === 'loaded'
            ? loader.current()?.revision !== revision
            : loader.lastProblems().length > 0;
        if (seen) break;
        const problems = loader.lastProblems();
        if (change.outcome === 'loaded' && problems.length > 0)
          throw new Error(`${change.name}: rejected: ${problems[0]!.message}`);
        if (performance.now() - started > 120_000) throw new Error(`${change.name}: not taken in 120 s`);
        await settle(10);
      }
      const tookMs = performance.now() - started;
      // A little past the change, for what is done just after it is seen.
      await settle(500);
      const during = stream.durationsMs.slice(from);
      rows.push([
        change.name,
        `${change.outcome} in ${(tookMs / 1000).toFixed(1)} s`,
        count(during.length),
        ...stats(during),
        ratio(quantile(during, 0.99), ref99),
      ]);
      figures.push({
        name: `reload.${change.id}.p99`,
        value: quantile(during, 0.99),
        unit: 'ms',
        reference: { name: 'no change p99', value: ref99 },
      });
      for (const name of names) rmSync(join(under.dir, name));
      rmSync(join(under.dir, '.staging'), { recursive: true, force: true });
      await settle(1_500);
    }
  } finally {
    await stream.stop();
    await under.close();
  }
  const refused = stream.statuses.filter((status) => status !== 200);
  if (refused.length > 0) throw new Error(`${refused.length} webhooks were not answered 200`);
  const worst = Math.max(...rows.slice(1).map((r) => Number(r[5])));
  return {
    id: 'reload',
    title: 'Router: webhooks answered while large rule changes land',
    about:
      'Signed webhooks stream to the router (in this process, on a simulator of 50 agents), one after another with 5 ms between them, while a rule change lands in its rules directory; a change is timed from being written to being live (or rejected), plus 0.5 s. Rule files are read, parsed and checked in a worker thread; taking the checked set in and compiling it stays on the event loop. Reference, same run: the same stream with no change.',
    head: ['change', 'outcome', 'webhooks', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'p99 / reference'],
    rows,
    figures,
    notes: `The slowest webhook answer during a change: ${worst.toFixed(0)} ms (target: 100 ms; Zendesk gives up after about 10 s).`,
  };
};

function stats(values: readonly number[]): string[] {
  return [
    quantile(values, 0.5).toFixed(1),
    quantile(values, 0.99).toFixed(1),
    Math.max(...values).toFixed(1),
  ];
}
