import { createHash } from 'node:crypto';
import type { Actor } from '../auth/principal.js';
import { type Digest, parseManifest, parseReference, parseRepositoryName, type ParsedManifest, type Reference } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import { auditEntry } from '../management/audit-entry.js';
import type { Id, ManifestRow, RepositoryRow, Stores } from '../metadata/store.js';
import { announceReplication, auditPlace, enqueueReplication, existingRepository, pushRepository, type RegistryContext, UNNAMED_ACTOR } from './context.js';

export interface PushedManifest {
  readonly digest: string;
  /** The `subject` digest, echoed in the OCI-Subject header. */
  readonly subject: string | undefined;
}

/**
 * Manifests live in the database (exact bytes), so they are global the moment they are
 * written. A push is accepted only when every blob and child manifest it names is in the
 * repository; a `subject` may point at a manifest that does not exist yet (spec 1.1).
 * Pushes and deletes are audited (push_repo, delete_tag, delete_manifest) in the transaction
 * that makes the change, and invalidate the repository's cached reads after it commits.
 */
export class ManifestService {
  readonly #ctx: RegistryContext;

  constructor(ctx: RegistryContext) {
    this.#ctx = ctx;
  }

  /**
   * The manifest `reference` (tag or digest) names. Served from memory while the repository's
   * version is the one the answer was loaded under; the version is read before the database
   * so a concurrent write can only make the loaded answer newer than its version, never older.
   */
  async get(name: string, referenceText: string): Promise<ManifestRow> {
    const { versions, manifests: cache } = this.#ctx.caches;
    const version = await versions.current(name);
    if (version !== undefined) {
      const hit = cache.find(name, referenceText, version);
      if (hit) return hit;
      if (hit === null) throw new WharfError(Errors.MANIFEST_UNKNOWN, { reference: referenceText });
    }
    const reference = readableReference(referenceText);
    const stores = this.#ctx.metadata.stores;
    const repository = (version !== undefined ? cache.repository(name, version) : undefined) ?? (await existingRepository(stores, name));
    const manifest =
      reference.kind === 'tag'
        ? await stores.tags.resolve(repository.id, reference.tag)
        : await stores.manifests.find(repository.id, reference.digest.value);
    if (version !== undefined) cache.remember(name, version, repository, referenceText, manifest ?? null);
    if (!manifest) throw new WharfError(Errors.MANIFEST_UNKNOWN, { reference: referenceText });
    return manifest;
  }

  /**
   * The manifest from memory only, or undefined (then ask {@link get}): the fast path of a
   * pull. Synchronous when the version is local, so a hit costs no asynchronous hop.
   */
  cached(name: string, referenceText: string): ManifestRow | undefined | Promise<ManifestRow | undefined> {
    const { versions, manifests: cache } = this.#ctx.caches;
    const version = versions.current(name);
    if (version === undefined) return undefined;
    if (typeof version === 'object') return version.then((v) => (v === undefined ? undefined : (cache.find(name, referenceText, v) ?? undefined)));
    return cache.find(name, referenceText, version) ?? undefined;
  }

