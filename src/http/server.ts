import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { Errors, WharfError } from '../errors/index.js';
import { type Logger, requestLogEnabled } from '../observability/logger.js';
import type { AnyApiRoute } from './api/route.js';
import { apiHandler, type ApiAuthenticate } from './api/router.js';
import { TOKEN_PATH } from './auth/challenge.js';
import { tokenHandler, type TokenEndpointDeps } from './auth/token-endpoint.js';
import { sendError } from './error-handler.js';
import type { OciDeps } from './oci/deps.js';
import { manifestFastPath } from './oci/manifest-fast-path.js';
import { ociHandler } from './oci/router.js';

export interface ServerDeps {
  readonly oci: OciDeps;
  /** The Docker token endpoint; only with access control (AUTHENTICATION_TYPE Database). */
  readonly tokens?: TokenEndpointDeps;
  /** The management API under `/api/v1`. */
  readonly api?: { readonly routes: readonly AnyApiRoute[]; readonly authenticate: ApiAuthenticate };
  readonly logger: Logger;
  /**
   * Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For names the client, so the
   * login throttle and the audit log see the client's address rather than the proxy's.
   */
  readonly trustedProxies?: readonly string[];
}

/**
 * The HTTP server: the OCI API under `/v2/`, its token endpoint, the management API under
 * `/api/v1/` and the health endpoint. Bodies are never parsed by the framework: upload routes
 * stream them to storage, and the manifest, token and API routes read them with their own bounds.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const fast = manifestFastPath({ manifests: deps.oci.manifests, access: deps.oci.access, logger: deps.logger });
  let closing = false;
  const app = Fastify({
    // Cached manifest pulls are answered before the framework sees them (oci/manifest-fast-path.ts);
    // while closing, everything goes to the framework, which answers 503.
    serverFactory: (handler, options) => httpServer((req, res) => (closing ? handler(req, res) : fast(req, res, () => handler(req, res))), options),
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One compact line per request is logged by the onResponse hook below instead.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Repository names are long and uploads are big: the framework must not cap either.
    routerOptions: { maxParamLength: 1024 },
    bodyLimit: Number.MAX_SAFE_INTEGER,
    return503OnClosing: true,
    requestTimeout: 0,
    trustProxy: deps.trustedProxies && deps.trustedProxies.length > 0 ? [...deps.trustedProxies] : false,
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/v2')) reply.header('Docker-Distribution-API-Version', 'registry/2.0');
  });
  if (requestLogEnabled(deps.logger)) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    });
  }
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(new WharfError(Errors.NOT_FOUND, { path: request.url.slice(0, 300) }), request, reply));

  const oci = ociHandler(deps.oci);
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/v2/*', handler: oci });
  app.route({ method: ['GET', 'HEAD'], url: '/v2', handler: oci });
  // A static route wins over the `/v2/*` wildcard; `auth` alone is no OCI resource path.
  if (deps.tokens) app.route({ method: ['GET', 'POST'], url: TOKEN_PATH, handler: tokenHandler(deps.tokens) });
  if (deps.api) {
    app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], url: '/api/v1/*', handler: apiHandler(deps.api.routes, deps.api.authenticate) });
  }
  app.get('/health/instance', async () => ({ data: { services: { registry: true } }, status_code: 200 }));
  return app;
}

/** The HTTP server fastify would make itself, with the same timeouts, around our listener. */
function httpServer(listener: (req: IncomingMessage, res: ServerResponse) => void, options: FastifyServerOptions): Server {
  const server = createServer(listener);
  server.keepAliveTimeout = options.keepAliveTimeout ?? FASTIFY_KEEP_ALIVE_MS;
  server.requestTimeout = options.requestTimeout ?? 0;
  server.setTimeout(options.connectionTimeout ?? 0);
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
}

/** fastify's default keepAliveTimeout (longer than most load balancers' idle timeout). */
const FASTIFY_KEEP_ALIVE_MS = 72_000;
