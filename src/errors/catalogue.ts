/**
 * The one catalogue of error codes Wharf can return. Every failure a client sees is one of
 * these entries, thrown as a {@link WharfError} with an optional detail. The OCI codes and
 * their meanings follow the distribution spec v1.1 ("Error Codes" table); the HTTP status is
 * the one the spec's endpoint table (or, where it is silent, Distribution) uses.
 */
export interface ErrorEntry {
  /** The code clients see in `{"errors":[{"code": ...}]}`. */
  readonly code: string;
  readonly status: number;
  /** Short, human text; the `message` field of the envelope. */
  readonly message: string;
  /** When this code is used; checked against docs/errors.md by a test. */
  readonly description: string;
}

function entry(code: string, status: number, message: string, description: string): ErrorEntry {
  return Object.freeze({ code, status, message, description });
}

export const Errors = Object.freeze({
  BLOB_UNKNOWN: entry('BLOB_UNKNOWN', 404, 'blob unknown to registry',
    'The blob is not linked into the repository, or no storage location holds a verified copy.'),
  BLOB_UPLOAD_INVALID: entry('BLOB_UPLOAD_INVALID', 400, 'blob upload invalid',
    'The upload request is malformed (bad Content-Range, missing digest on completion, or the session is finished).'),
  BLOB_UPLOAD_UNKNOWN: entry('BLOB_UPLOAD_UNKNOWN', 404, 'blob upload unknown to registry',
    'The upload session id does not exist in this repository (never created, cancelled or completed).'),
  DIGEST_INVALID: entry('DIGEST_INVALID', 400, 'provided digest did not match uploaded content',
    'The digest is malformed, uses an unsupported algorithm, or does not match the bytes received.'),
  MANIFEST_BLOB_UNKNOWN: entry('MANIFEST_BLOB_UNKNOWN', 400, 'manifest references a manifest or blob unknown to registry',
    'A layer, config or child manifest named by the pushed manifest is not in the repository.'),
  MANIFEST_INVALID: entry('MANIFEST_INVALID', 400, 'manifest invalid',
    'The manifest is not valid JSON, does not match its media type\'s schema, or its digest reference does not match.'),
  MANIFEST_TOO_LARGE: entry('MANIFEST_INVALID', 413, 'manifest too large',
    'The manifest body exceeds the 4 MiB limit (the spec asks for 413 Payload Too Large).'),
  MANIFEST_UNKNOWN: entry('MANIFEST_UNKNOWN', 404, 'manifest unknown to registry',
    'No manifest with that tag or digest exists in the repository.'),
  NAME_INVALID: entry('NAME_INVALID', 400, 'invalid repository name',
    'The repository name does not match the distribution grammar or is longer than 255 characters.'),
  NAME_UNKNOWN: entry('NAME_UNKNOWN', 404, 'repository name not known to registry',
    'The repository does not exist.'),
  SIZE_INVALID: entry('SIZE_INVALID', 400, 'provided length did not match content length',
    'Content-Length or Content-Range disagrees with the bytes received.'),
  UPLOAD_RANGE_INVALID: entry('BLOB_UPLOAD_INVALID', 416, 'requested range not satisfiable',
    'A chunk does not start where the upload currently ends; the response carries the current Range.'),
  BLOB_RANGE_INVALID: entry('RANGE_INVALID', 416, 'requested range not satisfiable',
    'A blob GET asked for a byte range outside the blob; the response carries Content-Range: bytes */size.'),
  TAG_INVALID: entry('MANIFEST_INVALID', 400, 'invalid tag',
    'The tag does not match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.'),
  UNAUTHORIZED: entry('UNAUTHORIZED', 401, 'authentication required',
    'The request needs credentials.'),
  DENIED: entry('DENIED', 403, 'requested access to the resource is denied',
    'The principal may not perform this action.'),
  UNSUPPORTED: entry('UNSUPPORTED', 405, 'the operation is unsupported',
    'The method is not supported on this endpoint.'),
  TOOMANYREQUESTS: entry('TOOMANYREQUESTS', 429, 'too many requests',
    'The client is sending requests too fast.'),
  NOT_FOUND: entry('NOT_FOUND', 404, 'not found',
    'No route matches the request path, or the /api/v1 resource (user, organization, team, robot, repository, tag, token) does not exist or is hidden from the caller.'),
  INVALID_REQUEST: entry('INVALID_REQUEST', 400, 'invalid request',
    'A /api/v1 body, query or path parameter is malformed, a name is taken, or the change is not allowed in the current state (Quay\'s invalid_request).'),
  INVALID_TOKEN: entry('INVALID_TOKEN', 401, 'authentication required',
    'A /api/v1 request carries no credentials, or a wrong password or token (Quay\'s invalid_token).'),
  INSUFFICIENT_SCOPE: entry('INSUFFICIENT_SCOPE', 403, 'insufficient permission',
    'The /api/v1 caller is known but may not perform this action (Quay\'s insufficient_scope); robots reach only what they are granted.'),
  UNAVAILABLE: entry('UNAVAILABLE', 503, 'storage unavailable',
    'No storage location that should hold the content could serve it right now.'),
  INTERNAL: entry('INTERNAL_ERROR', 500, 'internal server error',
    'An unexpected failure; the request id in the logs identifies it.'),
});

export type ErrorName = keyof typeof Errors;
