/** Quay's tag resource: tag history, create or move a tag, delete, restore. */
import { z } from 'zod';
import type { ManagementContext } from '../../management/context.js';
import { DEFAULT_TAG_PAGE, MAX_TAG_PAGE, TagService } from '../../management/tags.js';
import { manifestKindOf } from '../../domain/index.js';
import type { TagHistoryRow } from '../../metadata/store.js';
import { epochSeconds, flag, positiveInt, quayDate, repositoryParam } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const tagPath = z.object({ repository: repositoryParam, tag: z.string().describe('The tag name') });
const digest = z.string().max(200).describe('A manifest digest of the repository, e.g. sha256:...');

export function tagRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const tags = new TagService(ctx);
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/repository/{repository}/tag/',
      operationId: 'listRepoTags',
      summary: 'Tag history of a repository, current and ended lifetimes, newest first (read permission).',
      tag: 'tag',
      access: 'anyone',
      params: z.object({ repository: repositoryParam }),
      query: z.object({
        specificTag: z.string().max(128).optional().describe('Only this tag'),
        onlyActiveTags: flag('Only current tags'),
        page: positiveInt('Page, from 1'),
        limit: positiveInt(`Entries per page (default ${DEFAULT_TAG_PAGE}, at most ${MAX_TAG_PAGE})`),
      }),
      async handler({ principal, params, query }) {
        const page = await tags.history(principal, params.repository, {
          specificTag: query.specificTag || undefined,
          onlyActive: query.onlyActiveTags,
          page: query.page ?? 1,
          limit: query.limit ?? DEFAULT_TAG_PAGE,
        });
        return { status: 200, body: { tags: page.tags.map(tagJson), page: page.page, has_additional: page.hasAdditional } };
      },
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/repository/{repository}/tag/{tag}',
      operationId: 'changeTag',
      summary: 'Point a tag, new or existing, at a manifest already in the repository (write permission).',
      tag: 'tag',
      access: 'authenticated',
      params: tagPath,
      body: z.object({ manifest_digest: digest }),
      successStatus: 201,
      async handler({ actor, params, body }) {
        await tags.put(actor, params.repository, params.tag, body.manifest_digest);
        return { status: 201, body: 'Updated' };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/repository/{repository}/tag/{tag}',
      operationId: 'deleteFullTag',
      summary: 'Delete a tag; its history stays and it can be restored (write permission).',
      tag: 'tag',
      access: 'authenticated',
      params: tagPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await tags.delete(actor, params.repository, params.tag);
        return { status: 204 };
      },
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/repository/{repository}/tag/{tag}/restore',
      operationId: 'restoreTag',
      summary: 'Point a tag back at a manifest it (or any tag) had before (write permission).',
      tag: 'tag',
      access: 'authenticated',
      params: tagPath,
      body: z.object({ manifest_digest: digest }),
      async handler({ actor, params, body }) {
        await tags.restore(actor, params.repository, params.tag, body.manifest_digest);
        return { status: 200, body: {} };
      },
    }),
  ];
}

/** One tag lifetime as Quay's tag history shows it (times in seconds and RFC 2822). */
function tagJson(t: TagHistoryRow): Record<string, unknown> {
  const json: Record<string, unknown> = {
    name: t.name,
    start_ts: epochSeconds(t.start),
    manifest_digest: t.manifestDigest,
    is_manifest_list: manifestKindOf(t.mediaType) === 'index',
    size: t.size,
    last_modified: quayDate(t.start),
  };
  if (t.end !== undefined) {
    json.end_ts = epochSeconds(t.end);
    json.expiration = quayDate(t.end);
  }
  return json;
}
