/**
 * One `/api/v1` endpoint, declared as data: the router (router.ts) matches it, checks the
 * caller's coarse access, validates params/query/body with its zod schemas, and the OpenAPI
 * document (openapi.ts) is generated from the same declarations.
 */
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor, Principal } from '../../auth/principal.js';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call the route at all: anyone (anonymous too), any authenticated principal (users
 * and robots), users only (robots are refused), superusers only. Finer rules (organization
 * admin, a role on the repository) are checked by the management use cases.
 */
export type ApiAccess = 'anyone' | 'authenticated' | 'user' | 'superuser';

export interface ApiCall<P, Q, B> {
  readonly principal: Principal;
  readonly actor: Actor;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: FastifyRequest;
}

export interface ApiResult {
  readonly status: number;
  /** Sent as JSON; omitted for 204. */
  readonly body?: unknown;
}

export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  readonly method: ApiMethod;
  /**
   * An OpenAPI path template under /api/v1, e.g. `/api/v1/repository/{repository}/tag/{tag}`.
   * `{repository}` is `namespace/name` and may span slashes (nested names); every other
   * parameter is one path segment. Templates with more literal segments are tried first.
   */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  /** The OpenAPI tag (Quay's resource group: repository, tag, organization, ...). */
  readonly tag: string;
  readonly access: ApiAccess;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** Status of a successful call, for the OpenAPI document (default 200). */
  readonly successStatus?: number;
  handler(call: ApiCall<P, Q, B>): Promise<ApiResult>;
}

/** Declares a route with its types inferred from the schemas. */
export function apiRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(route: ApiRoute<P, Q, B>): ApiRoute<P, Q, B> {
  return route;
}

/** Any route, for tables of routes of different types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApiRoute = ApiRoute<any, any, any>;
