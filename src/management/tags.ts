/**
 * Tag use cases of the management API (Quay's tag resource): history, point a tag at a
 * manifest of the repository, delete, and restore an earlier target. Reading needs `read`,
 * every change needs `write`; each change and its audit row commit together, and the
 * registry's cached reads of the repository are invalidated before the call returns.
 */
import type { Actor, Principal } from '../auth/principal.js';
import { parseDigest } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import type { TagHistoryRow } from '../metadata/store.js';
import { type ManagementContext, repositoryChanged } from './context.js';
import { auditEntry } from './audit-entry.js';
import { asInvalidRequest, auditWhere, checkTag, checkWritable, openRepository } from './repository-access.js';

/** Quay's defaults: 50 entries a page, at most 100. */
export const DEFAULT_TAG_PAGE = 50;
export const MAX_TAG_PAGE = 100;

export interface TagHistoryRequest {
  readonly specificTag?: string;
  readonly onlyActive: boolean;
  /** 1-based. */
  readonly page: number;
  readonly limit: number;
}

export interface TagHistoryPage {
  readonly tags: TagHistoryRow[];
  readonly page: number;
  readonly hasAdditional: boolean;
}

export class TagService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Tag lifetimes, current and ended, newest first. */
  async history(principal: Principal, name: string, request: TagHistoryRequest): Promise<TagHistoryPage> {
    const { repository } = await openRepository(this.#ctx, principal, name, 'read');
    const tag = request.specificTag ? checkTag(request.specificTag) : undefined;
    const page = Math.max(1, request.page);
    const limit = Math.min(MAX_TAG_PAGE, Math.max(1, request.limit));
    const rows = await this.#ctx.metadata.stores.tagHistory.history(repository.id, { tag, onlyActive: request.onlyActive, offset: (page - 1) * limit, limit: limit + 1 });
    return { tags: rows.slice(0, limit), page, hasAdditional: rows.length > limit };
  }

  /** Creates the tag, or moves it, to a manifest already in the repository. */
  async put(actor: Actor, name: string, tagText: string, digestText: string): Promise<void> {
    const tag = checkTag(tagText);
    const digest = asInvalidRequest(() => parseDigest(digestText)).value;
    const { repository } = await openRepository(this.#ctx, actor.principal, name, 'write');
    checkWritable(repository);
    await this.#ctx.metadata.transaction(async (tx) => {
      const manifest = await tx.manifests.find(repository.id, digest);
      if (!manifest) throw new WharfError(Errors.NOT_FOUND, `manifest ${digest} not found in ${repository.name}`);
      const previous = await tx.tags.resolve(repository.id, tag);
      await tx.tags.put(repository.id, tag, manifest.id);
      await tx.audit.record(
        auditEntry(actor, previous ? 'move_tag' : 'create_tag', auditWhere(repository), {
          ...tagMetadata(actor, repository.shortName, repository.namespace, tag),
          manifest_digest: digest,
          original_manifest_digest: previous?.digest ?? null,
        }),
      );
    });
    await repositoryChanged(this.#ctx, repository.name);
  }

  /** Ends the tag's current lifetime (its history stays, so it can be restored). */
  async delete(actor: Actor, name: string, tagText: string): Promise<void> {
    const tag = checkTag(tagText);
    const { repository } = await openRepository(this.#ctx, actor.principal, name, 'write');
    checkWritable(repository);
    await this.#ctx.metadata.transaction(async (tx) => {
      const current = await tx.tags.resolve(repository.id, tag);
      if (!current || !(await tx.tags.delete(repository.id, tag))) throw new WharfError(Errors.NOT_FOUND, `tag ${tag} not found in ${repository.name}`);
      await tx.audit.record(
        auditEntry(actor, 'delete_tag', auditWhere(repository), { ...tagMetadata(actor, repository.shortName, repository.namespace, tag), manifest_digest: current.digest }),
      );
    });
    await repositoryChanged(this.#ctx, repository.name);
  }

  /** Points the tag back at a manifest of the repository (Quay's restore, logged as `revert_tag`). */
  async restore(actor: Actor, name: string, tagText: string, digestText: string): Promise<void> {
    const tag = checkTag(tagText);
    const digest = asInvalidRequest(() => parseDigest(digestText)).value;
    const { repository } = await openRepository(this.#ctx, actor.principal, name, 'write');
    checkWritable(repository);
    await this.#ctx.metadata.transaction(async (tx) => {
      const previous = await tx.tags.resolve(repository.id, tag);
      if (!(await tx.tagHistory.restore(repository.id, tag, digest))) throw new WharfError(Errors.NOT_FOUND, `manifest ${digest} not found in ${repository.name}`);
      await tx.audit.record(
        auditEntry(actor, 'revert_tag', auditWhere(repository), {
          ...tagMetadata(actor, repository.shortName, repository.namespace, tag),
          manifest_digest: digest,
          original_manifest_digest: previous?.digest ?? null,
        }),
      );
    });
    await repositoryChanged(this.#ctx, repository.name);
  }
}

/** The metadata fields Quay puts in every tag log entry. */
function tagMetadata(actor: Actor, repo: string, namespace: string, tag: string): Record<string, unknown> {
  const username = actor.principal.kind === 'anonymous' ? null : actor.principal.name;
  return { username, repo, namespace, tag };
}
