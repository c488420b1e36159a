import { parseDigest } from '../domain/index.js';
import { MediaTypes } from '../domain/media-types.js';
import { Errors, WharfError } from '../errors/index.js';
import type { ManifestRow, Viewer } from '../metadata/store.js';
import { existingRepository, type RegistryContext } from './context.js';

/** Most names one page returns, whatever `n` asks for (a Link header leads on). */
export const MAX_PAGE = 10_000;

export interface PageRequest {
  readonly n?: number;
  readonly last?: string;
}

export interface PageResult {
  readonly names: string[];
  /** The `last` of the next page, when there is one. */
  readonly next: string | undefined;
}

/** Read-only listings: tags, the catalog, referrers. */
export class ListingService {
  readonly #ctx: RegistryContext;

  constructor(ctx: RegistryContext) {
    this.#ctx = ctx;
  }

  async tags(name: string, page: PageRequest): Promise<PageResult> {
    const stores = this.#ctx.metadata.stores;
    const repository = await existingRepository(stores, name);
    return paginate(page, (p) => stores.tags.list(repository.id, p));
  }

  /** Repository names; with a viewer other than `everything`, only those it may see. */
  async catalog(page: PageRequest, viewer?: Viewer): Promise<PageResult> {
    const stores = this.#ctx.metadata.stores;
    if (!viewer || viewer.kind === 'everything') return paginate(page, (p) => stores.repositories.list(p));
    return paginate(page, async (p) => (await stores.repositoryAdmin.list({ viewer, last: p.last, n: p.n })).map((r) => r.name));
  }

  /**
   * The referrers index of `digest`: descriptors of manifests in the repository whose subject
   * it is. An unknown repository has no referrers (the spec forbids 404 here).
   */
  async referrers(name: string, digestText: string, artifactType: string | undefined): Promise<object> {
    const digest = parseDigest(digestText);
    const stores = this.#ctx.metadata.stores;
    const repository = await existingRepository(stores, name).catch((err: unknown) => {
      if (err instanceof WharfError && err.entry === Errors.NAME_UNKNOWN) return undefined;
      throw err;
    });
    const rows = repository ? await stores.manifests.referrers(repository.id, digest.value, artifactType) : [];
    return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: rows.map(descriptorOf) };
  }
}

async function paginate(page: PageRequest, list: (p: { last?: string; n: number }) => Promise<string[]>): Promise<PageResult> {
  const n = Math.min(page.n ?? MAX_PAGE, MAX_PAGE);
  if (n === 0) return { names: [], next: undefined };
  const names = await list({ last: page.last, n: n + 1 });
  if (names.length <= n) return { names, next: undefined };
  const shown = names.slice(0, n);
  return { names: shown, next: shown[shown.length - 1] };
}

function descriptorOf(row: ManifestRow): object {
  let annotations: unknown;
  try {
    annotations = (JSON.parse(row.payload.toString('utf8')) as { annotations?: unknown }).annotations;
  } catch {
    annotations = undefined; // stored manifests were validated on push; never fail a listing over one
  }
  return {
    mediaType: row.mediaType,
    digest: row.digest,
    size: row.size,
    ...(row.artifactType !== undefined ? { artifactType: row.artifactType } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}
