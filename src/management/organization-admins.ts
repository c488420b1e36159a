/**
 * An organization must always keep at least one user who can administer it (a member of an
 * `admin` team, such as the `owners` team it was created with), or nobody but a superuser could
 * manage it again. Quay refuses the changes that would lose that; so do we.
 *
 * The check runs inside the transaction, after the change: the change is rolled back when the
 * organization is left without an admin, whatever path led there (removing a member, deleting
 * or demoting a team, deleting a user).
 */
import { Errors, WharfError } from '../errors/index.js';
import type { Id, NamespaceRow, Stores } from '../metadata/store.js';

/** Ids of the users in the organization's `admin` teams. */
export async function adminUserIds(stores: Stores, organizationId: Id): Promise<Set<Id>> {
  const ids = new Set<Id>();
  for (const team of await stores.teams.list(organizationId)) {
    if (team.role !== 'admin') continue;
    for (const member of await stores.teams.members(team.id)) if (member.kind === 'user') ids.add(member.id);
  }
  return ids;
}

/** Throws INVALID_REQUEST (rolling the transaction back) when the organization has no admin user left. */
export async function ensureOrganizationKeepsAdmin(stores: Stores, organization: NamespaceRow, change: string): Promise<void> {
  if ((await adminUserIds(stores, organization.id)).size > 0) return;
  throw new WharfError(
    Errors.INVALID_REQUEST,
    `${change} would leave organization ${JSON.stringify(organization.name)} without an admin; add another user to an admin team first`,
  );
}
