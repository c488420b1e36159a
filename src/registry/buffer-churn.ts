import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How many bytes of short-lived buffers may pass between two young-generation collections.
 *
 * An upload's body arrives in ~64 KiB buffers that Node allocates for every socket read and that
 * are dead as soon as they are hashed and written. V8 frees a dead buffer's memory only when it
 * collects the young generation, which it does after about a semi-space (1–16 MB) of JavaScript
 * objects: a push allocates so few objects per byte that 30–50 MB of dead buffers piled up
 * between two collections, a third of the server's resident memory (process.memoryUsage()
 * arrayBuffers sampled during a 1 GiB push). Collecting every 8 MiB keeps that pile at a few
 * MB; one collection of a young generation of dead objects takes well under a millisecond.
 */
export const COLLECT_EVERY = 8 << 20;

type Collect = () => void;

let passed = 0;
/** undefined until first needed; null when this runtime offers no way to collect. */
let collect: Collect | null | undefined;

/** Counts `bytes` of buffers that die now; every COLLECT_EVERY bytes, collects the young generation. */
export function buffersReleased(bytes: number): void {
  passed += bytes;
  if (passed < COLLECT_EVERY) return;
  passed = 0;
  collect ??= youngCollector();
  collect?.();
}

/**
 * V8's `gc({ type: 'minor' })`: the global one when node runs with --expose-gc, else one taken
 * from a fresh context created while the flag is on for that moment only.
 */
function youngCollector(): Collect | null {
  type Gc = (options: { type: 'minor' | 'major' }) => void;
  try {
    let gc = (globalThis as { gc?: Gc }).gc;
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      try {
        gc = runInNewContext('gc') as Gc;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
    const found = gc;
    return typeof found === 'function' ? () => found({ type: 'minor' }) : null;
  } catch {
    return null;
  }
}
