// Shared figures for the sub-benchmarks: percentiles, number formats, a plain-text table and the
// JSON file each run leaves in bench/results/. Figures and ratios only, never a verdict.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR } from './report.js';

export { stats, type SeriesStats } from './report.js';

/** A sub-benchmark of `npm run bench -- <name>`. */
export interface Suite {
  readonly name: string;
  /** One line for the overview in `npm run bench -- --help`. */
  readonly summary: string;
  /** The full `npm run bench -- <name> --help` text. */
  readonly help: string;
  run(args: string[]): Promise<void>;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? NaN;
}

const finite = (x: number | undefined, f: (x: number) => string) => (x !== undefined && Number.isFinite(x) ? f(x) : 'n/a');
export const fmt = {
  s: (x: number | undefined) => finite(x, (v) => `${v.toFixed(3)} s`),
  ms: (x: number | undefined) => finite(x, (v) => `${Math.round(v)} ms`),
  mbps: (bytes: number, seconds: number | undefined) => finite(seconds, (v) => `${(bytes / 1e6 / v).toFixed(0)} MB/s`),
  mib: (b: number | undefined) => finite(b, (v) => `${(v / 2 ** 20).toFixed(1)} MiB`),
  x: (x: number | undefined) => finite(x, (v) => `${v.toFixed(2)}x`),
  n: (x: number) => x.toLocaleString('en-US'),
};

/** Columns padded to their widest cell; the `left` ones (default: the first) left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], left: readonly number[] = [0]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (left.includes(i) ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  ').trimEnd(), ...rows.map(line)].join('\n');
}

/** The parsed value of a positive-integer option, or an error naming it. */
export function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

/** Writes bench/results/<ISO timestamp>-<bench>.json (the command, the machine, the figures). */
export async function writeResult(bench: string, payload: Record<string, unknown>): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const timestamp = new Date().toISOString();
  const path = join(RESULTS_DIR, `${timestamp.replace(/:/g, '-')}-${bench}.json`);
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const machine = { cpus: cpus().length, node: process.version, loadAverage: loadavg() };
  await writeFile(path, `${JSON.stringify({ timestamp, bench, command, machine, ...payload }, null, 2)}\n`);
  return path;
}

/** One line on the machine, for the printed notes: other work on it makes every figure noisier. */
export const machineLine = (): string => `machine: ${cpus().length} cpus, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min, at the end)`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
