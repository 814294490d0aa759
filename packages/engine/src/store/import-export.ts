import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig, ImageConfig } from '@tdock/core';
import { parseNormalizedNamed, referenceString, tagNameOnly } from '@tdock/core';
import { detectCompression } from './decompress.js';
import { diffTar } from './diff.js';
import type { FsOps, MountOps } from './fs-ops.js';
import type { ImageStore } from './image-store.js';
import type { Mount } from './snapshots.js';
import { sha256Digest } from './digest.js';
import { unpackLayer } from './unpack.js';

/** Options of `docker import`. */
export interface ImportOptions {
  /** `repo[:tag]` to tag the new image with. */
  reference?: string;
  /** History comment (Docker: `Imported from -` or the URL). */
  message?: string;
  /** Runtime defaults (Docker's `--change` applied by the caller). */
  config?: ContainerConfig;
  /** Defaults to the host's. */
  platform?: { os: string; architecture: string; variant?: string };
  signal?: AbortSignal;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * `docker import`: a flat rootfs tar (plain, gzip or zstd) becomes a one-layer image. The input is
 * stored as received (its blob) and unpacked in the same pass; the diff ID is computed on the way.
 */
export async function importRootfs(store: ImageStore, input: AsyncIterable<Buffer>, opts: ImportOptions = {}): Promise<{ id: string }> {
  const blobHash = createHash('sha256');
  let head: Buffer | undefined;
  const writer = await store.content.writer(`import-${randomBytes(8).toString('hex')}`, { resume: false });
  let committed = false;
  try {
    async function* tee(): AsyncGenerator<Buffer> {
      for await (const c of input) {
        head ??= c;
        blobHash.update(c);
        await writer.write(c);
        yield c;
      }
    }
    const { info } = await store.snapshots.createFromFill(undefined, async (dir) => {
      const r = await unpackLayer(tee(), dir, store.fsOps, opts.signal ? { signal: opts.signal } : {});
      return { diffId: r.diffId, size: r.contentSize, tarSize: r.size };
    });
    const digest = `sha256:${blobHash.digest('hex')}`;
    const blob = await writer.commit(digest);
    committed = true;
    const kind = detectCompression(head ?? Buffer.alloc(0));
    const mediaType = kind === 'gzip' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : kind === 'zstd' ? 'application/vnd.oci.image.layer.v1.tar+zstd' : 'application/vnd.oci.image.layer.v1.tar';
    const now = new Date().toISOString();
    const platform = opts.platform ?? { os: 'linux', architecture: GOARCH[process.arch] ?? process.arch };
    // moby ImportImage: the message is the image's comment and its one history entry's.
    const comment = opts.message ?? 'Imported from -';
    const config = {
      created: now, ...platform, config: opts.config ?? {}, comment,
      rootfs: { type: 'layers', diff_ids: [info.diffId] },
      history: [{ created: now, comment }],
    } as ImageConfig;
    const configBytes = Buffer.from(JSON.stringify(config));
    const id = sha256Digest(configBytes);
    const manifestBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: configBytes.length },
      layers: [{ mediaType, digest, size: blob.size }],
    }));
    const manifestDigest = sha256Digest(manifestBytes);
    await store.content.writeBytes(configBytes, id);
    await store.content.writeBytes(manifestBytes, manifestDigest);
    const refs = opts.reference ? [referenceString(tagNameOnly(parseNormalizedNamed(opts.reference)))] : [];
    await store.metadata.putImage({
      id, manifestDigest, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json', configSize: configBytes.length,
      layers: [{ digest, size: blob.size, mediaType, diffId: info.diffId }], loadedAt: now,
    }, refs);
    return { id };
  } finally {
    if (!committed) await writer.abort();
  }
}

/**
 * `docker export`: the merged root filesystem of a Mount (a container's rootfs: its upper with
 * whiteouts applied over the image's layers) as a flat tar. The store mounts it read-only in its
 * scratch area for the duration of the stream (the upper joins as the top lower layer).
 */
export async function* exportRootfs(mount: Mount, scratch: string, mounts: MountOps, ops: FsOps, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const target = join(scratch, `export-${randomBytes(6).toString('hex')}`);
  await mkdir(target, { recursive: true });
  let mounted = false;
  try {
    const lowers = mount.upper !== undefined ? [mount.upper, ...mount.lowers] : mount.lowers;
    mounts.mountOverlay({ lowers }, target);
    mounted = true;
    yield* diffTar(target, ops, signal ? { signal } : {});
  } finally {
    if (mounted) mounts.unmount(target);
    await rm(target, { recursive: true, force: true });
  }
}
