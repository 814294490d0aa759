/**
 * Build layers in the image store: an upper directory becomes a gzip blob plus a snapshot keyed by its chain ID
 * (the same diff the store's commit uses), and a chain of layers is materialised as overlay lowers, recreating
 * snapshots from their blobs when garbage collection removed them.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { notFound } from '@tdock/core';
import type { LayerRef, RootfsChain } from '@tdock/builder';
import { chainIds } from '../store/digest.js';
import { writeDiff } from '../store/diff.js';
import type { LayerRecord } from '../store/image-metadata.js';
import type { ImageStore } from '../store/image-store.js';
import { unpackLayer } from '../store/unpack.js';

/** The layers one build knows (base images, cache hits, new ones) and the leases that keep them alive. */
export class BuildLayers {
  private readonly records = new Map<string, LayerRecord>();
  private readonly releases: Array<() => void> = [];

  constructor(private readonly store: ImageStore, private readonly clampMtime: number | undefined) {}

  /** Remembers layers (of a base image or a cache record) and holds their blobs against GC. */
  add(records: readonly LayerRecord[]): void {
    for (const r of records) this.records.set(r.diffId, r);
    this.releases.push(this.store.content.lease(records.map((r) => r.digest)));
  }

  record(diffId: string): LayerRecord {
    const r = this.records.get(diffId);
    if (!r) throw notFound(`build layer ${diffId} is unknown`);
    return r;
  }

  /** Makes sure every snapshot of the chain exists (recreating from blobs) and returns the top chain ID. */
  async ensure(chain: RootfsChain): Promise<string | undefined> {
    const diffIds = chain.map((l) => l.diffId);
    const chains = chainIds(diffIds);
    this.releases.push(this.store.snapshots.lease(chains));
    for (let i = 0; i < chains.length; i++) {
      if (await this.store.snapshots.has(chains[i]!)) continue;
      const rec = this.record(diffIds[i]!);
      await this.store.snapshots.create(chains[i]!, chains[i - 1], async (dir) => {
        const r = await unpackLayer(createReadStream(this.store.content.blobPath(rec.digest)), dir, this.store.fsOps, { expectedDiffId: rec.diffId });
        return { diffId: r.diffId, size: r.contentSize, tarSize: r.size };
      });
    }
    return chains.at(-1);
  }

  /** Turns `upper` into a layer on `parent`; undefined when the upper is empty (nothing changed). */
  async commit(upper: string, parent: RootfsChain, signal: AbortSignal): Promise<LayerRef | undefined> {
    if ((await readdir(upper)).length === 0) return undefined;
    const d = await writeDiff(upper, this.store.content, this.store.fsOps, { ...(this.clampMtime !== undefined ? { clampMtime: this.clampMtime } : {}), signal });
    const rec: LayerRecord = { digest: d.digest, size: d.size, mediaType: d.mediaType, diffId: d.diffId };
    this.add([rec]);
    await this.ensure([...parent, { diffId: d.diffId }]);
    return { diffId: d.diffId, size: d.size };
  }

  /** Lowers (newest first) of a chain; empty for scratch. */
  async lowers(chain: RootfsChain): Promise<string[]> {
    const top = await this.ensure(chain);
    return top === undefined ? [] : this.store.snapshots.lowers(top);
  }

  /** Releases every lease taken by this build. */
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}
