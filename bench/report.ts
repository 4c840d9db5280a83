/** What a benchmark hands the suite: tables for people, figures for machines. */
export interface Section {
  /** Short id, for `--only` and the JSON lines. */
  id: string;
  title: string;
  /** What is measured and against which reference (Markdown). */
  about: string;
  head: string[];
  rows: string[][];
  figures: Figure[];
  /** What the figures mean, worked out from them (Markdown). */
  notes?: string;
}

/** One number the suite reports, with the reference it was measured against in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  reference?: { name: string; value: number };
}

export interface BenchOptions {
  quick: boolean;
}

export type Bench = (options: BenchOptions) => Promise<Section>;

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function markdownTable(head: readonly string[], rows: readonly string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const count = (n: number): string => n.toLocaleString('en-US');
export const ratio = (value: number, reference: number): string => `${(value / reference).toFixed(2)}×`;
