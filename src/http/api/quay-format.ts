/** Value formats Quay's /api/v1 uses, and the zod pieces for its query parameters. */
import { z } from 'zod';

/** RFC 2822 in UTC with Quay's `-0000` zone (Python's email.utils.formatdate), e.g. `Tue, 01 Dec 2026 09:30:00 -0000`. */
export function quayDate(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '-0000');
}

/** Epoch seconds, as Quay's `start_ts`, `end_ts` and `last_modified` numbers. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Quay's repository states are enum names: `normal` → `NORMAL`, `read-only` → `READ_ONLY`. */
export function quayState(state: string): string {
  return state.toUpperCase().replace(/-/g, '_');
}

/** A boolean query parameter as Quay reads them: `true`, `1`, `yes` (any case) are true, anything else false. */
export function flag(description: string, byDefault = false) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined ? byDefault : ['true', '1', 'yes'].includes(v.toLowerCase())))
    .describe(`${description} (true/false, default ${byDefault})`);
}

/** A positive integer query parameter. */
export function positiveInt(description: string) {
  return z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().describe(description);
}

/** `{repository}` path parameter: the full name, slashes included. */
export const repositoryParam = z.string().describe('The full path of the repository, e.g. namespace/name (may contain further slashes)');
