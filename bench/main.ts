/**
 * The benchmark suite: `npm run bench [-- --quick] [--json] [--only id,id]`.
 *
 * Runs every benchmark in one process, one after the other, prints each table as it is done and,
 * on a full run of every benchmark, writes `docs/BENCHMARKS.md` with the command and the machine.
 * `--quick` runs smaller sizes and shorter periods (about two minutes) and writes nothing;
 * `--json` prints one JSON line per figure instead of tables.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { activityStepBench } from './activity-step.bench';
import { busyDayBench } from './busy-day.bench';
import { evaluationBench } from './evaluation.bench';
import { footprintBench } from './footprint.bench';
import { reactionBench } from './reaction.bench';
import { reloadBench } from './reload.bench';
import { markdownTable, type Bench, type Section } from './report';
import { resyncBench } from './resync.bench';
import { simListBench } from './sim-list.bench';

const SUITE: ReadonlyArray<[string, Bench]> = [
  ['evaluation', evaluationBench],
  ['reaction', reactionBench],
  ['reload', reloadBench],
  ['resync', resyncBench],
  ['busy-day', busyDayBench],
  ['footprint', footprintBench],
  ['sim-list', simListBench],
  ['activity-step', activityStepBench],
];

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, ${process.platform}`;
}

function markdown(section: Section): string {
  return [
    `## ${section.title}`,
    section.about,
    markdownTable(section.head, section.rows),
    ...(section.notes ? [section.notes] : []),
  ].join('\n\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const json = args.includes('--json');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;
  const unknown = only ? [...only].filter((id) => !SUITE.some(([name]) => name === id)) : [];
  if (unknown.length > 0) {
    process.stderr.write(
      `--only: unknown benchmark ${unknown.join(', ')}; known: ${SUITE.map(([name]) => name).join(', ')}\n`,
    );
    process.exit(2);
  }
  const sections: Section[] = [];
  for (const [name, bench] of SUITE) {
    if (only && !only.has(name)) continue;
    const started = performance.now();
    const section = await bench({ quick });
    sections.push(section);
    if (json) {
      for (const figure of section.figures) {
        process.stdout.write(
          `${JSON.stringify({
            ...figure,
            ratio: figure.reference ? figure.value / figure.reference.value : undefined,
            quick,
          })}\n`,
        );
      }
    } else {
      process.stdout.write(
        `\n${markdown(section)}\n\n(${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
      );
    }
  }
  if (quick || only) {
    if (!json) process.stdout.write('\nA quick or partial run: docs/BENCHMARKS.md is left as it was.\n');
    return;
  }
  const doc = [
    '# Benchmarks',
    'Written by `npm run bench` (every figure below comes from that one run). Each figure is measured against a reference in the same run; the ratios are what compare across machines. Benchmarks print tables and never pass or fail on time.',
    `Machine: ${machine()}. Run on ${new Date().toISOString().slice(0, 10)}.`,
    ...sections.map(markdown),
  ].join('\n\n');
  writeFileSync(join(__dirname, '..', '..', 'docs', 'BENCHMARKS.md'), `${doc}\n`);
  if (!json) process.stdout.write('\nWrote docs/BENCHMARKS.md\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
