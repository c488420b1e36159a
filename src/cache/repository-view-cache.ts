/**
 * What one process remembers about repositories, by name: the repository's row and the answer
 * for each reference asked (tag or digest → manifest, or "absent"), all loaded under one
 * version (repository-versions.ts). A view whose version is no longer current is never
 * served; the next load replaces it.
 *
 * Bounded three ways: repositories (oldest view out first), references per repository, and
 * bytes of cached values overall. Each view also ages out after `maxAgeMs`: the backstop if a
 * shared version store missed an invalidation. Eviction is first-in first-out rather than LRU,
 * so a hit writes nothing; under the age limit every view is rebuilt often anyway.
 */
import type { Version } from './repository-versions.js';

export interface RepositoryViewCacheOptions<M> {
  /** Bytes a cached value holds (a manifest's payload). */
  readonly sizeOf: (value: M) => number;
  readonly maxRepositories?: number;
  readonly maxReferences?: number;
  readonly maxBytes?: number;
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

interface View<R, M> {
  readonly version: Version;
  readonly loadedAt: number;
  readonly repository: R;
  readonly references: Map<string, M | null>;
  bytes: number;
}

export const DEFAULT_MAX_AGE_MS = 5_000;
const DEFAULT_MAX_REPOSITORIES = 10_000;
const DEFAULT_MAX_REFERENCES = 1_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class RepositoryViewCache<R, M> {
  readonly #views = new Map<string, View<R, M>>();
  readonly #sizeOf: (value: M) => number;
  readonly #maxRepositories: number;
  readonly #maxReferences: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: RepositoryViewCacheOptions<M>) {
    this.#sizeOf = options.sizeOf;
    this.#maxRepositories = options.maxRepositories ?? DEFAULT_MAX_REPOSITORIES;
    this.#maxReferences = options.maxReferences ?? DEFAULT_MAX_REFERENCES;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The repository row cached under `version`, if any. */
  repository(name: string, version: Version): R | undefined {
    return this.#view(name, version)?.repository;
  }

  /** The value for `reference`: M when found, null when known absent, undefined when not cached under `version`. */
  find(name: string, reference: string, version: Version): M | null | undefined {
    return this.#view(name, version)?.references.get(reference);
  }

  /**
   * Records what was loaded under `version` (read before the load). A view under another
   * version is replaced: versions have no order, and a replaced view costs one reload at most.
   */
  remember(name: string, version: Version, repository: R, reference?: string, value?: M | null): void {
    let view = this.#view(name, version);
    if (!view) {
      this.#drop(name);
      while (this.#views.size >= this.#maxRepositories) this.#dropOldest();
      view = { version, loadedAt: this.#now(), repository, references: new Map(), bytes: 0 };
      this.#views.set(name, view);
    }
    if (reference === undefined || value === undefined) return;
    if (view.references.has(reference)) return;
    const size = value === null ? 0 : this.#sizeOf(value);
    if (size > this.#maxBytes / 4) return; // one huge manifest must not flush everything else
    if (view.references.size >= this.#maxReferences) {
      this.#bytes -= view.bytes;
      view.bytes = 0;
      view.references.clear();
    }
    view.references.set(reference, value);
    view.bytes += size;
    this.#bytes += size;
    while (this.#bytes > this.#maxBytes && this.#views.size > 0) this.#dropOldest();
  }

  /** Forgets everything (tests, shutdown). */
  clear(): void {
    this.#views.clear();
    this.#bytes = 0;
  }

  get size(): { repositories: number; bytes: number } {
    return { repositories: this.#views.size, bytes: this.#bytes };
  }

  #view(name: string, version: Version): View<R, M> | undefined {
    const view = this.#views.get(name);
    if (!view || view.version !== version) return undefined;
    if (this.#now() - view.loadedAt > this.#maxAgeMs) {
      this.#drop(name);
      return undefined;
    }
    return view;
  }

  #drop(name: string): void {
    const view = this.#views.get(name);
    if (!view) return;
    this.#bytes -= view.bytes;
    this.#views.delete(name);
  }

  #dropOldest(): void {
    const oldest = this.#views.keys().next();
    if (!oldest.done) this.#drop(oldest.value);
  }
}
