// Start/stop helpers for a registry process under benchmark: spawn it, wait until `GET /v2/`
// answers 200, and on stop read its peak resident set (VmHWM) before sending SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RegistrySpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly port: number;
  /** Where the process's stdout and stderr go (kept for post-mortems). */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
  /**
   * Also wait for this in the log file once `GET /v2/` answers (e.g. the line a multi-process
   * server logs when every process listens: the first one answers before the others do).
   */
  readonly readyLine?: string;
}

export interface StopResult {
  /** Peak resident set size in bytes (VmHWM), or undefined when /proc could not be read. */
  readonly peakRssBytes: number | undefined;
  /** User + system CPU seconds the process used (all threads), or undefined without /proc. */
  readonly cpuSeconds: number | undefined;
  readonly exitCode: number | null;
}

export interface RegistryProcess {
  readonly name: string;
  readonly baseUrl: string;
  readonly pid: number;
  stop(): Promise<StopResult>;
}

/** The absolute path of `command` (searched in $PATH unless it is a path), or undefined. */
export function findExecutable(command: string): string | undefined {
  const candidates = isAbsolute(command) ? [command] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Peak RSS in bytes from /proc/<pid>/status (VmHWM, reported in kB). */
export function readPeakRss(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** utime + stime from /proc/<pid>/stat, in seconds (clock ticks assumed 100 Hz, as on Linux). */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid`, from /proc/<n>/stat (empty without /proc). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return children;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // field 4
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before answering ${url}; see ${logFile}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      lastError = `status ${response.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${lastError}); see ${logFile}`);
}

async function waitLogLine(child: ChildProcess, logFile: string, line: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before logging ${line}; see ${logFile}`);
    if (readFileSync(logFile, 'utf8').includes(line)) return;
    await sleep(100);
  }
  throw new Error(`${line} not logged within ${timeoutMs} ms; see ${logFile}`);
}

/** Peak RSS and CPU of `pid` plus its children (read before they exit); undefined if any is unreadable. */
export function treeFigures(pid: number): { peakRssBytes: number | undefined; cpuSeconds: number | undefined } {
  const pids = [pid, ...childPids(pid)];
  const sum = (read: (p: number) => number | undefined) => {
    let total = 0;
    for (const p of pids) {
      const value = read(p);
      if (value === undefined) return undefined;
      total += value;
    }
    return total;
  };
  return { peakRssBytes: sum(readPeakRss), cpuSeconds: sum(readCpuSeconds) };
}

async function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
    sleep(timeoutMs).then(() => false),
  ]);
}

/** Spawns the registry and resolves once `GET /v2/` answers 200. */
export async function startRegistry(spec: RegistrySpec): Promise<RegistryProcess> {
  const log = createWriteStream(spec.logFile);
  const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: no pid`);
  const baseUrl = `http://127.0.0.1:${spec.port}`;
  try {
    await waitReady(child, `${baseUrl}/v2/`, spec.readyTimeoutMs ?? 30_000, spec.logFile);
    if (spec.readyLine !== undefined) await waitLogLine(child, spec.logFile, spec.readyLine, spec.readyTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    log.end();
    throw new Error(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    name: spec.name,
    baseUrl,
    pid,
    async stop(): Promise<StopResult> {
      // A server of several processes (wharf serve --workers N) counts them all.
      const { peakRssBytes, cpuSeconds } = treeFigures(pid);
      child.kill('SIGTERM');
      if (!(await waitExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
      log.end();
      return { peakRssBytes, cpuSeconds, exitCode: child.exitCode };
    },
  };
}
