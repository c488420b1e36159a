// wrk (4.1) as a child process and its printed summary parsed. GET only: wrk 4.1 hangs on HEAD
// responses that carry a Content-Length. Any non-2xx/3xx answer or socket error makes the run
// invalid: a registry that answers errors fast must not look fast.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface WrkOptions {
  readonly threads: number;
  readonly connections: number;
  readonly seconds: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly latencyMs: { readonly p50: number; readonly p75: number; readonly p90: number; readonly p99: number };
  readonly non2xx3xx: number;
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
  /** Why the run does not count (errors seen), or undefined when it does. */
  readonly invalid: string | undefined;
  readonly output: string;
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1.23ms" → 1.23 (wrk prints latencies with a unit suffix). */
export function wrkDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  return match ? Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? NaN) : NaN;
}

/** The figures of a `wrk --latency` summary. */
export function parseWrk(output: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(output)?.[1] ?? NaN);
  const pct = (p: number) => wrkDurationMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output)?.[1] ?? '');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = { connect: Number(socket?.[1] ?? 0), read: Number(socket?.[2] ?? 0), write: Number(socket?.[3] ?? 0), timeout: Number(socket?.[4] ?? 0) };
  const non2xx3xx = num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0;
  const requestsPerSecond = num(/Requests\/sec:\s+([\d.]+)/);
  const requests = num(/^\s*(\d+) requests in /m);
  const problems: string[] = [];
  if (non2xx3xx > 0) problems.push(`${non2xx3xx} non-2xx/3xx responses`);
  const errors = Object.entries(socketErrors).filter(([, n]) => n > 0);
  if (errors.length > 0) problems.push(`socket errors ${errors.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (!Number.isFinite(requestsPerSecond) || !(requests > 0)) problems.push('no Requests/sec in the output');
  return {
    requestsPerSecond,
    requests,
    latencyMs: { p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99) },
    non2xx3xx,
    socketErrors,
    invalid: problems.length > 0 ? problems.join('; ') : undefined,
    output,
  };
}

/** `wrk -t T -c C -d Ns --latency [-H ...] url`, parsed. */
export async function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const headers = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--latency', ...headers, url];
  // wrk stops itself after the duration; the timeout only guards against a hang.
  const { stdout } = await exec('wrk', args, { timeout: (options.seconds + 60) * 1000, maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}

/** wrk's version line, e.g. "4.1.0-3+b2". */
export async function wrkVersion(): Promise<string> {
  // `wrk --version` prints its banner and usage, then exits 1.
  const out = await exec('wrk', ['--version']).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  return /^wrk (\S+)/m.exec(out)?.[1] ?? 'unknown';
}
