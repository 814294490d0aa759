import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import type { Image, ImageConfig, Layer, OpenOptions, Reference } from '@tdock/core';
import { notFound, parseDockerRef, parseReference, referenceString } from '@tdock/core';
import { ContentStore } from './content-store.js';
import { chainIds, isDigest } from './digest.js';
import type { FsOps, MountOps } from './fs-ops.js';
import { exportRootfs, importRootfs, type ImportOptions } from './import-export.js';
import { ImageMetadataStore, type ImageRecord, type LayerRecord } from './image-metadata.js';
import { commitImage, type CommitOptions } from './commit.js';
import { pullImage, type PullOptions, type PullResult } from './pull.js';
import { SnapshotStore, type Mount } from './snapshots.js';
import { imageHistory, inspectImage, listImages, type HistoryEntry, type ImageFilters, type ImageInspect, type ImageSummary } from './image-views.js';
import { loadArchive, saveImages, type LoadedImage } from './save-load.js';
import type { Readable } from 'node:stream';
import { imageDiskUsage, pruneImages, removeImage, tagImage, type DeleteRecord } from './image-remove.js';

/** The container using an image, if any (injected by the engine, which owns containers). */
export type ImageUsage = (imageId: string) => { containerId: string; running: boolean } | undefined;

/** What the image store is built from (all roots injected, DESIGN §10.4). */
export interface ImageStoreOptions {
  /** The daemon's data root; the store uses `content/`, `snapshots/` and `images/` under it. */
  dataRoot: string;
  fsOps: FsOps;
  /** Which container (if any) uses an image: blocks removal (a running one even with force) and prune. */
  usedBy?: ImageUsage;
}

/**
 * The image store: content (blobs), snapshots (unpacked layers) and image metadata under one data
 * root. `open` recovers from a crash (discards unfinished snapshots; keeps partial downloads for
 * resume). All methods are safe to call concurrently within one daemon.
 */
export class ImageStore {
  readonly content: ContentStore;
  readonly snapshots: SnapshotStore;
  readonly metadata: ImageMetadataStore;
  readonly fsOps: FsOps;
  readonly dataRoot: string;
  readonly usedBy: ImageUsage;

  private constructor(opts: ImageStoreOptions) {
    this.content = new ContentStore(join(opts.dataRoot, 'content'));
    this.snapshots = new SnapshotStore(join(opts.dataRoot, 'snapshots'), opts.fsOps.markTopDir ? { markTopDir: (dir) => opts.fsOps.markTopDir!(dir) } : {});
    this.metadata = new ImageMetadataStore(join(opts.dataRoot, 'images'));
    this.fsOps = opts.fsOps;
    this.dataRoot = opts.dataRoot;
    this.usedBy = opts.usedBy ?? (() => undefined);
  }

  static async open(opts: ImageStoreOptions): Promise<ImageStore> {
    const s = new ImageStore(opts);
    await s.content.init();
    await s.snapshots.init();
    await s.metadata.load();
    for (const key of await s.content.ingests()) {
      // only layer downloads resume; other ingests (small blobs, diffs, imports) a crash interrupted are dropped
      if (!/^layer-[a-f0-9]{64}$/.test(key)) await s.content.abortIngest(key);
    }
    await rm(s.scratchRoot(), { recursive: true, force: true }).catch(() => undefined); // a mount left by a crash stays (read-only)
    return s;
  }

  /** Copy a registry image into the store (see `pullImage`). */
  pull(image: Image, opts: PullOptions = {}): Promise<PullResult> {
    return pullImage(image, this, opts);
  }

  /** `docker images` (filters: dangling, reference, label, before, since, until). */
  list(filters?: ImageFilters, all = false): Promise<ImageSummary[]> {
    return listImages(this, { ...(filters ? { filters } : {}), all });
  }

  /** `docker image inspect`. */
  inspect(nameOrId: string): Promise<ImageInspect> {
    return inspectImage(this, nameOrId);
  }

  /** `docker history`. */
  history(nameOrId: string): Promise<HistoryEntry[]> {
    return imageHistory(this, nameOrId);
  }

  /** `docker tag`. */
  tag(source: string, repo: string, tag?: string): Promise<void> {
    return tagImage(this, source, repo, tag);
  }

