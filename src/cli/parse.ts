/** Option value parsers for commander: a bad value fails with commander's usage error (exit 1). */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Seconds, fractions allowed (e.g. 0.5); returned as milliseconds. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds (>= 0)');
  return Math.round(n * 1000);
}
