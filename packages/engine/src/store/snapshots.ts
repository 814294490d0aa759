import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TdockError, notFound } from '@tdock/core';
import { fsyncDir, writeJsonAtomic } from './atomic.js';
import { digestHex, sha256Digest } from './digest.js';

/**
 * A root filesystem as a mount description (DESIGN §6). The snapshotter mounts nothing; the
 * container's init (or the store's own diff/cp work) mounts it.
 */
export interface Mount {
  type: 'overlay';
  /** Lower directories, newest (top) first. */
  lowers: string[];
  /** Writable upper directory; absent for a read-only view. */
  upper?: string;
  /** Overlay work directory on the same filesystem as `upper`. */
  work?: string;
}

/** Options for `SnapshotStore.create`. */
export interface CreateOptions {
  /** Awaited after the fill and before publishing (a pull waits for the parent layer here). */
  beforePublish?: () => Promise<void>;
}

/** A committed snapshot: one unpacked layer on top of its parent chain. */
export interface SnapshotInfo {
  chainId: string;
  /** Chain ID of the layer below; absent for a bottom layer. */
  parent?: string;
  diffId: string;
  /** Bytes of file content in this layer (Docker's layer size). */
  size: number;
  /** Bytes of the uncompressed layer tar (what `docker save` writes), when known. */
  tarSize?: number;
}

/** What filling a new snapshot produced. */
export interface FillResult {
  diffId: string;
  size: number;
  tarSize?: number;
}

/**
 * Unpacked layers keyed by chain ID under `<root>/<hex>/fs`, shared by every image that has them.
 * A snapshot is created in `<root>/tmp/<random>` and renamed into place only when complete, so
 * after a crash a snapshot either exists whole or not at all (leftovers in tmp/ are removed by
 * `init`). References are counted from the image metadata by the caller's `gc(live)`: a chain is
 * kept while an image, a lease or a prepared (active) snapshot uses it.
 */
export class SnapshotStore {
  private readonly inflight = new Map<string, Promise<SnapshotInfo>>();
  private readonly leases = new Map<string, number>();

  /**
   * `markTopDir` (FsOps') is applied to `tmp/`, where every snapshot is unpacked: on ext4 each
   * snapshot then gets block groups of its own (see image-store.md, Performance notes).
   */
  constructor(readonly root: string, private readonly opts: { markTopDir?: (dir: string) => boolean } = {}) {}

  /** Create the directories and discard unfinished snapshots left by a crash. */
  async init(): Promise<void> {
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    this.opts.markTopDir?.(join(this.root, 'tmp'));
    await mkdir(join(this.root, 'active'), { recursive: true });
  }

  /** The unpacked directory of a committed snapshot. */
  dir(chainId: string): string {
    return join(this.root, digestHex(chainId), 'fs');
  }

