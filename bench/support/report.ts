// Statistics and the printed table / JSON file of a skopeo benchmark run. Figures only.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export interface SeriesStats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** (max - min) / median: how much the rounds disagree. */
  readonly spread: number;
}

export function stats(values: readonly number[]): SeriesStats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  const min = sorted[0] ?? NaN;
  const max = sorted[sorted.length - 1] ?? NaN;
  return { median, min, max, spread: (max - min) / median };
}

export interface RegistryResult {
  readonly name: string;
  readonly version: string;
  readonly pushSeconds: number[];
  readonly pullSeconds: number[];
  peakRssBytes?: number | undefined;
  /** CPU seconds the registry process used over the whole run (startup included). */
  cpuSeconds?: number | undefined;
}

export interface Report {
  readonly title: string;
  readonly notes: readonly string[];
  readonly blobBytes: number;
  readonly results: readonly RegistryResult[];
}

const sec = (s: number) => (Number.isFinite(s) ? `${s.toFixed(3)} s` : 'n/a');
const mib = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`);
const cpu = (s: number | undefined) => (s === undefined ? 'n/a' : `${s.toFixed(2)} s`);
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

export function summarise(report: Report) {
  const registries = report.results.map((r) => ({
    ...r,
    push: stats(r.pushSeconds),
    pull: stats(r.pullSeconds),
  }));
  const [wharf, peer] = registries;
  const ratio = (pick: (r: NonNullable<typeof wharf>) => number) => (wharf && peer ? pick(wharf) / pick(peer) : NaN);
  const ratios = {
    pushMedian: ratio((r) => r.push.median),
    pushMin: ratio((r) => r.push.min),
    pullMedian: ratio((r) => r.pull.median),
    pullMin: ratio((r) => r.pull.min),
    peakRss: ratio((r) => r.peakRssBytes ?? NaN),
    cpu: ratio((r) => r.cpuSeconds ?? NaN),
  };
  return { registries, ratios };
}

export function formatTable(report: Report): string {
  const { registries, ratios } = summarise(report);
  const widths = [34, 12, 10, 12, 10, 11, 9];
  const lines = [report.title, ...report.notes.map((n) => `  ${n}`), ''];
  lines.push(row(['registry', 'push median', 'push min', 'pull median', 'pull min', 'peak RSS', 'CPU'], widths));
  for (const r of registries) {
    lines.push(row([`${r.name} (${r.version})`.slice(0, 34), sec(r.push.median), sec(r.push.min), sec(r.pull.median), sec(r.pull.min), mib(r.peakRssBytes), cpu(r.cpuSeconds)], widths));
  }
  if (registries.length > 1) {
    const names = `${registries[0]?.name}/${registries[1]?.name}`;
    lines.push(row([`ratio ${names}`, times(ratios.pushMedian), times(ratios.pushMin), times(ratios.pullMedian), times(ratios.pullMin), times(ratios.peakRss), times(ratios.cpu)], widths));
  }
  const mbps = (s: number) => `${(report.blobBytes / 1e6 / s).toFixed(0)} MB/s`;
  lines.push('  (ratios: lower is better for the first registry; CPU = user+system seconds of the registry process over the whole run)');
  lines.push('', 'throughput at the median (blob bytes / wall clock):');
  for (const r of registries) lines.push(`  ${r.name}: push ${mbps(r.push.median)}, pull ${mbps(r.pull.median)}`);
  lines.push('noise, (max-min)/median per series:');
  for (const r of registries) lines.push(`  ${r.name}: push ${pct(r.push.spread)}, pull ${pct(r.pull.spread)}`);
  lines.push('rounds (seconds, in run order):');
  for (const r of registries) {
    lines.push(`  ${r.name}: push ${r.pushSeconds.map((s) => s.toFixed(3)).join(' ')} | pull ${r.pullSeconds.map((s) => s.toFixed(3)).join(' ')}`);
  }
  return lines.join('\n');
}

/** Writes the report (with the derived statistics) to bench/results/<ISO timestamp>.json. */
export async function writeJson(report: Report, extra: Record<string, unknown>): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const timestamp = new Date().toISOString();
  const path = join(RESULTS_DIR, `${timestamp.replace(/:/g, '-')}.json`);
  const { registries, ratios } = summarise(report);
  const { results: _raw, ...meta } = report; // the per-round figures are in `registries`
  await writeFile(path, `${JSON.stringify({ timestamp, ...extra, ...meta, registries, ratios }, null, 2)}\n`);
  return path;
}
