import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, isWharfError, WharfError } from '../errors/index.js';

/** Fastify's own errors that are the client's fault, mapped into the catalogue. */
function fromFastify(err: FastifyError): WharfError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new WharfError(Errors.SIZE_INVALID, err.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WharfError(Errors.MANIFEST_TOO_LARGE, err.message);
    default:
      return err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500
        ? new WharfError({ ...Errors.UNSUPPORTED, status: err.statusCode }, err.message)
        : undefined;
  }
}

/**
 * Writes every failure as the OCI envelope `{"errors":[{code,message,detail}]}` with the
 * catalogue's status. Anything not in the catalogue is a 500, logged with the request id.
 */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const known = isWharfError(err) ? err : fromFastify(err as FastifyError);
  const error = known ?? new WharfError(Errors.INTERNAL, { requestId: request.id });
  if (!known) request.log.error({ err }, 'unhandled error');
  else if (error.entry.status >= 500) request.log.warn({ err }, error.entry.message);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  const body = request.url.startsWith('/api/') ? quayEnvelope(error) : { errors: [{ code: error.entry.code, message: error.entry.message, detail: error.detail ?? null }] };
  reply.code(error.entry.status).type('application/json');
  // HEAD responses carry the status and headers only.
  if (request.method === 'HEAD') reply.send();
  else reply.send(body);
}

/** Quay's /api/v1 error body: `error_type` is the catalogue code in lower case. */
function quayEnvelope(error: WharfError): Record<string, unknown> {
  const type = error.entry.code.toLowerCase();
  const detail = typeof error.detail === 'string' ? error.detail : error.detail === undefined ? error.entry.message : JSON.stringify(error.detail);
  return { status: error.entry.status, error_type: type, title: type, error_message: detail, detail };
}
