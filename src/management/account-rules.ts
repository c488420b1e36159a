/**
 * What a valid account name, e-mail address and password look like (Quay's rules, so that names
 * move between Quay and Wharf unchanged). Every check throws INVALID_REQUEST with a message the
 * caller can act on, before anything is written.
 */
import { Errors, WharfError } from '../errors/index.js';

/** Users, organizations and teams: lowercase letters and digits, single `.`, `_` or `-` between them. */
const NAMESPACE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const MIN_NAME = 2;
const MAX_NAME = 255;
/** A robot's part after `namespace+` (Quay's robot pattern). */
const ROBOT_SHORT_NAME = /^[a-z][a-z0-9_]{1,254}$/;
const MIN_PASSWORD = 8;
const MAX_EMAIL = 254;

function invalid(message: string): WharfError {
  return new WharfError(Errors.INVALID_REQUEST, message);
}

function checkName(name: string, what: string): void {
  if (name.length < MIN_NAME || name.length > MAX_NAME) throw invalid(`${what} must be between ${MIN_NAME} and ${MAX_NAME} characters long`);
  if (!NAMESPACE_NAME.test(name)) {
    throw invalid(`${what} ${JSON.stringify(name)} is invalid: use lowercase letters and digits, separated by single '.', '_' or '-'`);
  }
}

/** A user or organization name (they share one namespace). */
export function checkNamespaceName(name: string, what: 'username' | 'organization name' = 'username'): void {
  checkName(name, what);
}

export function checkTeamName(name: string): void {
  checkName(name, 'team name');
}

export function checkRobotShortName(shortName: string): void {
  if (!ROBOT_SHORT_NAME.test(shortName)) {
    throw invalid(`robot name ${JSON.stringify(shortName)} is invalid: 2 to 255 characters, a lowercase letter first, then lowercase letters, digits or '_'`);
  }
}

/** Quay's check: one `@`, a non-empty local part, a domain of at least two non-empty labels. */
export function checkEmail(email: string): void {
  const parts = email.split('@');
  const valid =
    email.length <= MAX_EMAIL &&
    parts.length === 2 &&
    parts[0] !== '' &&
    !/\s/.test(email) &&
    (parts[1] ?? '').split('.').every((label) => label !== '') &&
    (parts[1] ?? '').split('.').length >= 2;
  if (!valid) throw invalid(`${JSON.stringify(email.slice(0, 300))} is not a valid e-mail address`);
}

/** An optional e-mail from a request: empty means none. */
export function normalizeEmail(email: string | undefined | null): string | undefined {
  const trimmed = email?.trim();
  if (!trimmed) return undefined;
  checkEmail(trimmed);
  return trimmed;
}

/** Quay's rule: at least 8 characters, no whitespace. The message never echoes the password. */
export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || /\s/.test(password)) {
    throw invalid(`the password must be at least ${MIN_PASSWORD} characters long and contain no whitespace`);
  }
}
