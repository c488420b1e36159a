import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../auth/principal.js';
import { parseRepositoryName } from '../domain/index.js';
import { isWharfError } from '../errors/index.js';
import { openMetadataStore } from '../metadata/sql/metadata-store.js';
import type { MetadataStore, RepositoryRole } from '../metadata/store.js';
import type { ManagementContext } from './context.js';
import { checkRepositoryName, checkTag, findRepository, hasRole, openRepository } from './repository-access.js';
import { managementContext } from '../../test/support/management.js';

const code = (expected: string) => (e: unknown) => isWharfError(e) && e.entry.code === expected;

describe('hasRole', () => {
  it('orders read < write < admin', () => {
    const roles: RepositoryRole[] = ['read', 'write', 'admin'];
    const table = roles.map((held) => roles.map((needed) => hasRole(held, needed)));
    assert.deepEqual(table, [
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
    assert.equal(hasRole(undefined, 'read'), false);
  });
});

describe('request names', () => {
  it('turns grammar errors into INVALID_REQUEST', () => {
    assert.equal(checkRepositoryName('acme/web/api'), 'acme/web/api');
    for (const bad of ['Acme/web', 'acme//web', 'acme/../web', '', 'a'.repeat(256)]) assert.throws(() => checkRepositoryName(bad), code('INVALID_REQUEST'), bad);
    assert.equal(checkTag('v1.0_rc-1'), 'v1.0_rc-1');
    for (const bad of ['.hidden', 'has space', 'x'.repeat(129), '']) assert.throws(() => checkTag(bad), code('INVALID_REQUEST'), bad);
  });
});

describe('openRepository', () => {
  let dir: string;
  let metadata: MetadataStore;
  let ctx: ManagementContext;
  let alice: Principal;
  let bob: Principal;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-repo-access-'));
    metadata = await openMetadataStore({ dialect: 'sqlite', path: join(dir, 'wharf.db') });
    await metadata.migrate();
    ctx = managementContext(metadata);
    const a = await metadata.stores.accounts.createUser({ name: 'alice' });
    const b = await metadata.stores.accounts.createUser({ name: 'bob' });
    alice = { kind: 'user', id: a.id, name: a.name, superuser: false };
    bob = { kind: 'user', id: b.id, name: b.name, superuser: false };
    await metadata.stores.repositoryAdmin.create({ namespaceId: a.id, name: 'alice/private', visibility: 'private', description: '' });
    await metadata.stores.repositoryAdmin.create({ namespaceId: a.id, name: 'alice/public', visibility: 'public', description: '' });
    await metadata.stores.repositories.ensure(parseRepositoryName('ubuntu'));
  });
  after(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the owner admin, and strangers the same NOT_FOUND for private and missing repositories', async () => {
    assert.equal((await openRepository(ctx, alice, 'alice/private', 'admin')).role, 'admin');
    for (const name of ['alice/private', 'alice/missing']) {
      await assert.rejects(openRepository(ctx, bob, name, 'read'), code('NOT_FOUND'), name);
      await assert.rejects(openRepository(ctx, { kind: 'anonymous' }, name, 'read'), code('NOT_FOUND'), name);
    }
  });

  it('tells a reader who needs more that the role is insufficient', async () => {
    assert.equal((await openRepository(ctx, bob, 'alice/public', 'read')).role, 'read');
    await assert.rejects(openRepository(ctx, bob, 'alice/public', 'write'), code('INSUFFICIENT_SCOPE'));
  });

  it('finds a single-component name through its library namespace', async () => {
    assert.equal((await findRepository(metadata.stores, 'library/ubuntu'))?.name, 'ubuntu');
    assert.equal((await findRepository(metadata.stores, 'ubuntu'))?.name, 'ubuntu');
    assert.equal(await findRepository(metadata.stores, 'library/debian'), undefined);
  });
});
