import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '../../auth/principal.js';
import { Errors, WharfError } from '../../errors/index.js';
import { rawPathOf } from '../oci/paths.js';
import { readBounded } from '../oci/request-parts.js';
import type { AnyApiRoute, ApiMethod } from './route.js';

/** API bodies are small JSON documents. */
const MAX_API_BODY = 1024 * 1024;

/** Turns the request's credentials into a principal (anonymous when there are none); throws INVALID_TOKEN on bad ones. */
export type ApiAuthenticate = (request: FastifyRequest) => Promise<Principal>;

interface CompiledRoute {
  readonly route: AnyApiRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly literalSegments: number;
}

function compile(route: AnyApiRoute): CompiledRoute {
  const names: string[] = [];
  let literalSegments = 0;
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) {
        literalSegments++;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(param[1] as string);
      return param[1] === 'repository' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  // A trailing slash is optional, as in Quay (`/api/v1/repository` and `/api/v1/repository/`).
  return { route, pattern: new RegExp(`^${source.replace(/\/$/, '')}/?$`), names, literalSegments };
}

/**
 * Dispatches every `/api/v1/...` request to its declared route. The caller's coarse access is
 * checked before any input is parsed, so an anonymous caller learns nothing from validation errors.
 */
export function apiHandler(routes: readonly AnyApiRoute[], authenticate: ApiAuthenticate): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const compiled = routes.map(compile).sort((a, b) => b.literalSegments - a.literalSegments);
  return async (request, reply) => {
    const path = rawPathOf(request.url);
    let pathMatched = false;
    for (const c of compiled) {
      const match = c.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (c.route.method !== (request.method === 'HEAD' ? 'GET' : (request.method as ApiMethod))) continue;
      const rawParams: Record<string, string> = {};
      c.names.forEach((name, i) => {
        rawParams[name] = decodeSegment(match[i + 1] as string);
      });
      const principal = await authenticate(request);
      checkAccess(c.route, principal);
      const params = parse(c.route.params, rawParams, 'path');
      const query = parse(c.route.query, request.query ?? {}, 'query');
      const body = c.route.body ? parse(c.route.body, await readJson(request), 'body') : undefined;
      const result = await c.route.handler({ principal, actor: { principal, ip: request.ip }, params, query, body, request });
      reply.code(result.status);
      if (result.status === 204 || result.body === undefined) return reply.send();
      return reply.type('application/json').send(JSON.stringify(result.body));
    }
    if (pathMatched) throw new WharfError({ ...Errors.UNSUPPORTED }, { method: request.method });
    throw new WharfError(Errors.NOT_FOUND, { path: path.slice(0, 300) });
  };
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new WharfError(Errors.INVALID_REQUEST, 'malformed percent-encoding in the path');
  }
}

function checkAccess(route: AnyApiRoute, principal: Principal): void {
  if (route.access === 'anyone') return;
  if (principal.kind === 'anonymous') throw new WharfError(Errors.INVALID_TOKEN, 'this endpoint requires credentials');
  if (route.access === 'user' && principal.kind !== 'user') throw new WharfError(Errors.INSUFFICIENT_SCOPE, 'robot accounts cannot use this endpoint');
  if (route.access === 'superuser' && !(principal.kind === 'user' && principal.superuser)) {
    throw new WharfError(Errors.INSUFFICIENT_SCOPE, 'this endpoint is for superusers');
  }
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`);
  throw new WharfError(Errors.INVALID_REQUEST, problems.join('; '));
}

async function readJson(request: FastifyRequest): Promise<unknown> {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return {};
  const text = (await readBounded(request, MAX_API_BODY)).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new WharfError(Errors.INVALID_REQUEST, 'the body is not valid JSON');
  }
}
