/**
 * One row of the matrix: an endpoint, the target it runs against, the expected status for each
 * principal, and how to prepare a fresh target for one principal's attempt (so that no attempt
 * depends on what another one did, and the rows can run in any order).
 */
import type { Res } from '../../support/http.js';
import type { Call } from './client.js';
import type { Fixture } from './fixture.js';
import type { Outcomes, PrincipalName } from './principals.js';

export type Surface = 'v2' | 'api';

export interface Attempt {
  readonly call: Call;
  /** /v2 only: the scopes the client asks the token endpoint for, as docker would for this call. */
  readonly scopes?: readonly string[];
  /** The call carries its own credentials (an OAuth2 form): send it without an Authorization header. */
  readonly bare?: boolean;
  /**
   * Checks the effect once the status matched: that an allowed call did its work, or that a
   * refused one changed nothing. `allowed` is true when the expected status is a success.
   */
  readonly check?: (res: Res, allowed: boolean) => Promise<void>;
}

export interface MatrixRow {
  readonly surface: Surface;
  readonly method: string;
  /** The endpoint: `/v2/{name}/manifests/{reference}` or the OpenAPI path template under /api/v1. */
  readonly path: string;
  /** What this row runs against, in words (`acme/private`, `fresh tag`, ...). */
  readonly target: string;
  readonly expect: Outcomes;
  /** Send credentials as Basic on every request (/v2) or use passwords instead of app tokens (/api/v1). */
  readonly basic?: boolean;
  prepare(fx: Fixture, who: PrincipalName): Promise<Attempt>;
}

/** `METHOD path`, the key the OpenAPI document is compared on. */
export function endpointOf(row: Pick<MatrixRow, 'method' | 'path'>): string {
  return `${row.method} ${row.path}`;
}
