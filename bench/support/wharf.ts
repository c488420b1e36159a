// The real `wharf` CLI (compiled, dist/) as child processes: config files, `wharf serve` with or
// without the HTTP API, and one-shot commands timed wall clock with their peak RSS.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, freePort, readCpuSeconds, readPeakRss, startRegistry, type RegistryProcess } from './processes.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WHARF_CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Throws unless dist/ holds a build at least as new as every file of src/ (what is measured is what is read). */
export function requireFreshBuild(): void {
  if (!existsSync(WHARF_CLI)) throw new Error(`${WHARF_CLI} is missing: run \`npm run build\` first`);
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const file of walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const built = join(ROOT, 'dist', relative(ROOT, file)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs) {
      throw new Error(`dist/ is older than ${relative(ROOT, file)}: run \`npm run build\` first`);
    }
  }
}

export const wharfVersion = (): string => (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface ConfigSpec {
  /** DB_URI: `postgresql://...` or `sqlite:////abs/path`. */
  readonly db: string;
  readonly locations: readonly { name: string; path: string }[];
  readonly preference: readonly string[];
  readonly defaults: readonly string[];
  readonly redis?: { host: string; port: number; prefix: string };
  /** FEATURE_STORAGE_REPLICATION (default true). */
  readonly replication?: boolean;
}

/** A Quay-style config.yaml with open access and, unless `replication` is false, replication on. */
export function configYaml(spec: ConfigSpec): string {
  const lines = [
    `DB_URI: ${JSON.stringify(spec.db)}`,
    'AUTHENTICATION_TYPE: Open',
    `FEATURE_STORAGE_REPLICATION: ${spec.replication ?? true}`,
    'DISTRIBUTED_STORAGE_CONFIG:',
    ...spec.locations.map((l) => `  ${l.name}: [LocalStorage, {storage_path: ${JSON.stringify(l.path)}}]`),
    `DISTRIBUTED_STORAGE_PREFERENCE: [${spec.preference.join(', ')}]`,
    `DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [${spec.defaults.join(', ')}]`,
  ];
  if (spec.redis) lines.push(`USER_EVENTS_REDIS: {host: ${spec.redis.host}, port: ${spec.redis.port}}`, `WHARF_REDIS_PREFIX: ${JSON.stringify(spec.redis.prefix)}`);
  return `${lines.join('\n')}\n`;
}

export interface ServeSpec {
  readonly name: string;
  readonly config: string;
  readonly cwd: string;
  /** `--roles`; without `web` there is no HTTP API, and readiness is the "running" log line. */
  readonly roles: string;
  readonly env?: NodeJS.ProcessEnv;
  /** More `wharf serve` options, e.g. --replication-concurrency. */
  readonly args?: readonly string[];
  /** node options before the script, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** Where its output goes (default: `cwd`/`name`.log). */
  readonly logFile?: string;
  /** `--workers` (serving processes); default 1. */
  readonly workers?: number;
}

/**
 * How a measured Wharf logs: lifecycle lines at info (the readiness line below is one), no line
 * per request, as nginx and Distribution run here without an access log.
 */
const SERVING_ENV = { WHARF_LOG_LEVEL: 'info', WHARF_REQUEST_LOG: 'off' };
/** Logged once every serving process listens (by the supervisor with --workers N). */
const SERVING_LINE = '"msg":"wharf is serving"';
const workerArgs = (workers: number | undefined) => (workers === undefined || workers === 1 ? [] : ['--workers', String(workers)]);

/** `wharf serve --config ... --roles ...`, resolved once it serves (or, without web, once it runs). */
export async function startServe(spec: ServeSpec): Promise<RegistryProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, WHARF_LOG_LEVEL: 'warn', ...spec.env };
  delete env.WHARF_CONFIG;
  const logFile = spec.logFile ?? join(spec.cwd, `${spec.name}.log`);
  const serve = [...(spec.nodeArgs ?? []), WHARF_CLI, 'serve', '--config', spec.config, '--roles', spec.roles, ...workerArgs(spec.workers), ...(spec.args ?? [])];
  if (spec.roles.split(',').includes('web')) {
    const port = await freePort();
    const args = [...serve, '--host', '127.0.0.1', '--port', String(port)];
    return startRegistry({ name: spec.name, command: process.execPath, args, cwd: spec.cwd, port, env: { ...env, ...SERVING_ENV, ...spec.env }, logFile, readyLine: SERVING_LINE });
  }
  // Info level only for the one line that says it runs; warnings and errors still reach the log.
  const child = spawn(process.execPath, serve, { cwd: spec.cwd, env: { ...env, WHARF_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stderr.pipe(log, { end: false });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    let ready = false;
    const timer = setTimeout(() => reject(new Error(`${spec.name}: not running after 30 s; see ${logFile}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log.write(text.split('\n').filter((l) => !l.includes('"level":30')).join('\n'));
      if (ready) return;
      seen = (seen + text).slice(-65536);
      if (!seen.includes('wharf is running without the HTTP API')) return;
      ready = true;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${spec.name} exited (${code}) at start; see ${logFile}`))));
  });
  const pid = child.pid ?? 0;
  return {
    name: spec.name,
    baseUrl: '',
    pid,
    async stop() {
      const peakRssBytes = readPeakRss(pid);
      const cpuSeconds = readCpuSeconds(pid);
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      log.end();
      return { peakRssBytes, cpuSeconds, exitCode: child.exitCode };
    },
  };
}

