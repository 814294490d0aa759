/**
 * The persistent build cache: one JSON record per step key under `<dataRoot>/builder/cache/`, naming the layer the
 * step produced (blob and diff ID) and its history `created_by`. A record whose blob was garbage-collected is a miss.
 */
import { readFile, readdir, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheKeyParts } from '@tdock/builder';
import { writeJsonAtomic } from '../store/atomic.js';
import type { ContentStore } from '../store/content-store.js';
import type { LayerRecord } from '../store/image-metadata.js';

/** One cached step as stored. */
export interface CacheRecord {
  layer?: LayerRecord;
  createdBy: string;
  parts: CacheKeyParts;
  /** The parent step's key (for explaining misses). */
  parent: string;
  createdAt: string;
}

const hexOf = (key: string): string => key.replace(/^sha256:/, '');

/**
 * Build cache records on disk; safe for concurrent use (writes are atomic renames). While the daemon runs, every
 * record's blob is leased in the content store, so the store's garbage collection (`rmi`, image prune) keeps cached
 * layers; snapshots it removes are recreated from the blobs when a build uses them.
 */
export class BuildCache {
  private readonly leases = new Map<string, () => void>();
  /** Every record on disk, by key hex (loaded by `init`, kept in step by `put` and `prune`): lookups read no file. */
  private readonly records = new Map<string, CacheRecord>();

  constructor(readonly root: string, private readonly content: ContentStore) {}

  /** Creates the directory and leases the blobs of the existing records. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const name of await readdir(this.root)) {
      if (!name.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(await readFile(join(this.root, name), 'utf8')) as CacheRecord;
        this.hold(name.slice(0, -5), rec);
        this.records.set(name.slice(0, -5), rec);
      } catch {
        // unreadable records are misses
      }
    }
  }

  private hold(hex: string, rec: CacheRecord): void {
    this.leases.get(hex)?.();
    this.leases.delete(hex);
    if (rec.layer) this.leases.set(hex, this.content.lease([rec.layer.digest]));
  }

  /** The record of `key`; a record whose blob is gone (removed behind the daemon's back) is a miss. */
  async get(key: string): Promise<CacheRecord | undefined> {
    if (!/^sha256:[a-f0-9]{64}$/.test(key)) return undefined;
    const rec = this.records.get(hexOf(key));
    if (!rec) return undefined;
    // a leased blob cannot have been collected: only check the disk for blobs outside the daemon's leases
    if (rec.layer && !this.content.leased(rec.layer.digest) && !(await this.content.has(rec.layer.digest))) return undefined;
    return rec;
  }

  async put(key: string, rec: CacheRecord): Promise<void> {
    await writeJsonAtomic(join(this.root, `${hexOf(key)}.json`), rec);
    this.hold(hexOf(key), rec);
    this.records.set(hexOf(key), rec);
  }

  /** Parts of every record whose parent is `parent`. */
  async siblings(parent: string): Promise<CacheKeyParts[]> {
    return [...this.records.values()].filter((r) => r.parent === parent).map((r) => r.parts);
  }

  /** Removes records (all, or those created before `until`); returns their keys and layer sizes. */
  async prune(keep: (rec: CacheRecord) => boolean = () => false): Promise<Array<{ key: string; size: number }>> {
    const out: Array<{ key: string; size: number }> = [];
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue;
      let rec: CacheRecord | undefined;
      try {
        rec = JSON.parse(await readFile(join(this.root, name), 'utf8')) as CacheRecord;
      } catch {
        rec = undefined;
      }
      if (rec && keep(rec)) continue;
      await rm(join(this.root, name), { force: true });
      this.records.delete(name.slice(0, -5));
      this.leases.get(name.slice(0, -5))?.();
      this.leases.delete(name.slice(0, -5));
      out.push({ key: name.slice(0, -5), size: rec?.layer?.size ?? 0 });
    }
    return out;
  }
}
