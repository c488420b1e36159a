/**
 * Quay's repository resource under /api/v1 (create, list, get, update, change visibility,
 * delete, search), and the table of every route this module family declares: tags,
 * permissions, audit logs and the superuser storage views live in their own files.
 */
import { z } from 'zod';
import type { ManagementContext } from '../../management/context.js';
import { RepositoryService, type RepositoryView } from '../../management/repositories.js';
import { type SearchHit, searchRepositories } from '../../management/repository-search.js';
import type { RepositoryDetail } from '../../metadata/store.js';
import { auditLogRoutes } from './audit-log-routes.js';
import { permissionRoutes } from './permission-routes.js';
import { epochSeconds, flag, positiveInt, quayDate, quayState, repositoryParam } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';
import { storageRoutes } from './storage-routes.js';
import { tagRoutes } from './tag-routes.js';

/** Every repository-related /api/v1 route. */
export function repositoryRoutes(ctx: ManagementContext): AnyApiRoute[] {
  return [...repositoryResourceRoutes(ctx), ...tagRoutes(ctx), ...permissionRoutes(ctx), ...auditLogRoutes(ctx), ...storageRoutes(ctx)];
}

const visibility = z.enum(['public', 'private']).describe('public: anyone may pull (anonymously too, when FEATURE_ANONYMOUS_ACCESS is on); private: only accounts with a permission');
const repoPath = z.object({ repository: repositoryParam });

function repositoryResourceRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const repositories = new RepositoryService(ctx);
  return [
    apiRoute({
      method: 'POST',
      path: '/api/v1/repository',
      operationId: 'createRepo',
      summary: 'Create a new, empty repository. The caller needs the right to create repositories in the namespace and becomes admin of it.',
      tag: 'repository',
      access: 'authenticated',
      body: z.object({
        repository: z.string().max(255).describe('The name inside the namespace'),
        visibility,
        description: z.string().max(100_000).describe('Markdown description'),
        namespace: z.string().max(255).optional().describe("The namespace; defaults to the caller's own"),
        repo_kind: z.enum(['image']).nullable().optional().describe('Only image repositories exist in Wharf'),
      }),
      successStatus: 201,
      async handler({ actor, body }) {
        const created = await repositories.create(actor, body);
        return { status: 201, body: { namespace: created.namespace, name: created.shortName, kind: 'image' } };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/repository',
      operationId: 'listRepos',
      summary: 'List the repositories visible to the caller in a namespace, or all public ones; one of namespace, public, starred is required.',
      tag: 'repository',
      access: 'anyone',
      query: z.object({
        namespace: z.string().max(255).optional().describe('Only repositories of this namespace'),
        public: flag('Include the public repositories'),
        starred: flag('Only starred repositories (Wharf has no stars: always empty)'),
        last_modified: flag('Include when a tag last changed'),
        next_page: z.string().max(1024).optional().describe('The next_page of the previous answer'),
      }),
      async handler({ principal, query }) {
        const listing = await repositories.list(principal, { namespace: query.namespace, public: query.public, starred: query.starred, after: query.next_page });
        const body: Record<string, unknown> = { repositories: listing.repositories.map((r) => listItem(r, query.last_modified)) };
        if (listing.next !== undefined) body.next_page = listing.next;
        return { status: 200, body };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/repository/{repository}',
      operationId: 'getRepo',
      summary: "Fetch a repository with the caller's rights on it and its current tags.",
      tag: 'repository',
      access: 'anyone',
      params: repoPath,
      query: z.object({ includeTags: flag('Include the current tags', true), includeStats: flag('Ignored: Wharf keeps no action statistics') }),
      async handler({ principal, params, query }) {
        return { status: 200, body: repositoryJson(await repositories.get(principal, params.repository, { includeTags: query.includeTags })) };
      },
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/repository/{repository}',
      operationId: 'updateRepo',
      summary: 'Change the description of a repository (write permission).',
      tag: 'repository',
      access: 'authenticated',
      params: repoPath,
      body: z.object({ description: z.string().max(100_000).describe('Markdown description') }),
      async handler({ actor, params, body }) {
        await repositories.setDescription(actor, params.repository, body.description);
        return { status: 200, body: { success: true } };
      },
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/repository/{repository}/changevisibility',
      operationId: 'changeRepoVisibility',
      summary: 'Make a repository public or private (admin permission).',
      tag: 'repository',
      access: 'authenticated',
      params: repoPath,
      body: z.object({ visibility }),
      async handler({ actor, params, body }) {
        await repositories.changeVisibility(actor, params.repository, body.visibility);
        return { status: 200, body: { success: true } };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/repository/{repository}',
      operationId: 'deleteRepository',
      summary: 'Delete a repository with its tags, manifests and permissions (admin permission).',
      tag: 'repository',
      access: 'authenticated',
      params: repoPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await repositories.delete(actor, params.repository);
        return { status: 204 };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/find/repositories',
      operationId: 'conductRepoSearch',
      summary: 'Search the repositories visible to the caller by name (substring, best match first).',
      tag: 'search',
      access: 'anyone',
      query: z.object({ query: z.string().max(1024).optional().describe('Text the repository name contains'), page: positiveInt('Page, from 1 (at most 10)') }),
      async handler({ principal, query }) {
        const result = await searchRepositories(ctx, principal, query.query ?? '', query.page ?? 1);
        return {
          status: 200,
          body: { results: result.hits.map(searchJson), has_additional: result.hasAdditional, page: result.page, page_size: result.pageSize, start_index: result.startIndex },
        };
      },
    }),
  ];
}

function listItem(r: RepositoryDetail, lastModified: boolean): Record<string, unknown> {
  const item: Record<string, unknown> = { namespace: r.namespace, name: r.shortName, description: r.description, is_public: r.visibility === 'public', kind: 'image', state: quayState(r.state) };
  if (lastModified) item.last_modified = epochSeconds(r.lastModified);
  return item;
}

function repositoryJson(view: RepositoryView): Record<string, unknown> {
  const r = view.repository;
  const body: Record<string, unknown> = {
    namespace: r.namespace,
    name: r.shortName,
    kind: 'image',
    description: r.description,
    is_public: r.visibility === 'public',
    is_organization: view.namespaceKind === 'organization',
    is_starred: false,
    status_token: '',
    trust_enabled: false,
    state: quayState(r.state),
    can_write: view.canWrite,
    can_admin: view.canAdmin,
  };
  if (view.tags) {
    body.tags = Object.fromEntries(
      view.tags.map((t) => [t.name, { name: t.name, size: t.size, last_modified: quayDate(t.start), manifest_digest: t.manifestDigest }]),
    );
  }
  return body;
}

function searchJson({ repository: r, namespaceKind }: SearchHit): Record<string, unknown> {
  const org = namespaceKind === 'organization';
  return {
    kind: 'repository',
    title: 'repo',
    namespace: { title: org ? 'org' : 'user', kind: org ? 'organization' : 'user', name: r.namespace, score: 1, href: `/${org ? 'organization' : 'user'}/${r.namespace}` },
    name: r.shortName,
    description: r.description,
    is_public: r.visibility === 'public',
    score: 4,
    href: `/repository/${r.namespace}/${r.shortName}`,
    last_modified: epochSeconds(r.lastModified),
  };
}