/**
 * `wharf serve` with no config file in `cwd`: the embedded default (SQLite + LocalStorage under
 * `cwd`/data, open access, every role). A restart in the same `cwd` finds the same data.
 */
export async function startEmbeddedWharf(spec: { name: string; cwd: string; logFile?: string; nodeArgs?: readonly string[]; workers?: number }): Promise<RegistryProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...SERVING_ENV };
  delete env.WHARF_CONFIG;
  const args = [...(spec.nodeArgs ?? []), WHARF_CLI, 'serve', '--host', '127.0.0.1', '--port', String(port), ...workerArgs(spec.workers)];
  const logFile = spec.logFile ?? join(spec.cwd, `${spec.name}.log`);
  return startRegistry({ name: spec.name, command: process.execPath, args, cwd: spec.cwd, port, env, logFile, readyLine: SERVING_LINE });
}

export interface CliRun {
  readonly args: readonly string[];
  readonly seconds: number;
  readonly code: number | null;
  readonly stdoutLines: number;
  /** The last lines of stdout and of stderr (the summary, any error). */
  readonly stdoutTail: string;
  readonly stderrTail: string;
  /** Max RSS and user + system CPU seconds of the command (not of PostgreSQL) from /usr/bin/time, when installed. */
  readonly peakRssBytes: number | undefined;
  readonly cpuSeconds: number | undefined;
}

const TIME = '/usr/bin/time';
const tail = (text: string, lines = 3) => text.trimEnd().split('\n').slice(-lines).join('\n');

/** Runs `wharf <args>` to completion, timed from spawn to exit; stdout is counted, not kept. */
export async function runWharf(args: readonly string[], cwd: string): Promise<CliRun> {
  const timed = findExecutable(TIME) !== undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'wharf-bench-time-'));
  const rssFile = join(scratch, 'rss');
  const argv = [process.execPath, WHARF_CLI, ...args];
  const env: NodeJS.ProcessEnv = { ...process.env, WHARF_LOG_LEVEL: 'warn' };
  delete env.WHARF_CONFIG;
  const started = performance.now();
  const child = timed ? spawn(TIME, ['-o', rssFile, '-f', '%M %U %S', ...argv], { cwd, env }) : spawn(argv[0] ?? '', argv.slice(1), { cwd, env });
  let lines = 0;
  let last = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    last = (last + text).slice(-65536);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  const time = timed && existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) : undefined; // "<kB> <user> <sys>"
  const [kb, user, sys] = time?.split(' ').map(Number) ?? [];
  const known = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);
  await rm(scratch, { recursive: true, force: true });
  return { args, seconds, code, stdoutLines: lines, stdoutTail: tail(last), stderrTail: tail(stderr), peakRssBytes: known((kb ?? NaN) * 1024), cpuSeconds: known((user ?? NaN) + (sys ?? NaN)) };
}
