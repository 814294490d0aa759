/**
 * What the builder needs from the engine, as small role interfaces. The builder never touches files, processes or
 * the network itself: the engine implements {@link BuildBackend} over its image store, snapshotter, runtime and build
 * cache. A root filesystem is named by its chain of layers ({@link RootfsChain}); the backend materialises it (an
 * overlay of those layers) as it sees fit.
 */
import type { ContainerConfig, History, ImageConfig } from '@tdock/core';
import type { CacheKeyParts } from './cache-key.js';
import type { StepFile } from './dispatch.js';
import type { SourceContent } from './instructions.js';
import type { RunMount } from './run-mount.js';

/** One layer produced or reused by a build: its uncompressed digest (diff ID), as in the image's rootfs. */
export interface LayerRef {
  diffId: string;
  size?: number;
}

/** A root filesystem: layers bottom first. Empty for scratch. */
export type RootfsChain = readonly LayerRef[];

/** A resolved base image. */
export interface BaseImage {
  /** The normalised reference that was resolved. */
  ref: string;
  /** Digest identifying exactly this image (config or manifest digest); part of the FROM cache key. */
  digest: string;
  config: ImageConfig;
  layers: RootfsChain;
}

/** Where COPY/ADD or a bind mount read files from. */
export type FileSource =
  | { kind: 'context' }
  | { kind: 'rootfs'; layers: RootfsChain; stage: number }
  | { kind: 'image'; image: BaseImage };

/** A RUN mount with its `from` resolved. */
export interface ResolvedMount extends RunMount {
  source: string;
  /** For bind (and cache with from=): where the files come from; the build context when `from` is empty. */
  fromSource?: FileSource;
}

/** Runs one RUN step in a new writable layer over `parent`. */
export interface RunStepRequest {
  parent: RootfsChain;
  /**
   * The image the step runs on when the backend commits steps (`commitStep`): the previous step's image, or the
   * base's ID. The legacy builder creates the step's container from it (`docker ps -a` shows it with `--rm=false`).
   */
  parentImage?: string;
  /** The stage's config the step runs with (before `argv`, `env` and the rest override it): the container's Config. */
  config?: ContainerConfig;
  argv: string[];
  env: string[];
  user: string;
  cwd: string;
  mounts: ResolvedMount[];
  network: 'default' | 'none' | 'host';
  security: string;
  /** Files to place before running (heredoc scripts under /dev/pipes), removed from the layer afterwards. */
  files: StepFile[];
  /** Receives the process's stdout and stderr as they arrive. */
  output: (chunk: string | Uint8Array) => void;
  signal: AbortSignal;
}

/** The result of a step that may change the filesystem. */
export interface StepOutcome {
  exitCode: number;
  /** The new layer; undefined when the step changed nothing (the history entry then gets `empty_layer`). */
  layer?: LayerRef;
}

/** Copies files into a new layer over `parent` (COPY and ADD). */
export interface CopyStepRequest {
  parent: RootfsChain;
  cmdName: 'COPY' | 'ADD';
  source: FileSource;
  /** Source paths or patterns, relative to the source root (ADD: also URLs and git). */
  sources: string[];
  /** Here-document sources, already expanded when they should be. */
  contents: SourceContent[];
  /** Absolute destination; a trailing `/` means a directory. */
  dest: string;
  chown: string;
  chmod: string;
  link: boolean;
  /** ADD: verify a remote source against this digest. */
  checksum: string;
  /** ADD: extract local tar archives. */
  unpack: boolean;
  keepGitDir: boolean;
  excludes: string[];
  /** COPY --from without --chown keeps the source's owners; otherwise files are owned by root or `chown`. */
  preserveOwnership: boolean;
  signal: AbortSignal;
}

/** Asks for the digest of the files a COPY/ADD selects (content and mode, never mtime). */
export interface SourceHashRequest {
  cmdName: 'COPY' | 'ADD';
  source: FileSource;
  sources: string[];
  contents: SourceContent[];
  excludes: string[];
  checksum: string;
  signal: AbortSignal;
}

export interface SourceHash {
  /** Digest over the selected files: part of the cache key. */
  digest: string;
  /** The legacy builder's `file:<hex>`, `dir:<hex>` or `multi:<hex>` for `created_by` (see `legacy-hash.ts`). */
  historyHash: string;
}

/** A cached step. */
export interface CachedStep {
  layer?: LayerRef;
  createdBy: string;
  parts: CacheKeyParts;
  /**
   * The history time the step was first built with (RFC 3339). A hit reuses it, so a rebuild with nothing changed
   * gives the same image (docker reuses its intermediate image); `cacheStore` receives the time it should keep.
   */
  created?: string;
}

/**
 * One step's result as an image of its own (the legacy builder's intermediate image): the stage's config after the
 * step, its layers, and the image it was built on (the base, or the previous step's image).
 */
export interface CommitStepRequest {
  stage: number;
  /** The step's cache key. */
  key: string;
  /** The image below this step's (undefined for the first step of a `FROM scratch` stage). */
  parent: string | undefined;
  config: ImageConfig;
  layers: RootfsChain;
  signal: AbortSignal;
}

/**
 * Everything a build does outside pure computation. Implementations must be safe for concurrent calls: independent
 * stages run at the same time. Every method honours its `signal`.
 */
export interface BuildBackend {
  /**
   * Resolves an image for a platform (`os/arch[/variant]`, '' for the default): from the local store, pulling when
   * it is missing or when `pull` is set (`--pull`).
   */
  resolveImage(req: { ref: string; platform: string; pull: boolean; signal: AbortSignal }): Promise<BaseImage>;
  runStep(req: RunStepRequest): Promise<StepOutcome>;
  copyFiles(req: CopyStepRequest): Promise<StepOutcome>;
  /** WORKDIR: creates `path` (mode 0755, owned by root) if missing. */
  makeDir(req: { parent: RootfsChain; path: string; signal: AbortSignal }): Promise<StepOutcome>;
  hashSources(req: SourceHashRequest): Promise<SourceHash>;
  cacheLookup(key: string): Promise<CachedStep | undefined>;
  cacheStore(key: string, step: CachedStep): Promise<void>;
  /**
   * Optional, for `--cache-from`: a step found in another image whose layers start with `layers` and whose history
   * continues `history` with `createdBy` (the legacy builder's probe). Asked only after `cacheLookup` missed.
   */
  cacheFromLookup?(req: { layers: RootfsChain; history: readonly History[]; createdBy: string; signal: AbortSignal }): Promise<CachedStep | undefined>;
  /**
   * Optional: stores the step's result as an (untagged) image and returns its ID, which later steps name as their
   * parent and which becomes the stage's image. Without it, steps have no image of their own.
   */
  commitStep?(req: CommitStepRequest): Promise<string>;
  /** Optional: parts of cached keys with this parent, to explain a miss. */
  cacheSiblings?(parentKey: string): Promise<CacheKeyParts[]>;
}
