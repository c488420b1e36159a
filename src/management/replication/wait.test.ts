import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LocationStatus, ReplicationStatus } from '../../metadata/store.js';
import { verdict, waitForReplication } from './wait.js';

const loc = (over: Partial<LocationStatus> = {}): LocationStatus => ({ id: 1, name: 'eu', required: 3, present: 3, missing: 0, queued: 0, dead: 0, unqueued: 0, oldestPendingAgeMs: undefined, ...over });
const status = (over: Partial<LocationStatus> = {}, unreplicable = 0): ReplicationStatus => ({
  locations: [loc(), loc({ id: 2, name: 'us', ...over })],
  jobs: { pending: 0, running: 0, done: 0, dead: 0 },
  lost: unreplicable,
  unreplicable,
  deadJobs: [],
});

describe('replication wait', () => {
  it('converged when nothing is missing; dead jobs and blobs without a copy never converge', () => {
    assert.equal(verdict(status()), 'converged');
    assert.equal(verdict(status({ missing: 2, queued: 2 })), undefined);
    assert.equal(verdict(status({ missing: 2, queued: 1, dead: 1 })), 'dead');
    assert.equal(verdict(status({ missing: 1 }, 1)), 'unreplicable');
    assert.equal(verdict(status({}, 1)), 'converged'); // a blob with no copy that nothing requires
  });

  it('polls until converged, or times out', async () => {
    const reads = [status({ missing: 2, queued: 2 }), status({ missing: 1, queued: 1 }), status()];
    const polled: number[] = [];
    const done = await waitForReplication(async () => reads.shift()!, { timeoutMs: 5_000, intervalMs: 1, onPoll: (s) => polled.push(s.locations[1]!.missing) });
    assert.deepEqual([done.outcome, polled], ['converged', [2, 1, 0]]);
    const started = Date.now();
    const late = await waitForReplication(async () => status({ missing: 1, queued: 1 }), { timeoutMs: 60, intervalMs: 20 });
    assert.equal(late.outcome, 'timeout');
    assert.ok(Date.now() - started >= 55);
  });
});
