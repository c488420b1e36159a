/**
 * Credentials on `/api/v1`, in both AUTHENTICATION_TYPEs (the management API is about accounts,
 * so it always knows who calls): `Bearer <API token>` (a token a user created), Basic user or
 * robot credentials, or none (anonymous: only `anyone` routes answer). Wrong or malformed
 * credentials are 401 INVALID_TOKEN, never a silent downgrade to anonymous.
 */
import { parseAuthorization } from '../../auth/authenticator.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { ANONYMOUS } from '../../auth/principal.js';
import { Errors, isWharfError, WharfError } from '../../errors/index.js';
import type { ApiAuthenticate } from '../api/router.js';

export function apiAuthenticate(authenticator: Authenticator): ApiAuthenticate {
  return async (request) => {
    let credentials;
    try {
      credentials = parseAuthorization(request.headers.authorization);
    } catch (err) {
      if (isWharfError(err) && err.entry === Errors.UNAUTHORIZED) throw new WharfError(Errors.INVALID_TOKEN, err.detail);
      throw err;
    }
    if (!credentials) return ANONYMOUS;
    const principal =
      credentials.kind === 'bearer'
        ? await authenticator.apiToken(credentials.token, request.ip)
        : await authenticator.password(credentials.username, credentials.password, request.ip);
    if (!principal) throw new WharfError(Errors.INVALID_TOKEN, credentials.kind === 'bearer' ? 'the token is not valid' : 'wrong user name or password');
    return principal;
  };
}
