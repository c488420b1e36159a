import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WharfError } from '../errors/index.js';
import { parseManifest } from './manifest.js';
import { MediaTypes } from './media-types.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (c: string, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip', extra = {}) => ({ mediaType, digest: d(c), size: 1, ...extra });
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));
const invalid = (err: unknown) => err instanceof WharfError && err.entry.code === 'MANIFEST_INVALID';

describe('parseManifest', () => {
  it('lists an image manifest\'s blobs, subject and referrers artifact type', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: desc('c', 'application/x.cfg'), layers: [desc('a'), desc('b')], subject: desc('e', MediaTypes.ociManifest) }), undefined);
    assert.equal(m.kind, 'image');
    assert.deepEqual(m.blobs, [d('c'), d('a'), d('b')]);
    assert.equal(m.subject, d('e'));
    assert.equal(m.artifactType, 'application/x.cfg', 'falls back to the config media type');
  });

  it('keeps artifactType and skips foreign layers', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, artifactType: 'application/x.sbom', config: desc('c'), layers: [desc('f', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', { urls: ['https://x'] })] }), undefined);
    assert.equal(m.artifactType, 'application/x.sbom');
    assert.deepEqual(m.blobs, [d('c')]);
  });

  it('takes the type from Content-Type when mediaType is absent, and by structure as a last resort', () => {
    assert.equal(parseManifest(bytes({ schemaVersion: 2, config: desc('c'), layers: [] }), MediaTypes.dockerManifest).mediaType, MediaTypes.dockerManifest);
    assert.equal(parseManifest(bytes({ schemaVersion: 2, manifests: [desc('a', MediaTypes.ociManifest)] }), 'application/json').mediaType, MediaTypes.ociIndex);
  });

  it('lists an index\'s children', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.dockerManifestList, manifests: [desc('a', MediaTypes.dockerManifest)] }), undefined);
    assert.deepEqual(m.children, [d('a')]);
    assert.equal(m.artifactType, undefined);
  });

  it('rejects bad JSON, wrong schema versions, bad descriptors and mismatched types', () => {
    const cases: unknown[] = [
      '{',
      [],
      { schemaVersion: 1, config: desc('c'), layers: [] },
      { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: desc('c'), layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] },
      { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: desc('c'), layers: [desc('a', 'x', { size: -1 })] },
      { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
      { schemaVersion: 2, foo: 1 },
    ];
    for (const c of cases) assert.throws(() => parseManifest(typeof c === 'string' ? Buffer.from(c) : bytes(c), undefined), invalid, JSON.stringify(c));
    assert.throws(() => parseManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: desc('c'), layers: [] }), MediaTypes.ociIndex), invalid);
  });
});
