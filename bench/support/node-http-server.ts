// The most a Node.js registry could do for fig1 on this machine: node:http answering the one
// manifest from memory with the headers a registry sends, and nothing else (no routing, auth,
// cache lookup, version check or log). Wharf's manifest GET runs on the same node:http, so the
// gap between the two is what Wharf's own code costs, and the gap between this and nginx is what
// the runtime costs. The compare bench runs it as a child process:
//
//   node --import tsx node-http-server.ts PORT REPO TAG MANIFEST_FILE MEDIA_TYPE DIGEST [PROCESSES]
//
// With PROCESSES > 1 it forks that many with node:cluster, as `wharf serve --workers N` does, and
// prints SERVING_LINE once every one of them listens.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

export const SERVING_LINE = 'node-http is serving';

function serve(port: number, path: string, body: Buffer, mediaType: string, digest: string): Promise<void> {
  const headers = ['docker-distribution-api-version', 'registry/2.0', 'content-type', mediaType, 'content-length', String(body.length), 'docker-content-digest', digest, 'etag', `"${digest}"`];
  const server = createServer((req, res) => {
    if (req.url === path && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, headers);
      res.end(req.method === 'GET' ? body : undefined);
    } else if (req.url === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
      res.end('{}');
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 75_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

/** Runs the server from the command line (see the top of this file). */
async function main(args: readonly string[]): Promise<void> {
  const [port, repo, tag, file, mediaType, digest, processes = '1'] = args;
  if (port === undefined || repo === undefined || tag === undefined || file === undefined || mediaType === undefined || digest === undefined) {
    console.error('usage: node --import tsx node-http-server.ts PORT REPO TAG MANIFEST_FILE MEDIA_TYPE DIGEST [PROCESSES]');
    process.exit(2);
  }
  const count = Number(processes);
  if (cluster.isPrimary && count > 1) {
    let listening = 0;
    cluster.on('listening', () => {
      if (++listening === count) console.log(SERVING_LINE);
    });
    cluster.on('exit', (worker, code) => {
      console.error(`worker ${worker.process.pid} exited (${code})`);
      process.exit(1);
    });
    for (let i = 0; i < count; i++) cluster.fork();
    process.on('SIGTERM', () => {
      cluster.removeAllListeners('exit');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
      process.exit(0);
    });
    return;
  }
  await serve(Number(port), `/v2/${repo}/manifests/${tag}`, readFileSync(file), mediaType, digest);
  if (cluster.isPrimary) console.log(SERVING_LINE);
}

// Imported by the bench for SERVING_LINE; run as a script, it serves.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
