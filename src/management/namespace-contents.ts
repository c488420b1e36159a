/**
 * Walks the repositories of one namespace, page by page, for the use cases that act on all of
 * them (deleting a namespace, listing who holds direct grants in an organization).
 */
import type { Id, PermissionSubject, RepositoryDetail, Stores } from '../metadata/store.js';

const PAGE = 500;

export async function* repositoriesIn(stores: Stores, namespace: string): AsyncGenerator<RepositoryDetail> {
  let last: string | undefined;
  for (;;) {
    const page = await stores.repositoryAdmin.list({ viewer: { kind: 'everything' }, namespace, last, n: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    last = page[page.length - 1]?.name;
  }
}

/**
 * Direct grants to subjects of one kind on the namespace's repositories: subject id -> the short
 * names of the repositories. One query per repository: these are admin views of one namespace.
 */
export async function directGrants(stores: Stores, namespace: string, kind: PermissionSubject['kind']): Promise<Map<Id, string[]>> {
  const grants = new Map<Id, string[]>();
  for await (const repository of repositoriesIn(stores, namespace)) {
    for (const row of await stores.permissions.list(repository.id, kind)) {
      const names = grants.get(row.subject.id) ?? [];
      names.push(repository.shortName);
      grants.set(row.subject.id, names);
    }
  }
  return grants;
}

/**
 * Deletes the namespace's repositories (with their tags, manifests and permissions; blobs are
 * left to garbage collection), then the namespace with its robots, teams and tokens. Run it
 * inside the transaction that audits the deletion. Returns how many repositories went.
 */
export async function deleteNamespaceAndRepositories(stores: Stores, namespace: { id: Id; name: string }): Promise<number> {
  let deleted = 0;
  // Each pass starts from the beginning: the previous pass's rows are gone.
  for (;;) {
    const page = await stores.repositoryAdmin.list({ viewer: { kind: 'everything' }, namespace: namespace.name, n: PAGE });
    if (page.length === 0) break;
    let progress = 0;
    // A repository someone else deleted meanwhile is simply gone.
    for (const repository of page) if (await stores.repositoryAdmin.delete(repository.id)) progress++;
    if (progress === 0) throw new Error(`the repositories of ${namespace.name} are listed but cannot be deleted`);
    deleted += progress;
  }
  await stores.accounts.deleteNamespace(namespace.id);
  return deleted;
}
