import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planParts, type CopySource } from './copy.js';

const MiB = 1024 * 1024;
const src = (size: number, objectKey = `k${size}`): CopySource => ({ bucket: 'b', objectKey, size });
const ranges = (parts: ReturnType<typeof planParts>) => parts?.map((p) => [p.source.objectKey, p.start, p.end]);

describe('planParts (server-side assembly with UploadPartCopy)', () => {
  it('one part per source when every non-final source is at least the minimum chunk', () => {
    assert.deepEqual(ranges(planParts([src(6 * MiB), src(5 * MiB), src(1)], 5 * MiB, 5 * 1024 * MiB)), [
      ['k6291456', 0, 6 * MiB - 1],
      ['k5242880', 0, 5 * MiB - 1],
      ['k1', 0, 0],
    ]);
  });

  it('splits a source above the maximum part size into equal parts', () => {
    const parts = planParts([src(25 * MiB)], 5 * MiB, 10 * MiB) ?? [];
    assert.deepEqual(parts.map((p) => p.end - p.start + 1), [Math.ceil(25 * MiB / 3), Math.ceil(25 * MiB / 3), 25 * MiB - 2 * Math.ceil(25 * MiB / 3)]);
    assert.equal(parts.at(-1)?.end, 25 * MiB - 1);
  });

  it('refuses what S3 would refuse: small non-final chunks or parts, more than 10,000 parts', () => {
    assert.equal(planParts([src(1 * MiB), src(6 * MiB)], 5 * MiB, 5 * 1024 * MiB), undefined);
    assert.equal(planParts([src(6 * MiB), src(5 * MiB)], 8 * MiB, 5 * 1024 * MiB), undefined); // minimum_chunk_size_mb: 8
    assert.equal(planParts([src(5 * MiB + 1)], 5 * MiB, 5 * MiB), undefined); // two parts of 2.5 MiB
    assert.equal(planParts([src(10_001 * 5 * MiB)], 5 * MiB, 5 * MiB), undefined);
  });
});
