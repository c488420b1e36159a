// `npm run bench -- skopeo [--rounds N]`: skopeo push/pull of a 3-layer ~150 MB image against
// Wharf and against Distribution 2.8 (`docker-registry`) on this machine, interleaved, with ratios,
// and against a null registry (bench/support/null-registry.ts) that gives the client's floor.
// Prints figures and ratios only, never a verdict.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { skopeoBench, type SkopeoBench } from '../skopeo.js';
import type { Suite } from '../support/figures.js';
import { ensureImage } from '../support/image.js';
import { DISTRIBUTION, distributionVersion, startDistribution } from '../support/distribution.js';
import { findExecutable, type RegistryProcess } from '../support/processes.js';
import { startNullRegistry } from '../support/null-registry.js';
import { formatTable, stats, writeJson, type RegistryResult } from '../support/report.js';
import { startEmbeddedWharf, WHARF_CLI, wharfVersion } from '../support/wharf.js';

const HELP = `usage: npm run bench -- [skopeo] [--rounds N] [--profile DIR]

Times \`skopeo copy\` push and pull of a 3-layer ~150 MB OCI image (built once with umoci and cached
in bench/.cache) against Wharf (embedded SQLite + LocalStorage defaults, from dist/: run
\`npm run build\` first) and against Distribution (/usr/bin/docker-registry, skipped when missing),
both on 127.0.0.1, in one run with the rounds interleaved. Prints median and min seconds, the
Wharf/Distribution ratios (lower is better), peak RSS and the spread of each series, and writes the
same to bench/results/<timestamp>.json.

A third series, "null registry (client floor)", runs the same skopeo commands against a registry in
the bench process that stores nothing: it reads and drops pushed bodies and serves pulls from the
image's OCI layout. Its times are what skopeo, loopback and the page cache cost plus plain Node
streams (not a hard lower bound: Wharf's pull path, which recycles its read buffers, can beat it);
the lines "above the floor" subtract its median from each registry's median, which is the time
the registry itself adds, and give the Wharf/Distribution ratio of that when both are positive.

  --rounds N     measured rounds (default 5); each round pushes to a fresh repository per registry
  --profile DIR  run Wharf under node --cpu-prof, writing the .cpuprofile into DIR at stop
  --no-floor     leave the null-registry series out
  -h, --help     this text`;

interface Peer {
  readonly result: RegistryResult;
  readonly process: RegistryProcess;
  readonly skopeo: SkopeoBench;
}

async function startWharf(work: string, profileDir: string | undefined): Promise<RegistryProcess> {
  const cwd = join(work, 'wharf');
  await mkdir(cwd, { recursive: true });
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  return startEmbeddedWharf({ name: 'wharf', cwd, logFile: join(work, 'wharf.log'), nodeArgs });
}

const FLOOR = 'null registry (client floor)';

/** The null registry as a peer: in this process, so it has no peak RSS or CPU of its own to report. */
async function startFloor(image: Awaited<ReturnType<typeof ensureImage>>): Promise<RegistryProcess> {
  const registry = await startNullRegistry(image);
  return {
    name: 'null registry',
    baseUrl: registry.baseUrl,
    pid: process.pid,
    async stop() {
      await registry.close();
      return { peakRssBytes: undefined, cpuSeconds: undefined, exitCode: 0 };
    },
  };
}

/** Median minus the floor's median, per registry, and the Wharf/Distribution ratio of those. */
function aboveFloor(peers: readonly Peer[]): string[] {
  const floor = peers.find((p) => p.result.name === FLOOR);
  const registries = peers.filter((p) => p !== floor);
  if (!floor || registries.length === 0) return [];
  const lines = ['above the floor (median - null registry median: the time the registry adds):'];
  const added = (p: Peer, what: 'pushSeconds' | 'pullSeconds') => stats(p.result[what]).median - stats(floor.result[what]).median;
  for (const what of ['pushSeconds', 'pullSeconds'] as const) {
    const parts = registries.map((p) => `${p.result.name} ${added(p, what).toFixed(3)} s`);
    const [wharf, peer] = registries;
    // At or under the floor (noise, or a serving path leaner than the null registry's plain
    // Node streams, as Wharf's pulls are) leaves nothing to divide.
    const [a, b] = wharf && peer ? [added(wharf, what), added(peer, what)] : [NaN, NaN];
    const ratio = a > 0 && b > 0 ? `, ratio ${(a / b).toFixed(2)}x` : ', no ratio (a registry is at or under the floor)';
    lines.push(`  ${what === 'pushSeconds' ? 'push' : 'pull'}: floor ${stats(floor.result[what]).median.toFixed(3)} s; ${parts.join(', ')}${ratio}`);
  }
  return lines;
}


