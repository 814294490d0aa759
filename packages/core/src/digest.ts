/**
 * Digest strings (`algorithm:encoded`), validated as opencontainers/go-digest does. Pure string
 * functions: hashing itself lives where I/O lives (registry-client, the engine's content store).
 */
import { TdockError } from './errors.js';

/** Digest algorithms with their hex length, as go-digest registers them. */
export const DIGEST_ALGORITHMS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** go-digest's DigestRegexp: any well-formed digest, including unsupported algorithms. */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** A digest split into its parts. */
export interface ParsedDigest {
  algorithm: string;
  encoded: string;
}

/**
 * The go-digest validation error for `s`, or undefined when it is valid. Messages are go-digest's:
 * `invalid checksum digest format`, `invalid checksum digest length`, `unsupported digest algorithm`.
 */
export function digestError(s: string): string | undefined {
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) return 'invalid checksum digest format';
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  const length = DIGEST_ALGORITHMS[algorithm];
  if (length === undefined) {
    return DIGEST_PATTERN.test(s) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
  }
  if (encoded.length !== length) return 'invalid checksum digest length';
  if (!/^[a-f0-9]+$/.test(encoded)) return 'invalid checksum digest format';
  return undefined;
}

/** True when `s` is a valid digest of a supported algorithm. */
export function isDigest(s: string): boolean {
  return digestError(s) === undefined;
}

/** Parses and validates a digest; throws an `invalid-argument` TdockError with go-digest's wording. */
export function parseDigest(s: string): ParsedDigest {
  const err = digestError(s);
  if (err !== undefined) throw new TdockError('invalid-argument', err);
  const i = s.indexOf(':');
  return { algorithm: s.slice(0, i), encoded: s.slice(i + 1) };
}

/** `sha256:<hex>` from a hex string (validated). */
export function sha256Digest(hex: string): string {
  const digest = `sha256:${hex}`;
  parseDigest(digest);
  return digest;
}

/** The hex part of a digest, for use as a file name or short id (validated). */
export function digestHex(digest: string): string {
  return parseDigest(digest).encoded;
}

/** Docker's 12-character short form of an id or digest (`sha256:` stripped). */
export function shortId(idOrDigest: string): string {
  const i = idOrDigest.indexOf(':');
  return (i >= 0 ? idOrDigest.slice(i + 1) : idOrDigest).slice(0, 12);
}
