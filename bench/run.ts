// `npm run bench -- [NAME] [options]`: runs one sub-benchmark (compare, the side-by-side table,
// when NAME is left out).
// Every sub-benchmark prints figures and ratios only, never a verdict, and writes a JSON file to
// bench/results/.
import { cloudSuite } from './suites/cloud.js';
import { compareSuite } from './suites/compare.js';
import { lagSuite } from './suites/lag.js';
import { replicationSuite } from './suites/replication.js';
import { scaleSuite } from './suites/scale.js';
import { skopeoSuite } from './suites/skopeo.js';
import type { Suite } from './support/figures.js';

const SUITES: readonly Suite[] = [compareSuite, skopeoSuite, replicationSuite, lagSuite, scaleSuite, cloudSuite];

const HELP = `usage: npm run bench -- [NAME] [options]
       npm run bench -- NAME --help

Benchmarks, by NAME (without one: compare, with its options, e.g. \`npm run bench -- --rounds 1 --blob-mb 64\`):
${SUITES.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`).join('\n')}

Each runs Wharf from dist/ (run \`npm run build\` first), prints a table and writes
bench/results/<timestamp>[-NAME].json. \`npm run bench -- NAME --help\` lists the options of NAME.`;

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  const named = first !== undefined && !first.startsWith('-');
  if (!named && argv.some((a) => a === '--help' || a === '-h')) return void console.log(HELP);
  const suite = named ? SUITES.find((s) => s.name === first) : compareSuite;
  if (!suite) throw new Error(`unknown benchmark ${JSON.stringify(first)}; known: ${SUITES.map((s) => s.name).join(', ')}`);
  await suite.run(named ? rest : argv);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
