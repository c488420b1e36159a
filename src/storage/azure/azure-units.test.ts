import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { blockId, blockIds, blocksOf, parseSession } from './blocks.js';
import { CopyWaitError, isComplete, waitForCopy, type CopyProbe } from './copy.js';
import { azureStorageParams, azureTarget, sasGrantsRead } from './params.js';
import { RequestTimeout, withTimeout } from './timeout.js';

async function all(source: AsyncIterable<Buffer>): Promise<number[]> {
  const sizes: number[] = [];
  for await (const block of source) sizes.push(block.length);
  return sizes;
}

/** A fake clock: sleeping advances it. */
function clock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe('AzureStorage blocks', () => {
  it('splits a stream into fixed-size blocks whatever the chunking', async () => {
    assert.deepEqual(await all(blocksOf(Readable.from([Buffer.alloc(5), Buffer.alloc(12), Buffer.alloc(3)]), 8)), [8, 8, 4]);
    assert.deepEqual(await all(blocksOf(Readable.from([Buffer.alloc(16)]), 8)), [8, 8]);
    assert.deepEqual(await all(blocksOf(Readable.from([]), 8)), []);
  });

  it('derives equal-length block ids from the runs of a session', () => {
    const ids = blockIds({ runs: [['0a0b0c0d', 2], ['ffffffff', 1]] });
    assert.deepEqual(ids.map((id) => Buffer.from(id, 'base64').toString()), ['0a0b0c0d-000000', '0a0b0c0d-000001', 'ffffffff-000000']);
    assert.equal(new Set([blockId('00000000', 0), blockId('00000000', 49_999)].map((id) => id.length)).size, 1);
  });

  it('accepts only its own session states', () => {
    assert.deepEqual(parseSession({ id: 'x', size: 0 }, 'k'), { runs: [] });
    assert.throws(() => parseSession({ id: 'x', size: 3 }, 'k'), { kind: 'conflict' });
    assert.throws(() => parseSession({ id: 'x', size: 3, driverState: { runs: [['../', 1]] } }, 'k'), { kind: 'conflict' });
  });
});

describe('AzureStorage copies (polling)', () => {
  const run = (states: CopyProbe[], deadline = 3_600_000, signal?: AbortSignal) => {
    const c = clock();
    let i = 0;
    const probe = async () => states[Math.min(i++, states.length - 1)] as CopyProbe;
    return { c, done: waitForCopy('id1', probe, { deadline, now: c.now, sleep: c.sleep, ...(signal ? { signal } : {}) }) };
  };
  const pending = { copyId: 'id1', copyStatus: 'pending' };

  it('polls with backoff until success, past Quay’s 30 s', async () => {
    const { c, done } = run([...Array(20).fill(pending), { copyId: 'id1', copyStatus: 'success' }]);
    await done;
    assert.ok(c.now() > 30_000, `${c.now()}`);
  });

  it('fails on a failed, replaced or overdue copy, and on abort', async () => {
    await assert.rejects(run([pending, { copyId: 'id1', copyStatus: 'failed', copyStatusDescription: '500 InternalError' }]).done, /copy failed: 500/);
    await assert.rejects(run([{ copyId: 'other', copyStatus: 'pending' }]).done, (e) => e instanceof CopyWaitError && e.reason === 'superseded');
    await assert.rejects(run([pending], 10_000).done, (e) => e instanceof CopyWaitError && e.reason === 'timeout');
    await assert.rejects(run([pending], 10_000, AbortSignal.abort()).done, (e) => e instanceof CopyWaitError && e.reason === 'aborted');
  });

  it('treats pending, failed and aborted copy destinations as absent', () => {
    assert.deepEqual(['pending', 'failed', 'aborted', 'success', undefined].map(isComplete), [false, false, false, true, true]);
  });
});

describe('AzureStorage parameters and helpers', () => {
  it('derives the account URL and key prefix', () => {
    const t = azureTarget(azureStorageParams.parse({ azure_container: 'wharf', azure_account_name: 'acct', storage_path: '/registry/', sas_token: '?sv=1&sp=r&sr=c' }));
    assert.equal(t.accountUrl, 'https://acct.blob.core.windows.net');
    assert.equal(t.prefix, 'registry/');
    assert.equal(t.sasToken, 'sv=1&sp=r&sr=c');
  });

  it('tells whether a SAS token grants read', () => {
    assert.equal(sasGrantsRead('sv=1&sp=rl&sr=c&sig=x'), true);
    assert.equal(sasGrantsRead('sv=1&ss=b&srt=sco&sp=rwdl&sig=x'), true);
    assert.equal(sasGrantsRead('sv=1&sp=cw&sr=c&sig=x'), false);
    assert.equal(sasGrantsRead('sv=1&ss=b&srt=sc&sp=rl&sig=x'), false, 'no object access');
  });

  it('bounds a request that never answers', async () => {
    await assert.rejects(withTimeout(20, (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))), RequestTimeout);
    assert.equal(await withTimeout(1_000, async () => 'fast'), 'fast');
  });
});
