/**
 * Accounts for tests of a registry in Database mode, written straight through the metadata
 * stores with the real password KDF and token hashing (what the management API would write).
 */
import { hashPassword } from '../../src/auth/password.js';
import { generateToken, tokenHash } from '../../src/auth/secrets.js';
import type { AccountRef, Id, MetadataStore, RepositoryRole, TeamRole } from '../../src/metadata/store.js';

export async function createUser(metadata: MetadataStore, name: string, password: string, options: { superuser?: boolean } = {}): Promise<Id> {
  const user = await metadata.stores.accounts.createUser({ name, email: `${name}@example.test`, passwordHash: await hashPassword(password), superuser: options.superuser });
  return user.id;
}

export async function createOrganization(metadata: MetadataStore, name: string): Promise<Id> {
  return (await metadata.stores.accounts.createOrganization({ name })).id;
}

/** A robot `namespace+short`; returns its id, full name and token (the password it logs in with). */
export async function createRobot(metadata: MetadataStore, namespaceId: Id, shortName: string): Promise<{ id: Id; name: string; token: string }> {
  const token = generateToken();
  const robot = await metadata.stores.robots.create({ namespaceId, shortName, description: 'test robot', tokenHash: tokenHash(token) });
  return { id: robot.id, name: robot.name, token };
}

/** Puts the account into the organization's team of that name, creating the team with `role`. */
export async function joinTeam(metadata: MetadataStore, organizationId: Id, team: string, role: TeamRole, member: AccountRef): Promise<void> {
  const row = await metadata.stores.teams.upsert(organizationId, team, { role, description: '' });
  await metadata.stores.teams.addMember(row.id, member);
}

/** Grants a role on an existing repository. */
export async function grant(metadata: MetadataStore, repository: string, subject: AccountRef, role: RepositoryRole): Promise<void> {
  const row = await metadata.stores.repositoryAdmin.findDetail(repository);
  if (!row) throw new Error(`no repository ${repository}`);
  await metadata.stores.permissions.set(row.id, subject, role);
}

export async function makePublic(metadata: MetadataStore, repository: string): Promise<void> {
  const row = await metadata.stores.repositoryAdmin.findDetail(repository);
  if (!row) throw new Error(`no repository ${repository}`);
  await metadata.stores.repositoryAdmin.update(row.id, { visibility: 'public' });
}

/** An `Authorization: Basic ...` value. */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}
