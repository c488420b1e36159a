import assert from 'node:assert/strict';
import { setImmediate } from 'node:timers/promises';
import { it } from 'node:test';
import { buffersReleased, COLLECT_EVERY } from './buffer-churn.js';

const MB = 1024 * 1024;

it('dead buffers reported to buffersReleased do not pile up', async () => {
  // 256 MiB of 64 KiB buffers, each dead right after use, as an upload's body pieces are.
  // Left to V8 alone, ~32 MB of them piled up here before a collection.
  let peak = 0;
  for (let i = 0; i < 4096; i += 1) {
    const piece = Buffer.allocUnsafe(64 * 1024).fill(i & 0xff);
    buffersReleased(piece.length);
    if (i % 16 === 0) {
      await setImmediate(); // lets the concurrent sweeper return freed memory
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
  }
  assert.ok(peak < COLLECT_EVERY + 16 * MB, `array buffers peaked at ${(peak / MB).toFixed(1)} MB`);
});
