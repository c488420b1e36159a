import { Errors, WharfError } from '../errors/index.js';
import { type Digest, looksLikeDigest, parseDigest } from './digest.js';

const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** A manifest reference from a URL: either a tag or a digest. */
export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

export function parseTag(input: string): string {
  if (!TAG_PATTERN.test(input)) throw new WharfError(Errors.TAG_INVALID, { tag: input.slice(0, 200) });
  return input;
}

export function parseReference(input: string): Reference {
  if (looksLikeDigest(input)) return { kind: 'digest', digest: parseDigest(input) };
  return { kind: 'tag', tag: parseTag(input) };
}
