import { Errors, WharfError } from '../errors/index.js';

/** The distribution grammar: path components of lowercase alphanumerics joined by separators. */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_PATTERN = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/** Longest accepted name; Distribution and the spec's conformance suite use 255. */
export const MAX_NAME_LENGTH = 255;

/** The namespace a single-component name (e.g. `ubuntu`) belongs to, as in Quay. */
export const LIBRARY_NAMESPACE = 'library';

export interface RepositoryName {
  /** The full name clients use, e.g. `acme/web/api`. */
  readonly value: string;
  /** The first path component, or `library` for single-component names. */
  readonly namespace: string;
}

/**
 * Validates a repository name. The grammar admits no `.` component, no `%`, no leading `/`,
 * so a valid name can never escape anything it is joined into.
 */
export function parseRepositoryName(input: string): RepositoryName {
  if (input.length === 0 || input.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(input)) {
    throw new WharfError(Errors.NAME_INVALID, { name: input.slice(0, 300) });
  }
  const slash = input.indexOf('/');
  return { value: input, namespace: slash === -1 ? LIBRARY_NAMESPACE : input.slice(0, slash) };
}
