import { createReadStream } from 'node:fs';
import type { ContainerConfig, History, ImageConfig } from '@tdock/core';
import { parseNormalizedNamed, referenceString, tagNameOnly } from '@tdock/core';
import { writeDiff } from './diff.js';
import { chainIds, sha256Digest } from './digest.js';
import type { LayerRecord } from './image-metadata.js';
import type { ImageStore } from './image-store.js';
import { unpackLayer } from './unpack.js';

/** What `commitImage` builds on and adds. */
export interface CommitOptions {
  /** The image below (undefined: from scratch). */
  parent?: string;
  /** A directory whose content becomes the new layer (a container's overlay upper); none: no layer (`empty_layer` history). */
  upper?: string;
  /** The new runtime config; default the parent's. */
  config?: ContainerConfig;
  /** History entry fields. */
  createdBy?: string;
  comment?: string;
  author?: string;
  /** `repo[:tag]` to tag the new image with. */
  reference?: string;
  /** Creation time (RFC 3339); default now. Builders pass a fixed one for reproducible images. */
  created?: string;
  /** Clamp layer mtimes to this many seconds (reproducible builds). */
  clampMtime?: number;
  signal?: AbortSignal;
}

/**
 * `docker commit` and a build step: the parent image plus the diff of `upper` (whiteouts included)
 * as a new layer, stored as a blob and a snapshot, with a new config and history entry. The new
 * image's record names its parent (Docker's `Parent`).
 */
export async function commitImage(store: ImageStore, opts: CommitOptions): Promise<{ id: string; layer?: LayerRecord }> {
  const parentRec = opts.parent !== undefined ? store.resolve(opts.parent) : undefined;
  const parentCfg: Partial<ImageConfig> = parentRec ? await store.config(parentRec.id) : {};
  const layers: LayerRecord[] = [...(parentRec?.layers ?? [])];
  const diffIds = layers.map((l) => l.diffId);
  const chains = chainIds(diffIds);
  const created = opts.created ?? new Date().toISOString();
  let layer: LayerRecord | undefined;
  const release = store.snapshots.lease(chains);
  try {
    if (opts.upper !== undefined) {
      const d = await writeDiff(opts.upper, store.content, store.fsOps, { ...(opts.clampMtime !== undefined ? { clampMtime: opts.clampMtime } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      const releaseBlob = store.content.lease([d.digest]);
      try {
        const parentChain = chains.at(-1);
        const chain = chainIds([...diffIds, d.diffId]).at(-1)!;
        await store.snapshots.create(chain, parentChain, async (dir) => {
          const r = await unpackLayer(createReadStream(store.content.blobPath(d.digest)), dir, store.fsOps, { expectedDiffId: d.diffId });
          return { diffId: r.diffId, size: r.contentSize, tarSize: r.size };
        });
      } finally {
        releaseBlob();
      }
      layer = { digest: d.digest, size: d.size, mediaType: d.mediaType, diffId: d.diffId };
      layers.push(layer);
    }
    const history: History = { created, ...(opts.createdBy ? { created_by: opts.createdBy } : {}), ...(opts.author ? { author: opts.author } : {}), ...(opts.comment ? { comment: opts.comment } : {}), ...(layer ? {} : { empty_layer: true }) };
    const config: ImageConfig = {
      ...parentCfg,
      architecture: parentCfg.architecture ?? 'amd64', os: parentCfg.os ?? 'linux',
      created, ...(opts.author ? { author: opts.author } : {}),
      config: opts.config ?? parentCfg.config ?? {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [...(parentCfg.history ?? []), history],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const id = sha256Digest(configBytes);
    const manifestBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }));
    const manifestDigest = sha256Digest(manifestBytes);
    await store.content.writeBytes(configBytes, id);
    await store.content.writeBytes(manifestBytes, manifestDigest);
    const refs = opts.reference ? [referenceString(tagNameOnly(parseNormalizedNamed(opts.reference)))] : [];
    await store.metadata.putImage({
      id, manifestDigest, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json', configSize: configBytes.length,
      layers, loadedAt: new Date().toISOString(), ...(parentRec ? { parent: parentRec.id } : {}),
    }, refs);
    return { id, ...(layer ? { layer } : {}) };
  } finally {
    release();
  }
}
