/**
 * Client tools the end-to-end tests drive (skopeo, podman, umoci): whether one is installed,
 * and a way to run it.
 *
 * - A missing tool skips the test that needs it, with a message naming the tool...
 * - ...unless `WHARF_TEST_REQUIRE_ALL=1` (CI), in which case `requireTool` throws, so a CI job
 *   meant to cover real clients cannot pass by skipping them.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const found = new Map<string, string | undefined>();

/** The absolute path of `name` on PATH, or undefined. */
export function toolPath(name: string): string | undefined {
  if (!found.has(name)) {
    let path: string | undefined;
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        path = join(dir, name);
        break;
      } catch {
        // not in this folder
      }
    }
    found.set(name, path);
  }
  return found.get(name);
}

export function toolSkipMessage(name: string): string {
  return `${name} is not installed (on Debian: apt-get install ${name}); set WHARF_TEST_REQUIRE_ALL=1 to fail instead of skipping`;
}

/**
 * True when `name` is on PATH. When it is not: throws under `WHARF_TEST_REQUIRE_ALL=1`;
 * otherwise marks the test `t` (if given) as skipped and returns false — the caller returns.
 */
export function requireTool(name: string, t?: TestContext): boolean {
  if (toolPath(name)) return true;
  if (process.env.WHARF_TEST_REQUIRE_ALL === '1') {
    throw new Error(`WHARF_TEST_REQUIRE_ALL=1 but ${name} is not installed (not found on PATH)`);
  }
  t?.skip(toolSkipMessage(name));
  return false;
}

/** `requireTool` for several tools; stops at the first missing one. */
export function requireTools(names: readonly string[], t?: TestContext): boolean {
  return names.every((name) => requireTool(name, t));
}

export interface RunOptions {
  readonly cwd?: string;
  /** Added to (not replacing) process.env. */
  readonly env?: Record<string, string>;
  /** Milliseconds; default 5 minutes. */
  readonly timeout?: number;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** The error `run` throws: the command line, exit status, and what it printed. */
export class RunError extends Error {
  constructor(
    message: string,
    readonly code: number | string | undefined,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/**
 * Runs `cmd args` without a shell (stdin closed) and returns its output; throws a `RunError`
 * carrying stderr when it exits non-zero, is killed by the timeout, or cannot start.
 */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeout = options.timeout ?? 5 * 60_000;
  const promise = execFileAsync(cmd, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  promise.child.stdin?.end();
  try {
    const { stdout, stderr } = await promise;
    return { stdout, stderr };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string; killed?: boolean; signal?: string; code?: number | string };
    const line = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
    const why = err.killed && err.signal === 'SIGKILL' ? `timed out after ${timeout} ms` : typeof err.code === 'number' ? `exited with ${err.code}` : `failed: ${err.message}`;
    const stderr = (err.stderr ?? '').trim();
    const stdout = (err.stdout ?? '').trim();
    const message = [`${line} ${why}`, stderr && `stderr:\n${stderr}`, stdout && `stdout:\n${tail(stdout, 4000)}`].filter(Boolean).join('\n');
    throw new RunError(message, err.code, err.stdout ?? '', err.stderr ?? '');
  }
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}
