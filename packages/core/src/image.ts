/**
 * The image a pull hands to the store: what registry-client returns and the engine's store consumes.
 * Modelled on go-containerregistry's `v1.Image`/`v1.Layer`, kept small. Manifests and configs are
 * small and kept as the exact bytes received (their digests are computed over those bytes); layers
 * are streams, opened on demand and verified as they are read.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from './oci.js';
import type { Reference } from './reference.js';

/** Options for opening a blob stream. */
export interface OpenOptions {
  /** Aborts the download; the stream is destroyed with an AbortError. */
  signal?: AbortSignal;
  /**
   * Start reading at this byte offset (for resuming a partial download held elsewhere). The
   * digest check then needs the hash state of the bytes before it, so a stream opened with an
   * offset checks only the size; the caller verifies the digest over the whole blob.
   */
  offset?: number;
  /**
   * `false`: the stream checks only the size, not the digest, for a caller that hashes the bytes
   * itself as it stores them (the engine's content store verifies at commit), so they are not
   * hashed twice. Default true.
   */
  verifyDigest?: boolean;
}

/**
 * One layer blob of an image (compressed as stored in the registry).
 *
 * Lifecycle: `open()` may be called any number of times; each call starts a new download. The
 * returned stream yields the blob's bytes and is verified as it is read: if the size or the digest
 * does not match the descriptor, the stream emits an error before `'end'`, so a consumer that
 * sees `'end'` (or a resolved `pipeline`) has received exactly the bytes of `digest`.
 */
export interface Layer {
  descriptor: Descriptor;
  /** Same as `descriptor.digest`. */
  digest: string;
  /** Same as `descriptor.size`. */
  size: number;
  /** Same as `descriptor.mediaType`. */
  mediaType: string;
  /** Digest of the uncompressed tar, from the config's `rootfs.diff_ids` when known. */
  diffId?: string;
  open(options?: OpenOptions): Promise<Readable>;
}

/** The index (manifest list) an image was selected from, when the reference named one. */
export interface ImageIndexSource {
  digest: string;
  /** The exact bytes received. */
  bytes: Uint8Array;
  mediaType: string;
}

/**
 * A resolved single-platform image. Everything but the layer contents is already fetched and
 * verified: `manifestBytes` hash to `manifestDigest`, `configBytes` hash to `manifest.config.digest`.
 */
export interface Image {
  /** The reference it was resolved from (normalised; may carry a tag, a digest or both). */
  reference: Reference;
  /** Digest of the platform manifest (not of the index). */
  manifestDigest: string;
  /** The exact manifest bytes received. */
  manifestBytes: Uint8Array;
  manifestMediaType: string;
  manifest: ImageManifest;
  /** The exact config bytes received. */
  configBytes: Uint8Array;
  config: ImageConfig;
  /** Bottom layer first, as in the manifest. */
  layers: Layer[];
  /** The platform selected (from the index entry, or the config when there was no index). */
  platform: Platform;
  /** Present when the reference resolved to an index and a platform was chosen from it. */
  index?: ImageIndexSource;
}