  /** `docker rmi`. */
  remove(nameOrId: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<DeleteRecord[]> {
    return removeImage(this, nameOrId, opts);
  }

  /** `docker image prune` (filters: dangling, until, label). */
  prune(filters?: ImageFilters): Promise<{ ImagesDeleted: DeleteRecord[]; SpaceReclaimed: number }> {
    return pruneImages(this, filters);
  }

  /** `docker save`: a tar stream (Docker 25+ format). */
  save(names: readonly string[]): Promise<Readable> {
    return saveImages(this, names);
  }

  /** `docker load` from a tar stream; `onLine` gets Docker's `Loaded image: ...` lines. */
  load(input: AsyncIterable<Buffer>, opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<LoadedImage[]> {
    return loadArchive(this, input, opts);
  }

  /** `docker commit` / a build step: parent + diff of an upper directory → a new image. */
  commit(opts: CommitOptions): Promise<{ id: string; layer?: LayerRecord }> {
    return commitImage(this, opts);
  }

  /** `docker import` of a flat rootfs tar. */
  import(input: AsyncIterable<Buffer>, opts: ImportOptions = {}): Promise<{ id: string }> {
    return importRootfs(this, input, opts);
  }

  /** `docker export` of a container's rootfs Mount (mounted read-only in scratch space while streaming). */
  export(mount: Mount, mounts: MountOps, signal?: AbortSignal): AsyncGenerator<Buffer> {
    return exportRootfs(mount, this.scratchRoot(), mounts, this.fsOps, signal);
  }

  /** Images part of `docker system df`. */
  diskUsage(containers?: (id: string) => number): Promise<{ LayersSize: number; Images: ImageSummary[] }> {
    return imageDiskUsage(this, containers);
  }

  /**
   * Find an image as Docker does: full or short ID (with or without `sha256:`), `name[:tag]`
   * (tag defaults to latest) or `name@digest`. Not-found says `No such image: <name>`.
   */
  resolve(nameOrId: string): ImageRecord {
    const found = this.tryResolve(nameOrId);
    if (!found) throw notFound(`No such image: ${nameOrId}`);
    return found;
  }

  tryResolve(nameOrId: string): ImageRecord | undefined {
    const m = this.metadata;
    if (isDigest(nameOrId)) return m.image(nameOrId);
    if (/^[a-f0-9]{64}$/.test(nameOrId)) return m.image(`sha256:${nameOrId}`);
    try {
      const ref = referenceString(parseDockerRef(nameOrId));
      const id = m.resolve(ref);
      if (id) return m.image(id);
    } catch {
      // not a valid reference: may still be a short ID
    }
    const short = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{1,63}$/.test(short)) {
      const hits = m.images().filter((i) => i.id.startsWith(`sha256:${short}`));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  /** Config texts by digest (immutable: content-addressed), so builds and listings do not read them again. */
  private readonly configTexts = new Map<string, string>();

  /** The parsed image config (a fresh object each call: callers may change it). */
  async config(id: string): Promise<ImageConfig> {
    let text = this.configTexts.get(id);
    if (text === undefined) {
      text = (await this.content.readBytes(id)).toString('utf8');
      if (this.configTexts.size >= 512) this.configTexts.delete(this.configTexts.keys().next().value!);
      this.configTexts.set(id, text);
    }
    return JSON.parse(text) as ImageConfig;
  }

  /** The chain ID of an image's top layer (undefined for an image without layers). */
  topChain(record: ImageRecord): string | undefined {
    return chainIds(record.layers.map((l) => l.diffId)).at(-1);
  }

  /** A container root filesystem on top of an image: a Mount with a fresh upper and work (mounts nothing). */
  async prepareRootfs(key: string, imageId: string): Promise<Mount> {
    const rec = this.metadata.image(imageId);
    if (!rec) throw notFound(`No such image: ${imageId}`);
    return this.snapshots.prepare(key, this.topChain(rec));
  }

  /**
   * Garbage collection: remove snapshots no image, lease or container snapshot uses, and blobs no
   * image (or digest reference) names and no pull holds. Returns the removed chain IDs.
   */
  async collect(): Promise<string[]> {
    const removed = await this.snapshots.gc(this.liveChains());
    const live = new Set<string>();
    for (const img of this.metadata.images()) {
      live.add(img.id);
      live.add(img.manifestDigest);
      for (const l of img.layers) live.add(l.digest);
    }
    for (const [ref] of this.metadata.references()) {
      const at = ref.indexOf('@');
      if (at !== -1) live.add(ref.slice(at + 1));
    }
    for (const b of await this.content.list()) if (!live.has(b.digest) && !this.content.leased(b.digest)) await this.content.delete(b.digest);
    return removed;
  }

  /**
   * An image as registry-client's `pushImage` takes it: the stored manifest and config bytes, and
   * layers that open their stored blobs. `reference` is the first reference naming the image.
   */
  async pushable(nameOrId: string): Promise<Pick<Image, 'manifestBytes' | 'manifestMediaType' | 'configBytes' | 'layers'> & { reference?: Reference }> {
    const rec = this.resolve(nameOrId);
    const manifestBytes = await this.content.readBytes(rec.manifestDigest);
    const configBytes = await this.content.readBytes(rec.id);
    const layers: Layer[] = rec.layers.map((l, i) => ({
      descriptor: { mediaType: l.mediaType, digest: l.digest, size: l.size }, digest: l.digest, size: l.size, mediaType: l.mediaType,
      diffId: rec.layers[i]!.diffId,
      open: async (o?: OpenOptions) => createReadStream(this.content.blobPath(l.digest), { start: o?.offset ?? 0, ...(o?.signal ? { signal: o.signal } : {}) }),
    }));
    const first = this.metadata.referencesOf(rec.id)[0];
    return { manifestBytes, manifestMediaType: rec.manifestMediaType, configBytes, layers, ...(first ? { reference: parseReference(first) } : {}) };
  }

  /** Scratch space for loads and imports, on the data root's filesystem, emptied by `open`. */
  scratchRoot(): string {
    return join(this.dataRoot, 'images', 'scratch');
  }

  /** Chain IDs any stored image uses. */
  liveChains(): Set<string> {
    const live = new Set<string>();
    for (const img of this.metadata.images()) for (const c of chainIds(img.layers.map((l) => l.diffId))) live.add(c);
    return live;
  }
}
