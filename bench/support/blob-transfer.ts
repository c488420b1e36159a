// Large blob transfers over HTTP, each in a child node process so the benchmark process (which
// holds the figures, pg clients and child-process plumbing) neither shares a core's event loop
// with the transfer nor has its memory counted in it.
//   upload:   POST /v2/<repo>/blobs/uploads/ then PUT <Location>&digest=… with the whole file as
//             the body (Content-Length set, read in 1 MiB chunks): the registry must verify the
//             digest; the answer must be 201 with the same Docker-Content-Digest.
//   download: GET <url> (following redirects), every chunk through sha256, bytes discarded; the
//             count and the digest must match.
// The child times itself from its first request to the end of the answer (node start-up excluded).
import { spawn } from 'node:child_process';

const SCRIPT = `
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { request } from 'node:http';
const [mode, ...args] = process.argv.slice(1);
function call(method, url, body) {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length } : { 'Content-Length': 0 };
    const req = request(url, { method, headers }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let text = '';
      res.on('data', (chunk) => {
        if (method === 'GET' && res.statusCode === 200) hash.update(chunk);
        else if (text.length < 1000) text += chunk.toString();
        bytes += chunk.length;
      });
      res.once('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes, digest: 'sha256:' + hash.digest('hex'), text }));
      res.once('error', reject);
    });
    req.once('error', reject);
    if (body) body.stream.pipe(req);
    else req.end();
  });
}
const fail = (message) => { console.error(message); process.exit(2); };
let started;
let result;
if (mode === 'upload') {
  const [base, repo, file, digest, size] = args;
  const handle = await open(file, 'r');
  started = performance.now();
  const post = await call('POST', base + '/v2/' + repo + '/blobs/uploads/');
  if (post.status !== 202 || !post.headers.location) fail('POST upload: ' + post.status + ' ' + post.text);
  const location = new URL(post.headers.location, base);
  location.searchParams.set('digest', digest);
  const put = await call('PUT', location.toString(), { stream: handle.createReadStream({ highWaterMark: 1 << 20 }), length: Number(size) });
  if (put.status !== 201) fail('PUT upload: ' + put.status + ' ' + put.text);
  if (put.headers['docker-content-digest'] !== digest) fail('PUT upload: Docker-Content-Digest ' + put.headers['docker-content-digest'] + ', sent ' + digest);
  result = { status: put.status, bytes: Number(size) };
} else if (mode === 'download') {
  const [url, digest, size] = args;
  started = performance.now();
  let target = url;
  let got;
  for (let hops = 0; ; hops++) {
    got = await call('GET', target);
    if (got.status < 300 || got.status >= 400 || hops === 3) break;
    target = new URL(got.headers.location, target).toString();
  }
  if (got.status !== 200) fail('GET ' + target + ': ' + got.status + ' ' + got.text);
  if (got.bytes !== Number(size)) fail('GET ' + target + ': ' + got.bytes + ' bytes, expected ' + size);
  if (got.digest !== digest) fail('GET ' + target + ': sha256 ' + got.digest + ', expected ' + digest);
  result = { status: got.status, bytes: got.bytes, contentType: got.headers['content-type'], contentLength: got.headers['content-length'] };
} else fail('unknown mode ' + mode);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage();
console.log(JSON.stringify({ ...result, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
`;

export interface Transfer {
  readonly seconds: number;
  readonly bytes: number;
  readonly status: number;
  /** The client process's CPU seconds (start-up included) and peak RSS. */
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly contentType?: string;
  readonly contentLength?: string;
}

function child(args: readonly string[], timeoutMs: number): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Transfer);
      else reject(new Error(`blob ${args[0]} ${signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `failed (${code})`}: ${err.trim()}`));
    });
  });
}

const TIMEOUT_MS = 15 * 60_000;

/** Monolithic upload of `file` (`size` bytes, digest `digest`) to `baseUrl`/v2/`repo`. */
export const uploadBlob = (baseUrl: string, repo: string, file: string, digest: string, size: number): Promise<Transfer> =>
  child(['upload', baseUrl, repo, file, digest, String(size)], TIMEOUT_MS);

/** GET of `url`, verified against `digest` and `size`. */
export const downloadBlob = (url: string, digest: string, size: number): Promise<Transfer> => child(['download', url, digest, String(size)], TIMEOUT_MS);
