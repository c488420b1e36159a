/** Text rendering shared by the replication commands (tables, ages, blob lines). */
import type { BlobRef, ReplicationStatus } from '../metadata/store.js';

/** 850ms, 42s, 3m05s, 2h10m, 3d4h. */
export function age(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function statusText(status: ReplicationStatus): string {
  const rows = status.locations.map((l) => [l.name, `${l.required}`, `${l.present}`, `${l.missing}`, `${l.queued}`, `${l.dead}`, age(l.oldestPendingAgeMs)]);
  const lines = [table(['LOCATION', 'REQUIRED', 'PRESENT', 'MISSING', 'QUEUED', 'DEAD', 'OLDEST PENDING'], rows)];
  const j = status.jobs;
  lines.push(`replication jobs: ${j.pending} pending, ${j.running} running, ${j.dead} dead`);
  const unqueued = status.locations.reduce((n, l) => n + l.unqueued, 0);
  if (unqueued > 0) lines.push(`${unqueued} missing placement(s) have no replication job: run \`wharf backfill-replication\` to queue them`);
  if (status.lost > 0) lines.push(`WARNING: ${status.lost} blob(s) have no verified copy in any location (${status.unreplicable} of them are required somewhere)`);
  return `${lines.join('\n')}\n`;
}

export const blobText = (b: BlobRef): string => `${b.uuid} (${b.digest})`;
