// The four figures of the compare benchmark. Each starts the servers it measures afresh (so the
// peak RSS read when they stop is that figure's), runs its rounds with the servers in turn (the
// order rotates every round) and returns one row per server. A failed measurement becomes a NaN
// and makes its row invalid; the other rows still run.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { skopeoBench, type SkopeoBench } from '../skopeo.js';
import { downloadBlob, uploadBlob, type Transfer } from './blob-transfer.js';
import type { Target } from './compare-targets.js';
import type { Row } from './compare-report.js';
import { run } from './copies.js';
import { fmt, stats } from './figures.js';
import { ensureImage, writePseudoRandomFile } from './image.js';
import type { RegistryProcess, StopResult } from './processes.js';
import { startNullRegistry } from './null-registry.js';
import { runReplication } from './replication.js';
import { checkManifest, DOCKER_ACCEPT, pushSmallImage, type SmallImage } from './small-image.js';
import { runWrk, type WrkResult } from './wrk.js';

export const MANIFEST_REPO = 'bench/manifest';
export const MANIFEST_TAG = 'latest';
const BLOB_REPO = 'bench/blob';

export interface FigureContext {
  readonly work: string;
  readonly rounds: number;
  readonly log: (line: string) => void;
}

export interface FigureResult {
  readonly id: string;
  readonly title: string;
  readonly rows: Row[];
  /** Lines for the printed notes. */
  readonly notes: string[];
  /** The 1/5/15-minute load averages when the figure started. */
  readonly loadAverageAtStart: number[];
  /** The servers' figures at stop (peak RSS and CPU seconds over the figure). */
  readonly servers: Record<string, StopResult>;
  /** Raw data for the JSON file only. */
  readonly raw: Record<string, unknown>;
}

/** `list` rotated left by round - 1: every server goes first in turn. */
const rotate = <T>(list: readonly T[], round: number): T[] => {
  const k = (round - 1) % Math.max(1, list.length);
  return [...list.slice(k), ...list.slice(0, k)];
};

/** Starts `targets` for figure `id`, runs `body`, stops them all (reading their peak RSS). */
async function phase<T>(id: string, targets: readonly Target[], body: (running: ReadonlyMap<string, RegistryProcess>) => Promise<T>): Promise<{ result: T; servers: Record<string, StopResult> }> {
  const running = new Map<string, RegistryProcess>();
  const servers: Record<string, StopResult> = {};
  try {
    for (const target of targets) running.set(target.id, await target.start(id));
    return { result: await body(running), servers };
  } finally {
    for (const [target, process] of running) servers[target] = await process.stop();
  }
}

/** Runs `fn`; on failure logs it and returns the error instead of throwing. */
async function attempt<T>(what: string, fn: () => Promise<T>, log: (line: string) => void): Promise<T | Error> {
  try {
    return await fn();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    log(`${what}: ${error.message}`);
    return error;
  }
}

const errorText = (errors: readonly string[]) => (errors.length === 0 ? undefined : [...new Set(errors)].join('; ').slice(0, 300));
const ratioPeers = (targets: readonly Target[], ids: readonly string[]) => ids.flatMap((id) => targets.filter((t) => t.id === id).map((t) => [t.id, t.kind] as const));

/** A note saying whether every server answered with the same value of each of `fields`. */
function sameHeaders(what: string, answers: Record<string, Record<string, unknown> | undefined>, fields: readonly string[]): string {
  const differing = fields.filter((f) => new Set(Object.values(answers).map((a) => String(a?.[f]))).size > 1);
  if (differing.length === 0) return `${what}: every server answered with the same ${fields.join(', ')}`;
  return `${what}: the servers' answers differ in ${differing.map((f) => `${f} (${Object.entries(answers).map(([id, a]) => `${id} ${String(a?.[f])}`).join(', ')})`).join('; ')}`;
}

export interface ManifestOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly threads: number;
  readonly connections: number;
  readonly image: SmallImage;
  /** nginx's site folder (the manifest file is written there), when nginx is a target. */
  readonly site: string;
}

