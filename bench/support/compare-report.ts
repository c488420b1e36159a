// The compare benchmark's figures as rows (one per figure and server), the one printed table, and
// the noise summary. Figures and ratios only, never a verdict.
import { fmt, stats, table, type SeriesStats } from './figures.js';

export type Unit = 'req/s' | 'MB/s' | 's';

export interface Row {
  /** fig1..fig4. */
  readonly figure: string;
  /** What is measured, e.g. "manifest GET by tag"; the unit is added when printed. */
  readonly measure: string;
  readonly unit: Unit;
  /** Target id (wharf, wharf-pg, distribution, nginx, cp, ...) and its printed label. */
  readonly target: string;
  readonly label: string;
  /** One value per round, in round order (NaN where a round failed). */
  readonly values: number[];
  /** Why the figure does not count (a round saw errors), or undefined. */
  invalid?: string | undefined;
  /** Extra figures for the detail column, e.g. latency percentiles. */
  detail?: string | undefined;
  /** Peak RSS (VmHWM) of the server process(es) over the figure's phase. */
  peakRssBytes?: number | undefined;
  /** Ratios to print, this row's median over the peer's: [peer target id, label]. */
  readonly ratiosTo?: readonly (readonly [string, string])[];
}

export interface RowSummary extends Row {
  readonly stats: SeriesStats;
  readonly ratios: readonly { readonly peer: string; readonly label: string; readonly value: number }[];
}

const higherIsBetter = (unit: Unit) => unit !== 's';

/** Medians, spreads and the ratios each row asks for (NaN when the peer or the row is invalid). */
export function summarise(rows: readonly Row[]): RowSummary[] {
  const valid = (r: Row) => r.invalid === undefined && r.values.every(Number.isFinite);
  const median = (r: Row) => (valid(r) ? stats(r.values).median : NaN);
  return rows.map((row) => {
    const ratios = (row.ratiosTo ?? []).map(([peer, label]) => {
      const other = rows.find((r) => r.figure === row.figure && r.measure === row.measure && r.target === peer);
      return { peer, label, value: other === undefined ? NaN : median(row) / median(other) };
    });
    return { ...row, stats: stats(row.values.filter(Number.isFinite)), ratios: ratios.filter((r) => rows.some((o) => o.figure === row.figure && o.measure === row.measure && o.target === r.peer)) };
  });
}

function value(unit: Unit, x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (unit === 's') return `${x.toFixed(3)} s`;
  if (unit === 'MB/s') return `${x.toFixed(0)} MB/s`;
  return `${fmt.n(Math.round(x))} req/s`;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');

/** The one table: a block of rows per figure and measure. */
export function formatTable(summaries: readonly RowSummary[], rounds: number): string {
  const rows: string[][] = [];
  let last = '';
  for (const s of summaries) {
    const key = `${s.figure} ${s.measure}`;
    const first = key !== last;
    last = key;
    const better = higherIsBetter(s.unit) ? 'higher is better' : 'lower is better';
    const measure = first ? `${s.measure}, ${s.unit} (${better})` : '';
    const median = s.invalid !== undefined ? 'invalid' : value(s.unit, s.stats.median);
    const range = s.stats.min === s.stats.max ? '' : `${value(s.unit, s.stats.min).replace(/ \S+$/, '')}..${value(s.unit, s.stats.max)}`;
    const ratios = s.ratios.map((r) => `${fmt.x(r.value)} ${r.label}`).join(', ');
    rows.push([measure, s.label, median, range, rounds > 1 ? pct(s.stats.spread) : '', s.detail ?? '', s.peakRssBytes === undefined ? '' : fmt.mib(s.peakRssBytes), ratios]);
  }
  return table(['figure', 'server', 'median', 'min..max', 'spread', 'detail', 'peak RSS', 'ratio (median / peer median)'], rows, [0, 1, 5, 7]);
}

/** How much the rounds disagreed: the median and the largest spread over the rows. */
export function noise(summaries: readonly RowSummary[]): { medianSpread: number; largest: { row: string; spread: number } | undefined } {
  const spreads = summaries.filter((s) => s.values.length > 1 && Number.isFinite(s.stats.spread)).map((s) => ({ row: `${s.measure} / ${s.label}`, spread: s.stats.spread }));
  const largest = spreads.reduce<(typeof spreads)[number] | undefined>((a, b) => (a === undefined || b.spread > a.spread ? b : a), undefined);
  return { medianSpread: stats(spreads.map((s) => s.spread)).median, largest };
}

export const spreadPct = pct;
