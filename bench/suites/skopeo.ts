// `npm run bench -- skopeo [--rounds N]`: skopeo push/pull of a 3-layer ~150 MB image against
// Wharf and against Distribution 2.8 (`docker-registry`) on this machine, interleaved, with ratios.
// Prints figures and ratios only, never a verdict.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { skopeoBench, type SkopeoBench } from '../skopeo.js';
import type { Suite } from '../support/figures.js';
import { ensureImage } from '../support/image.js';
import { DISTRIBUTION, distributionVersion, startDistribution } from '../support/distribution.js';
import { findExecutable, type RegistryProcess } from '../support/processes.js';
import { formatTable, writeJson, type RegistryResult } from '../support/report.js';
import { startEmbeddedWharf, WHARF_CLI, wharfVersion } from '../support/wharf.js';

const HELP = `usage: npm run bench -- [skopeo] [--rounds N] [--profile DIR]

Times \`skopeo copy\` push and pull of a 3-layer ~150 MB OCI image (built once with umoci and cached
in bench/.cache) against Wharf (embedded SQLite + LocalStorage defaults, from dist/: run
\`npm run build\` first) and against Distribution (/usr/bin/docker-registry, skipped when missing),
both on 127.0.0.1, in one run with the rounds interleaved. Prints median and min seconds, the
Wharf/Distribution ratios (lower is better), peak RSS and the spread of each series, and writes the
same to bench/results/<timestamp>.json.

  --rounds N     measured rounds (default 5); each round pushes to a fresh repository per registry
  --profile DIR  run Wharf under node --cpu-prof, writing the .cpuprofile into DIR at stop
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

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '5' }, profile: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
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
    notes.push(`image: ${image.layerSizes.length} layers, ${(image.blobBytes / 1e6).toFixed(1)} MB of blobs (${image.cached ? 'cached' : 'built now'}) at ${image.layout}`);
    notes.push(`skopeo blob-info cache: ${peers[0]?.skopeo.isolation} (fresh per invocation unless "shared-cache")`);
    notes.push(`machine: ${cpus().length} cpus, node ${process.version}; registries on 127.0.0.1, storage under ${work}`);

    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? peers : [...peers].reverse();
      const repo = `bench/img-r${round}`;
      const tag = `t${round}`;
      for (const peer of order) peer.result.pushSeconds.push(await peer.skopeo.push(repo, tag));
      for (const peer of order) peer.result.pullSeconds.push(await peer.skopeo.pull(repo, tag));
      const line = order.map((p) => `${p.result.name} push ${p.result.pushSeconds.at(-1)?.toFixed(3)} s pull ${p.result.pullSeconds.at(-1)?.toFixed(3)} s`);
      console.error(`round ${round}/${rounds}: ${line.join('; ')}`);
    }
    finished = true;
  } finally {
    for (const peer of peers) {
      const { peakRssBytes, cpuSeconds } = await peer.process.stop();
      Object.assign(peer.result, { peakRssBytes, cpuSeconds });
    }
    if (finished) await rm(work, { recursive: true, force: true });
    else console.error(`bench: kept ${work} (registry logs and storage) for inspection`);
  }

  const distVersion = peers[1]?.result.version ?? 'not run';
  const title = `skopeo copy push/pull: Wharf vs Distribution ${distVersion}, ${rounds} rounds interleaved`;
  const report = { title, notes, blobBytes: image.blobBytes, results: peers.map((p) => p.result) };
  console.log(`\n${formatTable(report)}`);
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const path = await writeJson(report, { command, rounds, image, skopeoIsolation: peers[0]?.skopeo.isolation, cpus: cpus().length, node: process.version });
  console.log(`\nwritten: ${path}`);
}

export const skopeoSuite: Suite = { name: 'skopeo', summary: 'skopeo push/pull of a ~150 MB image: Wharf vs Distribution', help: HELP, run: main };