/** The node:http ceiling with as many processes as Wharf target `id` (wharf-pg-w2 -> node-http-w2). */
const nodeHttpPeer = (id: string) => `node-http${/-w\d+$/.exec(id)?.[0] ?? ''}`;

/** The manifest file fig1 writes under nginx's site folder, which node:http serves too. */
export const manifestFile = (site: string) => join(site, 'v2', MANIFEST_REPO, 'manifests', MANIFEST_TAG);

/** Figure 1: wrk GETs of one manifest by tag, with docker's Accept header. */
export async function manifestFigure(ctx: FigureContext, targets: readonly Target[], options: ManifestOptions): Promise<FigureResult> {
  const loadAverageAtStart = loadavg();
  const file = manifestFile(options.site);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, options.image.manifest);
  const results = new Map<string, (WrkResult | Error)[]>(targets.map((t) => [t.id, []]));
  const headers: Record<string, Record<string, unknown>> = {};
  const wrk = { threads: options.threads, connections: options.connections, seconds: options.seconds, headers: { Accept: DOCKER_ACCEPT } };
  const { servers } = await phase('fig1', targets, async (running) => {
    const url = (id: string) => `${running.get(id)?.baseUrl}/v2/${MANIFEST_REPO}/manifests/${MANIFEST_TAG}`;
    for (const target of targets) {
      const base = running.get(target.id)?.baseUrl ?? '';
      // nginx and node:http serve the file written above.
      if (target.kind === 'wharf' || target.kind === 'distribution') await pushSmallImage(base, MANIFEST_REPO, MANIFEST_TAG, options.image);
      headers[target.id] = await checkManifest(base, MANIFEST_REPO, MANIFEST_TAG, options.image);
      const warm = await attempt(`${target.label} warm-up`, () => runWrk(url(target.id), { ...wrk, seconds: options.warmupSeconds }), ctx.log);
      if (!(warm instanceof Error) && warm.invalid !== undefined) ctx.log(`${target.label} warm-up: ${warm.invalid}`);
    }
    for (let round = 1; round <= ctx.rounds; round++) {
      const line: string[] = [];
      for (const target of rotate(targets, round)) {
        const result = await attempt(`${target.label} wrk`, () => runWrk(url(target.id), wrk), ctx.log);
        results.get(target.id)?.push(result);
        line.push(`${target.label} ${result instanceof Error ? 'failed' : `${fmt.n(Math.round(result.requestsPerSecond))} req/s${result.invalid ? ` INVALID (${result.invalid})` : ''}`}`);
      }
      ctx.log(`fig1 round ${round}/${ctx.rounds}: ${line.join(', ')}`);
    }
  });
  const rows: Row[] = targets.map((target) => {
    const runs = results.get(target.id) ?? [];
    const ok = runs.filter((r): r is WrkResult => !(r instanceof Error));
    const errors = runs.flatMap((r) => (r instanceof Error ? [r.message] : r.invalid !== undefined ? [r.invalid] : []));
    const p = (pick: (r: WrkResult) => number) => stats(ok.map(pick)).median;
    return {
      figure: 'fig1',
      measure: 'manifest GET by tag',
      unit: 'req/s',
      target: target.id,
      label: target.label,
      values: runs.map((r) => (r instanceof Error ? NaN : r.requestsPerSecond)),
      invalid: errorText(errors),
      detail: `p50 ${p((r) => r.latencyMs.p50).toFixed(2)} ms, p99 ${p((r) => r.latencyMs.p99).toFixed(2)} ms`,
      peakRssBytes: servers[target.id]?.peakRssBytes,
      ratiosTo: target.kind === 'wharf' ? ratioPeers(targets, ['distribution', 'nginx', nodeHttpPeer(target.id)]) : [],
    };
  });
  const raw = {
    wrk: { ...wrk, warmupSeconds: options.warmupSeconds },
    manifest: { repo: MANIFEST_REPO, tag: MANIFEST_TAG, digest: options.image.digest, bytes: options.image.manifest.length, mediaType: options.image.mediaType },
    responseHeaders: headers,
    runs: Object.fromEntries([...results].map(([id, runs]) => [id, runs.map((r) => (r instanceof Error ? { error: r.message } : { ...r, output: undefined }))])),
  };
  const notes = [
    sameHeaders('fig1 manifest GET', headers, ['contentType', 'contentLength', 'dockerContentDigest']),
    `fig1: \`wrk -t${options.threads} -c${options.connections} -d${options.seconds}s --latency\` GET /v2/${MANIFEST_REPO}/manifests/${MANIFEST_TAG} (${options.image.manifest.length} B ${options.image.mediaType}, the same bytes everywhere) with docker's Accept header, after a ${options.warmupSeconds} s warm-up per server; any non-2xx/3xx or socket error makes the row invalid; p50/p99 are medians over rounds`,
  ];
  return { id: 'fig1', title: 'manifest GET', rows, notes, loadAverageAtStart, servers, raw };
}