async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '5' }, profile: { type: 'string' }, 'no-floor': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  for (const tool of ['skopeo', 'umoci']) {
    if (findExecutable(tool) === undefined) return void console.log(`${tool} is not installed: nothing to measure (apt-get install ${tool})`);
  }
  if (!existsSync(WHARF_CLI)) throw new Error(`${WHARF_CLI} is missing: run \`npm run build\` first`);

  const image = await ensureImage(undefined, (line) => console.log(line));
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-'));
  const peers: Peer[] = [];
  const notes: string[] = [];
  let finished = false;
  try {
    const wharf = await startWharf(work, values.profile);
    peers.push({ result: { name: 'wharf', version: wharfVersion(), pushSeconds: [], pullSeconds: [] }, process: wharf, skopeo: await skopeoBench(wharf.baseUrl, image, work) });
    if (findExecutable(DISTRIBUTION) === undefined) {
      console.log(`${DISTRIBUTION} is not installed: skipping the Distribution peer`);
    } else {
      const dist = await startDistribution(work);
      peers.push({ result: { name: 'distribution', version: distributionVersion(), pushSeconds: [], pullSeconds: [] }, process: dist, skopeo: await skopeoBench(dist.baseUrl, image, work) });
    }
    if (!values['no-floor']) {
      const floor = await startFloor(image);
      peers.push({ result: { name: FLOOR, version: `node ${process.version}`, pushSeconds: [], pullSeconds: [] }, process: floor, skopeo: await skopeoBench(floor.baseUrl, image, work) });
    }
    notes.push(`image: ${image.layerSizes.length} layers, ${(image.blobBytes / 1e6).toFixed(1)} MB of blobs (${image.cached ? 'cached' : 'built now'}) at ${image.layout}`);
    notes.push(`skopeo blob-info cache: ${peers[0]?.skopeo.isolation} (fresh per invocation unless "shared-cache")`);
    notes.push(`machine: ${cpus().length} cpus, node ${process.version}; registries on 127.0.0.1, storage under ${work}`);
    notes.push(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? peers : [...peers].reverse();
      const repo = `bench/img-r${round}`;
      const tag = `t${round}`;
      for (const peer of order) peer.result.pushSeconds.push(await peer.skopeo.push(repo, tag));
      for (const peer of order) peer.result.pullSeconds.push(await peer.skopeo.pull(repo, tag));
      const line = order.map((p) => `${p.result.name} push ${p.result.pushSeconds.at(-1)?.toFixed(3)} s pull ${p.result.pullSeconds.at(-1)?.toFixed(3)} s`);
      console.error(`round ${round}/${rounds}: ${line.join('; ')}`);
    }
    notes.push(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    finished = true;
  } finally {
    for (const peer of peers) {
      const { peakRssBytes, cpuSeconds } = await peer.process.stop();
      Object.assign(peer.result, { peakRssBytes, cpuSeconds });
    }
    if (finished) await rm(work, { recursive: true, force: true });
    else console.error(`bench: kept ${work} (registry logs and storage) for inspection`);
  }

  const distVersion = peers.find((p) => p.result.name === 'distribution')?.result.version ?? 'not run';
  const title = `skopeo copy push/pull: Wharf vs Distribution ${distVersion}, ${rounds} rounds interleaved`;
  const report = { title, notes, blobBytes: image.blobBytes, results: peers.map((p) => p.result) };
  console.log(`\n${formatTable(report)}`);
  const floorLines = aboveFloor(peers);
  if (floorLines.length > 0) console.log(`\n${floorLines.join('\n')}`);
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const path = await writeJson(report, { command, rounds, image, skopeoIsolation: peers[0]?.skopeo.isolation, cpus: cpus().length, node: process.version, aboveFloor: floorLines });
  console.log(`\nwritten: ${path}`);
}

export const skopeoSuite: Suite = { name: 'skopeo', summary: 'skopeo push/pull of a ~150 MB image: Wharf vs Distribution vs a null registry (the client floor)', help: HELP, run: main };
