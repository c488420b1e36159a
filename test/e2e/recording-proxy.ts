/**
 * A transparent HTTP proxy in front of a test registry that records every request a client
 * makes (method, path with query, status, request body bytes), so a test can assert on what
 * a real client did on the wire — e.g. that `skopeo copy` mounted layers instead of uploading
 * them. The registry returns relative Location URLs, so the client keeps talking to the proxy.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as the client sent them. */
  readonly url: string;
  readonly status: number;
  /** Bytes of request body the client sent. */
  readonly bodyBytes: number;
}

export interface RecordingProxy {
  /** `127.0.0.1:<port>`, to put in `docker://` references. */
  readonly host: string;
  /** Requests recorded since the start or the last `clear()`, in completion order. */
  readonly requests: RecordedRequest[];
  clear(): void;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
        answer.on('end', () => requests.push({ method: req.method ?? '', url: req.url ?? '', status: answer.statusCode ?? 0, bodyBytes }));
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    clear: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