interface BlobFile {
  readonly file: string;
  readonly digest: string;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** One incompressible file of `bytes` per round (a new digest each round, the same for every server). */
async function blobFiles(dir: string, rounds: number, bytes: number, log: (line: string) => void): Promise<BlobFile[]> {
  await mkdir(dir, { recursive: true });
  const files: BlobFile[] = [];
  for (let round = 1; round <= rounds; round++) {
    const file = join(dir, `blob-r${round}.bin`);
    log(`writing ${fmt.mib(bytes)} blob for round ${round} ...`);
    await writePseudoRandomFile(file, bytes, 1000 + round);
    files.push({ file, digest: await sha256File(file) });
  }
  return files;
}

/** Figure 2: monolithic PUT (registries) and verified GET (all, nginx included) of a large blob. */
export async function blobFigure(ctx: FigureContext, targets: readonly Target[], options: { bytes: number; site: string }): Promise<FigureResult> {
  const files = await blobFiles(join(ctx.work, 'blobs'), ctx.rounds, options.bytes, ctx.log);
  for (const { file, digest } of files) {
    const link = join(options.site, 'v2', BLOB_REPO, 'blobs', digest);
    await mkdir(dirname(link), { recursive: true });
    await symlink(file, link);
  }
  const registries = targets.filter((t) => t.kind !== 'nginx');
  const puts = new Map<string, (Transfer | Error)[]>(registries.map((t) => [t.id, []]));
  const gets = new Map<string, (Transfer | Error)[]>(targets.map((t) => [t.id, []]));
  const loadAverageAtStart = loadavg();
  const mbps = (t: Transfer | Error) => (t instanceof Error ? NaN : t.bytes / 1e6 / t.seconds);
  const { servers } = await phase('fig2', targets, async (running) => {
    for (let round = 1; round <= ctx.rounds; round++) {
      const { file, digest } = files[round - 1] ?? { file: '', digest: '' };
      const line: string[] = [];
      for (const target of rotate(registries, round)) {
        await run('sync');
        const put = await attempt(`${target.label} blob PUT`, () => uploadBlob(running.get(target.id)?.baseUrl ?? '', BLOB_REPO, file, digest, options.bytes), ctx.log);
        puts.get(target.id)?.push(put);
        line.push(`${target.label} PUT ${mbps(put).toFixed(0)} MB/s`);
      }
      for (const target of rotate(targets, round)) {
        await run('sync');
        const url = `${running.get(target.id)?.baseUrl ?? ''}/v2/${BLOB_REPO}/blobs/${digest}`;
        const get = await attempt(`${target.label} blob GET`, () => downloadBlob(url, digest, options.bytes), ctx.log);
        gets.get(target.id)?.push(get);
        line.push(`${target.label} GET ${mbps(get).toFixed(0)} MB/s`);
      }
      ctx.log(`fig2 round ${round}/${ctx.rounds}: ${line.join(', ')}`);
    }
  });
  const row = (measure: string, target: Target, runs: readonly (Transfer | Error)[], peers: readonly string[]): Row => ({
    figure: 'fig2',
    measure,
    unit: 'MB/s',
    target: target.id,
    label: target.label,
    values: runs.map(mbps),
    invalid: errorText(runs.flatMap((r) => (r instanceof Error ? [r.message] : []))),
    detail: `client CPU ${stats(runs.flatMap((r) => (r instanceof Error ? [] : [r.cpuSeconds]))).median.toFixed(1)} s`,
    peakRssBytes: servers[target.id]?.peakRssBytes,
    ratiosTo: target.kind === 'wharf' ? ratioPeers(targets, peers) : [],
  });
  const size = fmt.mib(options.bytes).replace('.0 MiB', ' MiB');
  const rows = [
    ...registries.map((t) => row(`blob PUT ${size} (monolithic)`, t, puts.get(t.id) ?? [], ['distribution'])),
    ...targets.map((t) => row(`blob GET ${size}`, t, gets.get(t.id) ?? [], ['nginx', 'distribution'])),
  ];
  const clean = (runs: readonly (Transfer | Error)[]) => runs.map((r) => (r instanceof Error ? { error: r.message } : r));
  const raw = { bytes: options.bytes, blobs: files.map((f) => f.digest), put: Object.fromEntries([...puts].map(([k, v]) => [k, clean(v)])), get: Object.fromEntries([...gets].map(([k, v]) => [k, clean(v)])) };
  const firstGet = Object.fromEntries([...gets].map(([id, runs]) => [id, runs.find((r): r is Transfer => !(r instanceof Error))]));
  const notes = [
    sameHeaders('fig2 blob GET', firstGet as Record<string, Record<string, unknown> | undefined>, ['contentType', 'contentLength']),
    `fig2: per round a new ${size} incompressible blob; PUT = POST /v2/${BLOB_REPO}/blobs/uploads/ + PUT ?digest= with the whole file as body (the registry verifies the digest), timed from the POST to the 201; GET = the blob by digest, sha256-verified by the client as it streams; each in its own node child process (1 MiB reads), \`sync\` before each, page cache warm; peak RSS covers PUTs and GETs`,
  ];
  return { id: 'fig2', title: 'blob PUT/GET', rows, notes, loadAverageAtStart, servers, raw };
}

/** The null registry's series in fig3: skopeo against a server that does no work (the client's floor). */
const FLOOR = { id: 'floor', label: 'null registry (floor)' } as const;

/**
 * Figure 3: skopeo copy push and pull of the 3-layer ~150 MB image (bench/skopeo.ts), against
 * the registries and against a null registry in this process (bench/support/null-registry.ts)
 * that stores nothing: what skopeo, loopback and the page cache cost on their own.
 */
export async function skopeoFigure(ctx: FigureContext, targets: readonly Target[]): Promise<FigureResult> {
  const image = await ensureImage(undefined, ctx.log);
  const registries = targets.filter((t) => t.kind !== 'nginx');
  const series: { id: string; label: string }[] = [...registries, FLOOR];
  const push = new Map<string, number[]>(series.map((t) => [t.id, []]));
  const pull = new Map<string, number[]>(series.map((t) => [t.id, []]));
  const errors = new Map<string, string[]>(series.map((t) => [t.id, []]));
  const loadAverageAtStart = loadavg();
  let isolation = '';
  const floor = await startNullRegistry(image);
  const { servers } = await phase('fig3', registries, async (running) => {
    const skopeo = new Map<string, SkopeoBench>();
    for (const t of registries) skopeo.set(t.id, await skopeoBench(running.get(t.id)?.baseUrl ?? '', image, ctx.work));
    skopeo.set(FLOOR.id, await skopeoBench(floor.baseUrl, image, ctx.work));
    isolation = skopeo.values().next().value?.isolation ?? '';
    const timed = async (target: { id: string; label: string }, what: 'push' | 'pull', repo: string, tag: string, into: Map<string, number[]>) => {
      await run('sync');
      const r = await attempt(`${target.label} skopeo ${what}`, () => skopeo.get(target.id)?.[what](repo, tag) ?? Promise.reject(new Error('no skopeo')), ctx.log);
      if (r instanceof Error) errors.get(target.id)?.push(r.message.split('\n')[0] ?? '');
      into.get(target.id)?.push(r instanceof Error ? NaN : r);
    };
    for (let round = 1; round <= ctx.rounds; round++) {
      const [repo, tag] = [`bench/img-r${round}`, `t${round}`];
      for (const t of rotate(series, round)) await timed(t, 'push', repo, tag, push);
      for (const t of rotate(series, round)) await timed(t, 'pull', repo, tag, pull);
      ctx.log(`fig3 round ${round}/${ctx.rounds}: ${series.map((t) => `${t.label} push ${push.get(t.id)?.at(-1)?.toFixed(2)} s pull ${pull.get(t.id)?.at(-1)?.toFixed(2)} s`).join(', ')}`);
    }
  }).finally(() => floor.close());
  const row = (measure: string, target: { id: string; label: string; kind?: string }, values: number[]): Row => ({
    figure: 'fig3',
    measure,
    unit: 's',
    target: target.id,
    label: target.label,
    values,
    invalid: errorText(errors.get(target.id) ?? []),
    peakRssBytes: servers[target.id]?.peakRssBytes,
    ratiosTo: target.kind === 'wharf' ? ratioPeers(targets, ['distribution']) : [],
  });
  const mb = (image.blobBytes / 1e6).toFixed(0);
  const rows = [...series.map((t) => row(`skopeo push ${mb} MB`, t, push.get(t.id) ?? [])), ...series.map((t) => row(`skopeo pull ${mb} MB`, t, pull.get(t.id) ?? []))];
  const median = (values: number[] | undefined) => stats((values ?? []).filter(Number.isFinite)).median;
  const above = (into: Map<string, number[]>) =>
    registries.map((t) => `${t.label} ${(median(into.get(t.id)) - median(into.get(FLOOR.id))).toFixed(3)} s`).join(', ');
  const notes = [
    `fig3: \`skopeo copy\` of a ${image.layerSizes.length}-layer image (${mb} MB of blobs, cached at ${image.layout}) to a new repository per round, then back into a fresh OCI layout; blob-info cache: ${isolation}; \`sync\` before each`,
    `fig3: ${FLOOR.label} = the same skopeo commands against a server in the bench process that stores nothing (drops pushed bodies, serves pulls from the image's files): the client's own time (for pulls no hard floor: its plain file streams are slower than a registry's pull path). Above it (median - floor median): push ${above(push)}; pull ${above(pull)}`,
  ];
  return { id: 'fig3', title: 'skopeo', rows, notes, loadAverageAtStart, servers, raw: { image, isolation, push: Object.fromEntries(push), pull: Object.fromEntries(pull) } };
}

/** Figure 4: replication between two LocalStorage locations by a real worker, vs cp (replication.ts). */
export async function replicationFigure(ctx: FigureContext, options: { bytes: number; postgres: string }): Promise<FigureResult> {
  const loadAverageAtStart = loadavg();
  const result = await runReplication({ bytes: options.bytes, rounds: ctx.rounds, postgres: options.postgres, series: ['wharf', 'cp', 'cp+sync'], log: (line) => ctx.log(`fig4 ${line}`) });
  const size = fmt.mib(options.bytes).replace('.0 MiB', ' MiB');
  const labels: Record<string, string> = { wharf: 'wharf (pg worker)', cp: 'cp', 'cp+sync': 'cp + sync FILE' };
  const rows: Row[] = result.series.map((s) => ({
    figure: 'fig4',
    measure: `replication ${size} us → eu`,
    unit: 'MB/s',
    target: s.key,
    label: labels[s.key] ?? s.label,
    values: s.seconds.map((sec) => options.bytes / 1e6 / sec),
    detail: s.key === 'wharf' ? `worker CPU ${stats(result.cpuSecondsPerReplication).median.toFixed(1)} s/copy` : undefined,
    peakRssBytes: s.key === 'wharf' ? result.worker.peakRssBytes : undefined,
    ratiosTo: s.key === 'wharf' ? [['cp', 'cp'], ['cp+sync', 'cp + sync']] : [],
  }));
  const notes = [
    `fig4: \`wharf serve --roles replication\` on ${result.pgVersion} copies one ${size} blob between two LocalStorage folders (read, sha256, write, fsync), timed from the enqueue to the placement; cp and cp + sync of the same file in the same rounds`,
  ];
  return { id: 'fig4', title: 'replication', rows, notes, loadAverageAtStart, servers: { 'wharf-replication-worker': result.worker }, raw: { ...result } };
}
