import { setMaxListeners } from 'node:events';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Image, Layer } from '@tdock/core';
import { TdockError, referenceName } from '@tdock/core';
import type { ContentStore, IngestWriter } from './content-store.js';
import { chainIds, digestHex, shortId } from './digest.js';
import type { FsOps } from './fs-ops.js';
import type { ImageMetadataStore, ImageRecord } from './image-metadata.js';
import type { SnapshotStore } from './snapshots.js';
import { IngestTail } from './ingest-tail.js';
import { unpackLayer, type UnpackResult } from './unpack.js';

/** Downloaded bytes already buffered are written to the ingest together, up to this size (fewer thread-pool hops). */
const WRITE_BATCH = 1 << 20;

/** Docker's per-layer pull statuses (as `docker pull` prints them). */
export type LayerStatus =
  | 'Pulling fs layer'
  | 'Waiting'
  | 'Downloading'
  | 'Verifying Checksum'
  | 'Download complete'
  | 'Extracting'
  | 'Pull complete'
  | 'Already exists';

/** One progress event: `id` is the first 12 hex of the layer's compressed digest, as Docker. */
export interface PullProgress {
  id: string;
  status: LayerStatus;
  /** Bytes so far and total, for Downloading and Extracting. */
  current?: number;
  total?: number;
}

/** Options for a pull. */
export interface PullOptions {
  signal?: AbortSignal;
  /** Layers downloaded and unpacked at once (Docker's default is 3). */
  concurrency?: number;
  onProgress?: (event: PullProgress) => void;
}

/** What a pull did. */
export interface PullResult {
  /** Image ID (config digest). */
  id: string;
  /** The digest the image was pulled by: the index's when it came from one, else the manifest's. */
  digest: string;
  /** Full references now pointing at the image. */
  references: string[];
  /** True when nothing was downloaded and the references already pointed at this image. */
  upToDate: boolean;
}

/** The stores a pull writes to. */
export interface PullStores {
  content: ContentStore;
  snapshots: SnapshotStore;
  metadata: ImageMetadataStore;
  fsOps: FsOps;
}

/**
 * Copy a registry image into the local store, streamed: each layer is downloaded into the ingest
 * area, decompressed, hashed (diff ID checked against the config's `rootfs.diff_ids`) and unpacked
 * in one pass, `concurrency` layers at once. Layers whose snapshot exists are not fetched; a
 * committed blob is unpacked from disk; a partial ingest is resumed. The image record and its
 * references are written last, in one atomic write: a crash leaves no half image visible.
 */
export async function pullImage(image: Image, stores: PullStores, opts: PullOptions = {}): Promise<PullResult> {
  const { content, snapshots, metadata } = stores;
  const diffIds = image.config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== image.layers.length) {
    throw new TdockError('invalid-argument', `image config has ${diffIds.length} diff IDs for ${image.layers.length} layers`);
  }
  const chains = chainIds(diffIds);
  const refs = referencesFor(image);
  const before = refs.map((r) => metadata.resolve(r));
  const emit = opts.onProgress ?? (() => undefined);
  const releaseChains = snapshots.lease(chains);
  const releaseBlobs = content.lease([
    ...image.layers.map((l) => l.digest), image.manifestDigest, image.manifest.config.digest, ...(image.index ? [image.index.digest] : []),
  ]);
  const ctl = new AbortController();
  setMaxListeners(0, ctl.signal); // one listener per layer download: images may have 100+ layers
  const onAbort = (): void => ctl.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let downloaded = 0;
  try {
    const present = await Promise.all(chains.map((c) => snapshots.has(c)));
    image.layers.forEach((l, i) => emit({ id: shortId(l.digest), status: present[i] ? 'Already exists' : 'Pulling fs layer' }));
    const slots = new Semaphore(opts.concurrency ?? 3);
    const done: Array<Promise<void>> = [];
    for (let i = 0; i < image.layers.length; i++) {
      const layer = image.layers[i]!;
      const parentDone = i > 0 ? done[i - 1]! : Promise.resolve();
      if (present[i]) {
        done.push(parentDone);
        continue;
      }
      // The place in line is taken now, in layer order: taken inside the snapshot's fill, after
      // its directory is made, a later layer could overtake an earlier one (and with one slot, a
      // stalled later download would hold back the layer that must be published first).
      const turn = slots.acquire(() => emit({ id: shortId(layer.digest), status: 'Waiting' }));
      let filled = false;
      const task = snapshots
        .create(chains[i]!, i > 0 ? chains[i - 1] : undefined, async (dir) => {
          filled = true;
          const release = await turn;
          try {
            const r = await fetchAndUnpack(layer, diffIds[i]!, dir, stores, emit, ctl.signal);
            if (r.fetched) downloaded++;
            return r;
          } finally {
            release();
          }
        }, { beforePublish: () => parentDone })
        .finally(() => {
          if (!filled) void turn.then((release) => release()); // created meanwhile by another pull
        })
        .then(() => emit({ id: shortId(layer.digest), status: 'Pull complete' }));
      task.catch(() => ctl.abort());
      done.push(task);
    }
    const results = await Promise.allSettled(done);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw opts.signal?.aborted ? opts.signal.reason : failed.reason;
    if (image.index) await content.writeBytes(image.index.bytes, image.index.digest);
    await content.writeBytes(image.manifestBytes, image.manifestDigest);
    const id = image.manifest.config.digest;
    await content.writeBytes(image.configBytes, id);
    const record: ImageRecord = {
      id,
      manifestDigest: image.manifestDigest,
      manifestMediaType: image.manifestMediaType,
      configSize: image.configBytes.byteLength,
      layers: image.layers.map((l, i) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: diffIds[i]! })),
      loadedAt: metadata.image(id)?.loadedAt ?? new Date().toISOString(),
    };
    await metadata.putImage(record, refs);
    return { id, digest: image.index?.digest ?? image.manifestDigest, references: refs, upToDate: downloaded === 0 && before.every((b) => b === id) };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    releaseBlobs();
    releaseChains();
  }
}

