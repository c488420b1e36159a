/**
 * The OpenAPI 3.1 document of /api/v1, generated from the route declarations (their zod
 * schemas become JSON Schema 2020-12, OpenAPI 3.1's dialect), and the two routes that serve
 * it: `/api/v1/discovery` (Quay's path; Quay serves Swagger 2.0 there) and `/api/v1/openapi.json`.
 */
import { z } from 'zod';
import { type AnyApiRoute, type ApiAccess, apiRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

/** Path template variables in order, e.g. `repository`, `tag`. */
function templateNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** The input side of a schema (what clients send), without the `$schema` marker that only top-level documents carry. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(route: AnyApiRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  const pathSchema = route.params ? jsonSchema(route.params) : undefined;
  const pathProps = (pathSchema?.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of templateNames(route.path)) {
    const schema = pathProps[name] ?? { type: 'string' };
    const { description, ...rest } = schema;
    const text = ((description as string | undefined) ?? name).replace(/\.$/, '');
    const note = name === 'repository' ? ' The value spans slashes: send it unencoded, e.g. /api/v1/repository/acme/web.' : '';
    out.push({ name, in: 'path', required: true, description: `${text}.${note}`, schema: rest });
  }
  if (route.query) {
    const querySchema = jsonSchema(route.query);
    const required = (querySchema.required ?? []) as string[];
    for (const [name, schema] of Object.entries((querySchema.properties ?? {}) as Record<string, JsonSchema>)) {
      const { description, ...rest } = schema;
      out.push({ name, in: 'query', required: required.includes(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  return out;
}

/** Who may call, as OpenAPI security requirements: `{}` admits anonymous callers. */
function security(access: ApiAccess): JsonSchema[] {
  const credentials = [{ bearerAuth: [] }, { basicAuth: [] }];
  return access === 'anyone' ? [{}, ...credentials] : credentials;
}

const ACCESS_TEXT: Record<ApiAccess, string> = {
  anyone: 'Anyone, anonymous callers included (they see public repositories only).',
  authenticated: 'Users and robots; finer rules are in the summary.',
  user: 'Users only (robots are refused).',
  superuser: 'Superusers only.',
};

function operation(route: AnyApiRoute): JsonSchema {
  const status = String(route.successStatus ?? 200);
  const success: JsonSchema = status === '204' ? { description: 'Done; no body.' } : { description: 'Success.', content: { 'application/json': { schema: {} } } };
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    description: `${route.summary}\n\nWho may call: ${ACCESS_TEXT[route.access]}`,
    tags: [route.tag],
    'x-wharf-access': route.access,
    security: security(route.access),
    parameters: parameters(route),
    responses: {
      [status]: success,
      '400': { $ref: '#/components/responses/InvalidRequest' },
      '401': { $ref: '#/components/responses/InvalidToken' },
      '403': { $ref: '#/components/responses/InsufficientScope' },
      '404': { $ref: '#/components/responses/NotFound' },
    },
  };
  if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } };
  return op;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } } });

/** The OpenAPI 3.1 document describing `routes`. */
export function openApiDocument(routes: readonly AnyApiRoute[]): object {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wharf management API',
      version: '1',
      description: "Quay-shaped management API of the Wharf registry: repositories, tags, permissions, audit logs, and superuser views. Paths and field names follow Quay's /api/v1 where Quay has them.",
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token created by a user (Authorization: Bearer TOKEN).' },
        basicAuth: { type: 'http', scheme: 'basic', description: 'A user name and password, or a robot name and token.' },
      },
      schemas: {
        ApiError: {
          type: 'object',
          description: "Quay's error body; error_type is the Wharf error code in lower case.",
          properties: {
            status: { type: 'integer' },
            error_type: { type: 'string', examples: ['invalid_request', 'invalid_token', 'insufficient_scope', 'not_found'] },
            title: { type: 'string' },
            error_message: { type: 'string' },
            detail: { type: 'string' },
          },
          required: ['status', 'error_type', 'detail'],
        },
      },
      responses: {
        InvalidRequest: errorResponse('A parameter or the body is malformed, or the change is not allowed (invalid_request).'),
        InvalidToken: errorResponse('Credentials are missing or wrong (invalid_token).'),
        InsufficientScope: errorResponse('The caller is known but may not do this (insufficient_scope).'),
        NotFound: errorResponse('No such resource, or it is hidden from the caller (not_found).'),
      },
    },
  };
}

/** `GET /api/v1/discovery` and `GET /api/v1/openapi.json`, describing `all` and themselves. */
export function discoveryRoutes(all: readonly AnyApiRoute[]): AnyApiRoute[] {
  let document: object | undefined;
  const serve = async () => ({ status: 200, body: (document ??= openApiDocument([...all, ...routes])) });
  const routes: AnyApiRoute[] = [
    apiRoute({ method: 'GET', path: '/api/v1/discovery', operationId: 'discovery', summary: "This OpenAPI document (Quay's discovery path).", tag: 'discovery', access: 'anyone', handler: serve }),
    apiRoute({ method: 'GET', path: '/api/v1/openapi.json', operationId: 'getOpenApi', summary: 'This OpenAPI document.', tag: 'discovery', access: 'anyone', handler: serve }),
  ];
  return routes;
}