  async put(name: string, referenceText: string, payload: Buffer, contentType: string | undefined, actor: Actor = UNNAMED_ACTOR): Promise<PushedManifest> {
    const reference = parseReference(referenceText);
    const digest = digestFor(payload, reference.kind === 'digest' ? reference.digest : undefined);
    const parsed = parseManifest(payload, contentType);
    const stores = this.#ctx.metadata.stores;
    // References are checked before the repository is created: a rejected push leaves no trace.
    const { blobIds, childIds } = await this.#references(stores, await stores.repositories.find(parseRepositoryName(name).value), parsed);
    const repository = await pushRepository(this.#ctx, name, actor);
    await this.#ctx.metadata.transaction(async (tx) => {
      const row = await tx.manifests.put({
        repositoryId: repository.id,
        digest,
        mediaType: parsed.mediaType,
        payload,
        subject: parsed.subject,
        artifactType: parsed.artifactType,
        blobIds,
        childIds,
      });
      if (reference.kind === 'tag') await tx.tags.put(repository.id, reference.tag, row.id);
      const pushed = reference.kind === 'tag' ? { tag: reference.tag } : { digest };
      await tx.audit.record(auditEntry(actor, 'push_repo', auditPlace(name), { ...pushed, manifest_digest: row.digest }));
      // Again for every referenced blob: a blob pushed before its repository's namespace got a
      // region, or mounted from elsewhere, may miss a location now required (Quay's trigger).
      await enqueueReplication(this.#ctx, tx, blobIds);
    });
    // Before the client hears of it: a new digest or a moved tag must not be answered from any cache.
    await this.#ctx.caches.versions.invalidate(name);
    await announceReplication(this.#ctx);
    return { digest, subject: parsed.subject };
  }

  /** By digest: the manifest and every tag on it. By tag: only the tag (spec "Deleting tags"). */
  async delete(name: string, referenceText: string, actor: Actor = UNNAMED_ACTOR): Promise<void> {
    const reference = readableReference(referenceText);
    const repository = await existingRepository(this.#ctx.metadata.stores, name);
    const unknown = () => new WharfError(Errors.MANIFEST_UNKNOWN, { reference: referenceText });
    await this.#ctx.metadata.transaction(async (tx) => {
      if (reference.kind === 'tag') {
        const target = await tx.tags.resolve(repository.id, reference.tag);
        if (!target || !(await tx.tags.delete(repository.id, reference.tag))) throw unknown();
        await tx.audit.record(auditEntry(actor, 'delete_tag', auditPlace(name), { tag: reference.tag, manifest_digest: target.digest }));
      } else {
        if (!(await tx.manifests.delete(repository.id, reference.digest.value))) throw unknown();
        await tx.audit.record(auditEntry(actor, 'delete_manifest', auditPlace(name), { manifest_digest: reference.digest.value }));
      }
    });
    await this.#ctx.caches.versions.invalidate(name);
  }

  /** Ids of the blobs and children the manifest names; MANIFEST_BLOB_UNKNOWN for any missing. */
  async #references(stores: Stores, repository: RepositoryRow | undefined, parsed: ParsedManifest): Promise<{ blobIds: Id[]; childIds: Id[] }> {
    const blobs = repository ? await stores.blobs.findManyInRepository(repository.id, parsed.blobs) : new Map<string, { id: Id }>();
    const children = repository ? await stores.manifests.findMany(repository.id, parsed.children) : new Map<string, { id: Id }>();
    const missing = [...parsed.blobs.filter((d) => !blobs.has(d)), ...parsed.children.filter((d) => !children.has(d))];
    if (missing.length > 0) {
      throw new WharfError(Errors.MANIFEST_BLOB_UNKNOWN, { missing: [...new Set(missing)] });
    }
    return {
      blobIds: [...new Set([...blobs.values()].map((b) => b.id))],
      childIds: [...new Set([...children.values()].map((m) => m.id))],
    };
  }
}

/**
 * A reference to look up. A tag that breaks the tag grammar cannot exist, so reads answer
 * MANIFEST_UNKNOWN (404, as the conformance suite expects); a push of such a tag is 400.
 */
function readableReference(referenceText: string): Reference {
  try {
    return parseReference(referenceText);
  } catch (err) {
    if (err instanceof WharfError && err.entry === Errors.TAG_INVALID) throw new WharfError(Errors.MANIFEST_UNKNOWN, { reference: referenceText.slice(0, 200) });
    throw err;
  }
}

/** The manifest's digest; when pushed by digest, it must match the bytes. */
function digestFor(payload: Buffer, claimed: Digest | undefined): string {
  const algorithm = claimed?.algorithm ?? 'sha256';
  const digest = `${algorithm}:${createHash(algorithm).update(payload).digest('hex')}`;
  if (claimed && claimed.value !== digest) {
    throw new WharfError(Errors.DIGEST_INVALID, { expected: claimed.value, actual: digest });
  }
  return digest;
}
