/**
 * The Redis server for tests that need one (notifiers, caches).
 *
 * - `WHARF_TEST_REDIS_URL` (e.g. redis://127.0.0.1:6379) names it; unset, Redis tests skip...
 * - ...unless `WHARF_TEST_REQUIRE_ALL=1`, in which case `testRedisUrl` throws, so a CI job that
 *   is meant to cover Redis cannot pass by skipping it.
 * The server may be shared (other runs, other suites): every test uses keys and channels under
 * its own `testRedisPrefix()`, and only touches connections it opened.
 */
import { randomBytes } from 'node:crypto';

export const REDIS_SKIP_MESSAGE = 'WHARF_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)';

export function testRedisUrl(): string | undefined {
  const url = process.env.WHARF_TEST_REDIS_URL;
  if (!url && process.env.WHARF_TEST_REQUIRE_ALL === '1') throw new Error(`WHARF_TEST_REQUIRE_ALL=1 but ${REDIS_SKIP_MESSAGE}`);
  return url || undefined;
}

/** A key/channel prefix no other run uses, e.g. `wharf-test-1234-9f3a2b1c:`. */
export function testRedisPrefix(): string {
  return `wharf-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
}
