import { createHash, type Hash } from 'node:crypto';
import { parseDigest } from '@tdock/core';
import { RegistryError } from './errors.js';

/** The node:crypto name of a digest algorithm (`sha256` → `sha256`), validated. */
function hashFor(digest: string): { hash: Hash; algorithm: string } {
  const { algorithm } = parseDigest(digest);
  return { hash: createHash(algorithm), algorithm };
}

/** `algorithm:hex` of some bytes (sha256 unless another algorithm is named). */
export function digestOf(data: Uint8Array | string, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/**
 * Checks bytes against an expected digest and size as they pass. `update` throws as soon as more
 * than `size` bytes arrive; `finish` throws on a short read or a digest mismatch. Nothing read
 * through a verifier may be treated as valid before `finish` returned.
 */
export class Verifier {
  readonly digest: string;
  readonly size: number | undefined;
  private readonly hash: Hash;
  private readonly algorithm: string;
  private readonly what: string;
  private count = 0;

  /** `what` names the content in messages (`blob`, `manifest`, `config`). */
  constructor(digest: string, size?: number, what = 'blob') {
    this.digest = digest;
    this.size = size;
    this.what = what;
    ({ hash: this.hash, algorithm: this.algorithm } = hashFor(digest));
  }

  get received(): number {
    return this.count;
  }

  update(chunk: Uint8Array): void {
    this.count += chunk.byteLength;
    if (this.size !== undefined && this.count > this.size) {
      throw new RegistryError('SIZE_MISMATCH', `${this.what} ${this.digest}: received more than the expected ${this.size} bytes`);
    }
    this.hash.update(chunk);
  }

  finish(): void {
    if (this.size !== undefined && this.count !== this.size) {
      throw new RegistryError('SIZE_MISMATCH', `${this.what} ${this.digest}: received ${this.count} bytes, expected ${this.size}`);
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.digest) {
      throw new RegistryError('DIGEST_MISMATCH', `${this.what} ${this.digest}: digest mismatch, content hashes to ${actual}`);
    }
  }
}

/** Verifies a whole in-memory blob (manifests, configs). */
export function verifyBytes(bytes: Uint8Array, digest: string, size?: number, what = 'blob'): void {
  const v = new Verifier(digest, size, what);
  v.update(bytes);
  v.finish();
}
