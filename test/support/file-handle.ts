/** Open files whose I/O a test watches or alters. */
import type { FileHandle } from 'node:fs/promises';

type Method = 'read' | 'writev' | 'datasync';

/**
 * `handle` with the given methods replaced and every other property passed through (methods
 * bound to the real handle), so the code under test sees an ordinary FileHandle.
 */
export function fileHandleWith(handle: FileHandle, overrides: Partial<Record<Method, (...args: never[]) => unknown>>): FileHandle {
  return new Proxy(handle, {
    get(target, property) {
      const override = overrides[property as Method];
      if (override !== undefined) return override;
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
