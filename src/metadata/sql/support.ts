/** Small helpers shared by the per-aggregate stores. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** The pool or a transaction: every store runs on whichever it is given. */
export type Db = Kysely<Database>;

export const now = (): number => Date.now();

/**
 * Runs `fn` atomically: inside the caller's transaction when `db` is one (so it commits or rolls
 * back with the caller's work), otherwise in a transaction of its own.
 */
export function atomic<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute((tx: Transaction<Database>) => fn(tx));
}

/**
 * Wraps every method of a store so that a failure names the operation, e.g.
 * `tags.put: UNIQUE constraint failed: ...`; the driver's error stays as `cause`. Errors for
 * which `passThrough` is true are the contract's own (e.g. LastCopyError) and reach the caller as they are.
 */
export function named<T extends object>(aggregate: string, methods: T, passThrough: (e: unknown) => boolean = () => false): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(methods) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (passThrough(e)) throw e;
        const message = e instanceof Error ? e.message : String(e);
        throw new Error(`${aggregate}.${name}: ${message}`, { cause: e });
      }
    };
  }
  return Object.freeze(wrapped) as T;
}

/** Splits long `IN (...)` lists: both dialects cap the number of bound parameters. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson(text: string): unknown {
  return JSON.parse(text);
}

/** Kysely reports affected rows as bigint. */
export function count(n: bigint | undefined): number {
  return Number(n ?? 0n);
}
