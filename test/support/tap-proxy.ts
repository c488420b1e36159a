/**
 * A small HTTP proxy in front of a test server (azurite) that records the requests passing
 * through and may rewrite responses, to observe which API a driver used and to create states
 * the emulator never shows (e.g. a copy that stays pending). The Host header is forwarded as is.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface TappedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface TappedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Set only for responses the `bufferBody` predicate asked for; may be replaced. */
  body?: string;
}

export interface Tap {
  readonly port: number;
  readonly requests: TappedRequest[];
  /** Responses for which this returns true are buffered, so `rewrite` can change their body. */
  bufferBody: (req: TappedRequest) => boolean;
  rewrite: (req: TappedRequest, res: TappedResponse) => void;
  close(): Promise<void>;
}

export async function startTap(targetPort: number): Promise<Tap> {
  const tap: Omit<Tap, 'port' | 'close'> = { requests: [], bufferBody: () => false, rewrite: () => undefined };
  const server = createServer((req, res) => {
    const seen: TappedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    tap.requests.push(seen);
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: seen.method, path: seen.url, headers: req.headers }, (answer) => {
      void respond(seen, answer);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);

    async function respond(seenReq: TappedRequest, answer: IncomingMessage): Promise<void> {
      const out: TappedResponse = { status: answer.statusCode ?? 502, headers: { ...answer.headers } };
      if (tap.bufferBody(seenReq)) {
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        out.body = Buffer.concat(chunks).toString();
      }
      tap.rewrite(seenReq, out);
      if (out.body !== undefined) {
        delete out.headers['transfer-encoding'];
        out.headers['content-length'] = String(Buffer.byteLength(out.body));
        res.writeHead(out.status, out.headers).end(out.body);
      } else {
        res.writeHead(out.status, out.headers);
        answer.pipe(res);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(tap, {
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
