/** Quay's logs resource: the audit log of a repository, an organization, the caller, or everything (superusers). */
import { z } from 'zod';
import { AuditLogService, type LogPage, type LogWindow } from '../../management/audit-log.js';
import type { ManagementContext } from '../../management/context.js';
import type { AuditEntry } from '../../metadata/store.js';
import { quayDate, repositoryParam } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const day = (what: string) => z.string().max(20).optional().describe(`${what}, MM/DD/YYYY in UTC`);
const windowQuery = z.object({
  starttime: day('Earliest day'),
  endtime: day('Latest day (included)'),
  next_page: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'next_page must be the value of a previous answer')
    .optional()
    .describe('The next_page of the previous answer'),
});
type WindowQuery = z.output<typeof windowQuery>;

export function auditLogRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const logs = new AuditLogService(ctx);
  const common = { tag: 'logs', query: windowQuery } as const;
  return [
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/repository/{repository}/logs',
      operationId: 'listRepoLogs',
      summary: "The repository's audit log, newest first (admin permission).",
      access: 'authenticated',
      params: z.object({ repository: repositoryParam }),
      async handler({ principal, params, query }) {
        return { status: 200, body: pageJson(await logs.repository(principal, params.repository, windowOf(query))) };
      },
    }),
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/organization/{orgname}/logs',
      operationId: 'listOrgLogs',
      summary: "The organization's audit log, newest first (organization admins).",
      access: 'authenticated',
      params: z.object({ orgname: z.string().max(255).describe('The organization') }),
      async handler({ principal, params, query }) {
        return { status: 200, body: pageJson(await logs.organization(principal, params.orgname, windowOf(query))) };
      },
    }),
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/user/logs',
      operationId: 'listUserLogs',
      summary: 'What the signed-in user did, newest first.',
      access: 'user',
      async handler({ principal, query }) {
        return { status: 200, body: pageJson(await logs.performer(principal, windowOf(query))) };
      },
    }),
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/superuser/logs',
      operationId: 'listAllLogs',
      summary: 'The whole audit log, newest first (superusers).',
      access: 'superuser',
      async handler({ principal, query }) {
        return { status: 200, body: pageJson(await logs.everything(principal, windowOf(query))) };
      },
    }),
  ];
}

function windowOf(query: WindowQuery): LogWindow {
  return { startTime: query.starttime, endTime: query.endtime, before: query.next_page === undefined ? undefined : Number(query.next_page) };
}

function pageJson(page: LogPage): Record<string, unknown> {
  const body: Record<string, unknown> = { start_time: quayDate(page.start), end_time: quayDate(page.end), logs: page.entries.map((e) => entryJson(e, page)) };
  if (page.next !== undefined) body.next_page = String(page.next);
  return body;
}

/** One entry as Quay shows it: the performer is omitted for anonymous actions, the namespace only in listings across namespaces. */
function entryJson(entry: AuditEntry, page: LogPage): Record<string, unknown> {
  const json: Record<string, unknown> = { kind: entry.kind, metadata: entry.metadata, ip: entry.ip ?? null, datetime: quayDate(entry.at) };
  if (entry.performer.kind !== 'anonymous' && entry.performer.name !== undefined) {
    json.performer = { kind: 'user', name: entry.performer.name, is_robot: entry.performer.kind === 'robot' };
  }
  if (page.namespaces && entry.namespace !== undefined) {
    const kind = page.namespaces.get(entry.namespace);
    json.namespace = { kind: kind === 'organization' ? 'org' : kind === 'user' ? 'user' : undefined, name: entry.namespace };
  }
  return json;
}
