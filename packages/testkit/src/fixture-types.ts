// The shapes `fixtures()` returns.
import type { LayerFixture, Platform } from './image-writer.js';
import type { MaliciousKind } from './image-contents.js';
import type { TreeEntry } from './multilayer.js';

/**
 * Bump when the content of any fixture changes (images, layer writer, registry seeding). The
 * cache lives under `/var/cache/tdock-kit/<KIT_VERSION>/`, so a bump makes every machine rebuild
 * (the debootstrap base has its own version, {@link DEBIAN_BASE_VERSION}).
 */
export const KIT_VERSION = 'v1';
/** Version of the cached debootstrap base tar (bump to re-run debootstrap everywhere). */
export const DEBIAN_BASE_VERSION = 'v1';
/** Default cache root. */
export const DEFAULT_CACHE_ROOT = '/var/cache/tdock-kit';

/** A single-platform image of the kit, pushed to the registry under `reference`. */
export interface ImageFixture {
  /** Short name: 'busybox', 'debian', 'multilayer', 'malicious-traversal', ... */
  name: string;
  /** Repository inside the registry, e.g. `kit/busybox`. */
  repository: string;
  tag: string;
  /** `repository:tag`, e.g. `kit/busybox:latest`. */
  reference: string;
  /** The reference inside a running registry: `refIn('127.0.0.1:5000')` → `127.0.0.1:5000/kit/busybox:latest`. */
  refIn(host: string): string;
  /** OCI layout directory (oci-layout, index.json naming the manifest with ref name `ociRef`, blobs/sha256). */
  ociLayout: string;
  /** The `org.opencontainers.image.ref.name` of the image in `ociLayout` ('latest'). */
  ociRef: string;
  /** A `docker save` archive (Docker 25+ format) tagged `reference`. */
  saveArchive: string;
  /** Digest of the manifest the registry serves for `reference` (Docker schema 2, pushed with skopeo). */
  manifestDigest: string;
  /** Media type of that manifest. */
  manifestMediaType: string;
  /** Digest of the OCI manifest in `ociLayout`. */
  ociManifestDigest: string;
  /** Digest of the manifest inside `saveArchive` (names uncompressed layers). */
  saveManifestDigest: string;
  /** Digest of the image config (identical in every form: the image ID). */
  configDigest: string;
  /** Layers, bottom first (gzip blobs as in the registry and the OCI layout). */
  layers: LayerFixture[];
  platform: Platform;
}

/** The busybox image, plus its unpacked rootfs and a second tag pushed as an OCI manifest. */
export interface BusyboxFixture extends ImageFixture {
  /** The unpacked rootfs directory (read-only: copy or overlay it, never modify it). */
  rootfs: string;
  /** `kit/busybox:oci`: the same image pushed as an OCI manifest (digest `ociManifestDigest`). */
  ociReference: string;
}

/** The multilayer image plus the merged tree a correct store produces. */
export interface MultilayerFixture extends ImageFixture {
  /** Every path of the merged rootfs (sorted), with type, mode, owner, size/digest, linkname, xattrs, hardlink groups. */
  expectedTree: TreeEntry[];
  /** The same as JSON. */
  expectedTreeFile: string;
}

/** One platform entry of the index fixture. */
export interface IndexEntryFixture {
  platform: Platform;
  /** OCI manifest digest (as in the index). */
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  layers: LayerFixture[];
}

/** The multi-platform OCI image index of busybox (host arch = real busybox; the other arch a tiny layer). */
export interface IndexFixture {
  name: string;
  repository: string;
  tag: string;
  reference: string;
  refIn(host: string): string;
  ociLayout: string;
  ociRef: string;
  /** A `docker save` archive as the containerd image store writes it (the index in index.json; manifest.json names the host platform). */
  saveArchive: string;
  /** Digest of the OCI image index (served unchanged by the registry). */
  indexDigest: string;
  indexSize: number;
  mediaType: string;
  /** The entries, host platform first. */
  manifests: IndexEntryFixture[];
}

/** A malicious one-layer image. */
export interface MaliciousImageFixture extends ImageFixture {
  kind: MaliciousKind;
  description: string;
  /** Host paths a broken unpacker would create or change. */
  escapes: string[];
  /** The raw (uncompressed) layer tar, for unit tests of an unpacker. */
  layerTar: string;
}

/** Everything `fixtures()` returns. */
export interface Fixtures {
  version: string;
  /** The cache directory of this version. */
  dir: string;
  /** Registry storage root holding every fixture (seed for `startRegistry`; never serve it in place). */
  registryStorage: string;
  busybox: BusyboxFixture;
  debian: ImageFixture;
  multilayer: MultilayerFixture;
  index: IndexFixture;
  malicious: Record<MaliciousKind, MaliciousImageFixture>;
  /** Every tag in the registry: reference, manifest digest and media type. */
  pushed: PushedReference[];
}

/** One tag pushed into the fixture registry. */
export interface PushedReference {
  reference: string;
  digest: string;
  mediaType: string;
}
