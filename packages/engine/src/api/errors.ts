import { ERROR_KINDS, TdockError, errorKindOf, type ErrorKind } from '@tdock/core';

/** The one mapping from error kind to HTTP status (DESIGN §7). A Record keeps it exhaustive at compile time. */
export const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  'not-found': 404,
  conflict: 409,
  'invalid-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  'not-implemented': 501,
  'not-modified': 304,
  internal: 500,
};

/** An error ready for the wire: status and Docker's `{"message"}` body. */
export interface HttpError {
  status: number;
  message: string;
}

/** Fastify's own error codes that are really the client's fault, with Docker-like wording. */
const FASTIFY_CODES: Record<string, (e: { message: string }) => HttpError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => ({ status: 400, message: 'invalid JSON: invalid character in request body' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({ status: 400, message: 'invalid JSON: got EOF while reading request body' }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => ({ status: 400, message: 'unsupported Content-Type header' }),
  FST_ERR_CTP_BODY_TOO_LARGE: () => ({ status: 413, message: 'request body too large' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({ status: 400, message: 'invalid Content-Length' }),
  FST_ERR_BAD_URL: () => ({ status: 400, message: 'invalid URL' }),
};

/** Maps any thrown value to a status and message: typed errors by kind, Fastify's by code, SyntaxError as bad JSON. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof TdockError || errorKindOf(err) !== 'internal') {
    return { status: STATUS_BY_KIND[errorKindOf(err)], message: (err as Error).message };
  }
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; message?: unknown; statusCode?: unknown };
    const msg = typeof e.message === 'string' ? e.message : String(err);
    if (typeof e.code === 'string' && e.code in FASTIFY_CODES) return FASTIFY_CODES[e.code]({ message: msg });
    if (err instanceof SyntaxError) return { status: 400, message: `invalid JSON: ${msg}` };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, message: msg };
    return { status: 500, message: msg };
  }
  return { status: 500, message: String(err) };
}

/** Every kind with its status; used by the test that proves the mapping is complete. */
export function errorKindStatuses(): Array<[ErrorKind, number]> {
  return ERROR_KINDS.map((k) => [k, STATUS_BY_KIND[k]]);
}

/** The JSON error body, compact as Go's encoder writes it. */
export function errorBody(message: string): string {
  return JSON.stringify({ message }) + '\n';
}