/** The full references a pull records: `name:tag` if tagged, and `name@digest` (Docker's RepoDigests). */
export function referencesFor(image: Image): string[] {
  const name = referenceName(image.reference);
  const out: string[] = [];
  if (image.reference.tag !== undefined) out.push(`${name}:${image.reference.tag}`);
  out.push(`${name}@${image.index?.digest ?? image.manifestDigest}`);
  return out;
}

async function fetchAndUnpack(
  layer: Layer,
  diffId: string,
  dir: string,
  stores: PullStores,
  emit: (e: PullProgress) => void,
  signal: AbortSignal,
): Promise<{ diffId: string; size: number; tarSize: number; fetched: boolean }> {
  const id = shortId(layer.digest);
  const total = layer.size;
  if (await stores.content.has(layer.digest)) {
    emit({ id, status: 'Extracting', current: 0, total });
    const r = await unpackLayer(createReadStream(stores.content.blobPath(layer.digest), { highWaterMark: 1 << 20 }), dir, stores.fsOps, { expectedDiffId: diffId, signal });
    emit({ id, status: 'Extracting', current: total, total });
    return { diffId: r.diffId, size: r.contentSize, tarSize: r.size, fetched: false };
  }
  let writer: IngestWriter;
  try {
    writer = await stores.content.writer(`layer-${digestHex(layer.digest)}`);
  } catch (err) {
    if (!(err instanceof TdockError && err.kind === 'conflict')) throw err;
    writer = await stores.content.writer(`layer-${digestHex(layer.digest)}-${Math.random().toString(16).slice(2)}`, { resume: false });
  }
  let remote: Readable | undefined;
  let tail: IngestTail | undefined;
  let downloading: Promise<void> | undefined;
  let committed = false;
  try {
    const resumeAt = writer.offset;
    tail = await IngestTail.open(writer.dataPath, resumeAt);
    // The ingest writer hashes what it stores and its commit checks the digest: the stream checks the size only.
    remote = await layer.open({ signal, verifyDigest: false, ...(resumeAt > 0 ? { offset: resumeAt } : {}) });
    const body = remote;
    const t = tail;
    const step = Math.max(total / 100, 64 * 1024);
    // The download runs ahead of the unpack (which follows the ingest file), so the blob's commit,
    // fsync included, overlaps the unpack instead of waiting for it.
    async function download(): Promise<void> {
      let current = resumeAt;
      let lastEmit = -Infinity;
      let batch: Buffer[] = [];
      let batched = 0;
      const flush = async (): Promise<void> => {
        if (batched === 0) return;
        await writer.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched));
        current += batched;
        batch = [];
        batched = 0;
        t.advance(current);
        if (current - lastEmit >= step) {
          lastEmit = current;
          emit({ id, status: 'Downloading', current, total });
        }
      };
      for await (const chunk of body) {
        batch.push(chunk as Buffer);
        batched += (chunk as Buffer).length;
        if (batched >= WRITE_BATCH || body.readableLength === 0) await flush(); // a stall never holds back a resumable prefix
      }
      await flush();
      t.finish(); // the unpack may end while the commit (hash check, fsync, rename) runs
      emit({ id, status: 'Verifying Checksum' });
      await writer.commit(layer.digest, layer.size);
      committed = true;
      emit({ id, status: 'Download complete' });
    }
    downloading = download().catch((err: unknown) => {
      t.finish(err);
      throw err;
    });
    downloading.catch(() => undefined); // observed below
    let extracted = 0;
    let lastEmit = -Infinity;
    let consumed = false;
    async function* source(): AsyncGenerator<Buffer> {
      for await (const chunk of t.read()) {
        extracted += chunk.length;
        // Docker reports Extracting after Download complete; the download usually ends first now.
        if (committed && extracted - lastEmit >= step) {
          lastEmit = extracted;
          emit({ id, status: 'Extracting', current: Math.min(extracted, total), total });
        }
        yield chunk;
      }
      consumed = true;
    }
    let r: UnpackResult;
    try {
      r = await unpackLayer(source(), dir, stores.fsOps, { expectedDiffId: diffId, signal });
    } catch (err) {
      remote.destroy();
      await downloading.catch(() => undefined);
      throw err;
    }
    await downloading;
    if (!consumed) throw new TdockError('invalid-argument', `layer ${layer.digest} has data after the end of its archive`);
    if (lastEmit < total) emit({ id, status: 'Extracting', current: total, total });
    return { diffId: r.diffId, size: r.contentSize, tarSize: r.size, fetched: true };
  } finally {
    remote?.destroy();
    if (downloading) await downloading.catch(() => undefined);
    await tail?.close();
    if (!committed) await writer.close(); // keep the partial download for a resume
  }
}

/** A counting semaphore for the per-pull concurrency limit, first come first served. */
class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Takes a place in line now; resolves with the slot's release (idempotent) when it is this caller's turn. */
  acquire(onWait: () => void): Promise<() => void> {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.active--;
      this.queue.shift()?.();
    };
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(release);
    }
    onWait();
    return new Promise((resolve) => this.queue.push(() => {
      this.active++;
      resolve(release);
    }));
  }
}
