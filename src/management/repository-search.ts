/**
 * Repository search (Quay's /api/v1/find/repositories): names containing the query text,
 * best match first (trigram similarity on PostgreSQL), among the repositories the caller may see.
 */
import type { Principal } from '../auth/principal.js';
import type { NamespaceKind, RepositoryDetail } from '../metadata/store.js';
import type { ManagementContext } from './context.js';
import { namespaceKinds } from './repositories.js';
import { anonymousMaySee } from './repository-access.js';

/** Quay's SEARCH_RESULTS_PER_PAGE and SEARCH_MAX_RESULT_PAGE_COUNT defaults. */
export const SEARCH_PAGE_SIZE = 10;
export const SEARCH_MAX_PAGE = 10;
/** Longest query text considered (names are at most 255 characters). */
const MAX_QUERY = 255;

export interface SearchHit {
  readonly repository: RepositoryDetail;
  readonly namespaceKind: NamespaceKind;
}

export interface SearchResult {
  readonly hits: SearchHit[];
  readonly hasAdditional: boolean;
  /** The page served (clamped to 1..SEARCH_MAX_PAGE). */
  readonly page: number;
  readonly pageSize: number;
  readonly startIndex: number;
}

export async function searchRepositories(ctx: ManagementContext, principal: Principal, query: string, requestedPage: number): Promise<SearchResult> {
  const page = Math.min(Math.max(1, Math.trunc(requestedPage) || 1), SEARCH_MAX_PAGE);
  const startIndex = (page - 1) * SEARCH_PAGE_SIZE;
  const empty = { hits: [], hasAdditional: false, page, pageSize: SEARCH_PAGE_SIZE, startIndex };
  const text = query.trim().toLowerCase().slice(0, MAX_QUERY);
  if (text === '') return empty;
  const rows = await ctx.metadata.stores.repositoryAdmin.search(text, ctx.authorizer.viewer(principal), startIndex, SEARCH_PAGE_SIZE + 1);
  if (!(await anonymousMaySee(ctx, principal, rows))) return empty;
  const shown = rows.slice(0, SEARCH_PAGE_SIZE);
  const kinds = await namespaceKinds(ctx, shown.map((r) => r.namespaceId));
  return {
    hits: shown.map((repository) => ({ repository, namespaceKind: kinds.get(repository.namespaceId) ?? 'organization' })),
    hasAdditional: rows.length > SEARCH_PAGE_SIZE,
    page,
    pageSize: SEARCH_PAGE_SIZE,
    startIndex,
  };
}
