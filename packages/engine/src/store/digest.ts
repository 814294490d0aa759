import { createHash } from 'node:crypto';
import { invalidArgument } from '@tdock/core';

const DIGEST_RE = /^sha256:([a-f0-9]{64})$/;

/** The hex part of a `sha256:<hex>` digest; throws invalid-argument for anything else. */
export function digestHex(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw invalidArgument(`invalid digest: ${JSON.stringify(digest)}`);
  return m[1]!;
}

/** Whether `s` is a well-formed `sha256:<hex>` digest. */
export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Chain IDs (OCI image-spec config.md): chainID(1) = diffID(1),
 * chainID(n) = sha256(chainID(n-1) + " " + diffID(n)). Returns one per layer.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256Digest(`${prev} ${d}`));
  }
  return out;
}

/** The first 12 hex characters of a digest: Docker's short id for layers and images. */
export function shortId(digest: string): string {
  const i = digest.indexOf(':');
  return digest.slice(i + 1, i + 13);
}
