import { TdockError, type ErrorKind } from '@tdock/core';

/**
 * Distribution error codes (distribution/registry/api/errcode and api/v2 descriptors), plus the
 * client-side codes this package raises itself: DIGEST_MISMATCH, SIZE_MISMATCH, NO_MATCHING_PLATFORM,
 * UNSUPPORTED_MANIFEST, CONNECTION, TLS.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID' | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'MANIFEST_UNVERIFIED' | 'NAME_INVALID' | 'NAME_UNKNOWN' | 'SIZE_INVALID'
  | 'TAG_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED' | 'TOOMANYREQUESTS' | 'UNAVAILABLE' | 'UNKNOWN'
  | 'DIGEST_MISMATCH' | 'SIZE_MISMATCH' | 'NO_MATCHING_PLATFORM' | 'UNSUPPORTED_MANIFEST' | 'CONNECTION' | 'TLS';

const KINDS: Partial<Record<RegistryErrorCode, ErrorKind>> = {
  BLOB_UNKNOWN: 'not-found', MANIFEST_UNKNOWN: 'not-found', NAME_UNKNOWN: 'not-found', MANIFEST_BLOB_UNKNOWN: 'not-found',
  BLOB_UPLOAD_UNKNOWN: 'not-found', NO_MATCHING_PLATFORM: 'not-found',
  UNAUTHORIZED: 'unauthorized', DENIED: 'forbidden',
  NAME_INVALID: 'invalid-argument', TAG_INVALID: 'invalid-argument', MANIFEST_INVALID: 'invalid-argument',
  DIGEST_INVALID: 'invalid-argument', SIZE_INVALID: 'invalid-argument', BLOB_UPLOAD_INVALID: 'invalid-argument',
  UNSUPPORTED: 'not-implemented', UNSUPPORTED_MANIFEST: 'not-implemented',
  TOOMANYREQUESTS: 'unavailable', UNAVAILABLE: 'unavailable', CONNECTION: 'unavailable', TLS: 'unavailable',
};

/** One entry of a distribution error body `{"errors":[{code,message,detail}]}`. */
export interface DistributionErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** Options of a {@link RegistryError}. */
export interface RegistryErrorOptions {
  /** HTTP status, 0 when no response was received or the error is client-side. */
  status?: number;
  retryable?: boolean;
  /** All entries of the registry's error body (the first one gives `code`). */
  errors?: DistributionErrorEntry[];
  cause?: unknown;
}

/**
 * An error from a registry exchange. `code` is the distribution error code (or a client-side one),
 * `status` the HTTP status (0 without a response), `retryable` whether the same request may succeed
 * later. The message never contains credentials or tokens.
 */
export class RegistryError extends TdockError {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: DistributionErrorEntry[];

  constructor(code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    const status = options.status ?? 0;
    super(KINDS[code] ?? (status >= 500 ? 'unavailable' : 'internal'), message, { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = status;
    this.retryable = options.retryable ?? (code === 'TOOMANYREQUESTS' || code === 'UNAVAILABLE' || code === 'CONNECTION' || status >= 500);
    this.errors = options.errors ?? [];
  }
}

const KNOWN = new Set<string>(Object.keys(KINDS).concat(['UNKNOWN', 'MANIFEST_UNVERIFIED']));

/** Distribution's wording for a code: `MANIFEST_UNKNOWN` → `manifest unknown` (errcode.ErrorCode.Error). */
export function codeText(code: string): string {
  return code.toLowerCase().replace(/_/g, ' ');
}

function codeFromStatus(status: number): RegistryErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NAME_UNKNOWN';
  if (status === 429) return 'TOOMANYREQUESTS';
  if (status === 503 || status === 502 || status === 504) return 'UNAVAILABLE';
  return 'UNKNOWN';
}

/**
 * A RegistryError from an error response. `body` is the response text (possibly empty or not
 * JSON); `what` says what was asked for, e.g. `manifest for localhost:5000/a:t`.
 */
export function errorFromResponse(status: number, body: string, what: string, notFoundCode?: RegistryErrorCode): RegistryError {
  let entries: DistributionErrorEntry[] = [];
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      entries = parsed.errors.filter((e): e is DistributionErrorEntry => typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string');
    }
  } catch {
    // not a distribution error body
  }
  const first = entries[0];
  let code: RegistryErrorCode = first && KNOWN.has(first.code) ? (first.code as RegistryErrorCode) : codeFromStatus(status);
  if (!first && status === 404 && notFoundCode) code = notFoundCode;
  const detail = first
    ? `${codeText(first.code)}: ${first.message ?? codeText(first.code)}`
    : `${codeText(code)}: ${status} ${sanitize(body).slice(0, 200) || 'no details'}`;
  return new RegistryError(code, `${what}: ${detail}`, { status, errors: entries });
}

/** Strips anything that looks like a credential or token from a text meant for a message. */
export function sanitize(text: string): string {
  return text
    .replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***')
    .replace(/(authorization["']?\s*[:=]\s*)[^\r\n]*/gi, '$1***')
    .replace(/(token|access_token|refresh_token|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',&]+/gi, '$1$2***')
    .replace(/\/\/[^/@\s]+:[^/@\s]+@/g, '//***@')
    .trim();
}