  async info(chainId: string): Promise<SnapshotInfo | undefined> {
    try {
      return JSON.parse(await readFile(join(this.root, digestHex(chainId), 'meta.json'), 'utf8')) as SnapshotInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(chainId: string): Promise<boolean> {
    return (await this.info(chainId)) !== undefined;
  }

  /** Every committed snapshot. */
  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for (const n of await readdir(this.root).catch(() => [] as string[])) {
      if (!/^[a-f0-9]{64}$/.test(n)) continue;
      const info = await this.info(`sha256:${n}`);
      if (info) out.push(info);
    }
    return out;
  }

  /**
   * Create the snapshot `chainId` on `parent` by running `fill(dir)` into a fresh private
   * directory, then publishing it atomically. If it already exists `fill` is not called. Two
   * concurrent creates of one chain share one fill. `fill` returns the layer's diff ID and size.
   */
  async create(
    chainId: string,
    parent: string | undefined,
    fill: (dir: string) => Promise<FillResult>,
    opts: CreateOptions = {},
  ): Promise<{ info: SnapshotInfo; created: boolean }> {
    const existing = await this.info(chainId);
    if (existing) return { info: existing, created: false };
    const running = this.inflight.get(chainId);
    if (running) return { info: await running, created: false };
    const p = this.createNow(chainId, parent, fill, opts);
    this.inflight.set(chainId, p);
    try {
      return { info: await p, created: true };
    } finally {
      this.inflight.delete(chainId);
    }
  }

  private async createNow(
    chainId: string,
    parent: string | undefined,
    fill: (dir: string) => Promise<FillResult>,
    opts: CreateOptions,
  ): Promise<SnapshotInfo> {
    const tmp = join(this.root, 'tmp', randomBytes(8).toString('hex'));
    await mkdir(join(tmp, 'fs'), { recursive: true, mode: 0o755 });
    try {
      const { diffId, size, tarSize } = await fill(join(tmp, 'fs'));
      const expected = parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`);
      if (expected !== chainId) throw new TdockError('invalid-argument', `layer chain ID mismatch: expected ${chainId}, got ${expected}`);
      await opts.beforePublish?.();
      if (parent !== undefined && !(await this.has(parent))) throw notFound(`parent snapshot ${parent} not found`);
      const info: SnapshotInfo = { chainId, ...(parent ? { parent } : {}), diffId, size, ...(tarSize !== undefined ? { tarSize } : {}) };
      await writeJsonAtomic(join(tmp, 'meta.json'), info);
      await rename(tmp, join(this.root, digestHex(chainId)));
      await fsyncDir(this.root);
      return info;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Create a snapshot on `parent` whose chain ID is only known after `fill` (an import): fill a
   * private directory, then publish it under the computed chain ID, or discard it when that
   * snapshot already exists.
   */
  async createFromFill(parent: string | undefined, fill: (dir: string) => Promise<FillResult>): Promise<{ info: SnapshotInfo; created: boolean }> {
    const tmp = join(this.root, 'tmp', randomBytes(8).toString('hex'));
    await mkdir(join(tmp, 'fs'), { recursive: true, mode: 0o755 });
    try {
      const r = await fill(join(tmp, 'fs'));
      const chainId = parent === undefined ? r.diffId : sha256Digest(`${parent} ${r.diffId}`);
      const existing = await this.info(chainId);
      if (existing) {
        await rm(tmp, { recursive: true, force: true });
        return { info: existing, created: false };
      }
      if (parent !== undefined && !(await this.has(parent))) throw notFound(`parent snapshot ${parent} not found`);
      const info: SnapshotInfo = { chainId, ...(parent ? { parent } : {}), diffId: r.diffId, size: r.size, ...(r.tarSize !== undefined ? { tarSize: r.tarSize } : {}) };
      await writeJsonAtomic(join(tmp, 'meta.json'), info);
      await rename(tmp, join(this.root, digestHex(chainId)));
      await fsyncDir(this.root);
      return { info, created: true };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Lower directories for a chain, newest first. */
  async lowers(chainId: string): Promise<string[]> {
    const out: string[] = [];
    let cur: string | undefined = chainId;
    while (cur !== undefined) {
      const info = await this.info(cur);
      if (!info) throw notFound(`snapshot ${cur} not found`);
      out.push(this.dir(cur));
      cur = info.parent;
    }
    return out;
  }

  /**
   * A writable snapshot `key` on top of `parent` (undefined: an empty rootfs): creates a fresh
   * upper and work directory and returns the Mount; mounts nothing. Conflict if `key` exists.
   */
  async prepare(key: string, parent: string | undefined): Promise<Mount> {
    const dir = this.activeDir(key);
    const lowers = parent === undefined ? [] : await this.lowers(parent);
    try {
      await mkdir(dir, { recursive: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TdockError('conflict', `snapshot ${key} already exists`);
      throw err;
    }
    await mkdir(join(dir, 'upper'), { mode: 0o755 });
    await mkdir(join(dir, 'work'), { mode: 0o700 });
    if (lowers.length === 0) await mkdir(join(dir, 'empty'), { mode: 0o755 });
    await writeJsonAtomic(join(dir, 'meta.json'), { key, parent });
    return { type: 'overlay', lowers: lowers.length ? lowers : [join(dir, 'empty')], upper: join(dir, 'upper'), work: join(dir, 'work') };
  }

  /** A read-only view of a chain (no upper). */
  async view(chainId: string): Promise<Mount> {
    return { type: 'overlay', lowers: await this.lowers(chainId) };
  }

  /** Parents of prepared snapshots, for garbage collection. */
  async activeParents(): Promise<string[]> {
    const out: string[] = [];
    for (const k of await readdir(join(this.root, 'active')).catch(() => [] as string[])) {
      try {
        const m = JSON.parse(await readFile(join(this.root, 'active', k, 'meta.json'), 'utf8')) as { parent?: string };
        if (m.parent) out.push(m.parent);
      } catch {
        // a prepare interrupted before its meta was written holds nothing
      }
    }
    return out;
  }

  /** Remove a prepared snapshot (its upper and work). */
  async removeActive(key: string): Promise<void> {
    await rm(this.activeDir(key), { recursive: true, force: true });
  }

  /** Hold chains (and their parents) against `gc` while a pull or build uses them; returns the release. */
  lease(chainIds: readonly string[]): () => void {
    for (const c of chainIds) this.leases.set(c, (this.leases.get(c) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const c of chainIds) {
        const n = (this.leases.get(c) ?? 1) - 1;
        if (n <= 0) this.leases.delete(c);
        else this.leases.set(c, n);
      }
    };
  }

  /**
   * Remove every committed snapshot not in `live` (chain IDs images use), not leased, and not
   * below a prepared snapshot. Parents of kept snapshots are kept. Returns the removed chain IDs.
   */
  async gc(live: Iterable<string>): Promise<string[]> {
    const all = await this.list();
    const byId = new Map(all.map((s) => [s.chainId, s]));
    const keep = new Set<string>();
    const mark = (c: string | undefined): void => {
      while (c !== undefined && !keep.has(c)) {
        keep.add(c);
        c = byId.get(c)?.parent;
      }
    };
    for (const c of live) mark(c);
    for (const c of this.leases.keys()) mark(c);
    for (const c of this.inflight.keys()) mark(c);
    for (const c of await this.activeParents()) mark(c);
    const removed: string[] = [];
    for (const s of all) {
      if (keep.has(s.chainId)) continue;
      // rename first so a crash mid-removal leaves no half snapshot under a valid name
      const trash = join(this.root, 'tmp', `gc-${digestHex(s.chainId)}`);
      await rename(join(this.root, digestHex(s.chainId)), trash);
      await rm(trash, { recursive: true, force: true });
      removed.push(s.chainId);
    }
    if (removed.length) await fsyncDir(this.root);
    return removed;
  }

  /** Bytes used on disk by a directory tree (apparent sizes of regular files). */
  async usage(chainId: string): Promise<number> {
    return duBytes(this.dir(chainId));
  }

  private activeDir(key: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new TdockError('invalid-argument', `invalid snapshot key ${JSON.stringify(key)}`);
    return join(this.root, 'active', key);
  }
}

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await duBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}
