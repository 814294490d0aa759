// Test images written as OCI layouts and pushed with skopeo (an independent client), so pull tests
// do not depend on this package's own push code.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Layer } from '@tdock/core';
import { run } from '@tdock/testkit';

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface TestImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  platform: { os: string; architecture: string; variant?: string };
}

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Deterministic pseudo-random bytes (layer contents: the registry never looks inside). */
export function bytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off, 0, Math.min(block.length, size - off));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function blob(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256(data), size: data.length, data };
}

/** An OCI image with gzip "layers" of the given sizes (deterministic for a seed). */
export function makeImage(seed: string, layerSizes: number[], platform: TestImage['platform'] = { os: 'linux', architecture: 'amd64' }): TestImage {
  const layers = layerSizes.map((size, i) => blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(bytes(`${seed}-${i}`, size), { level: 1 })));
  const configJson = {
    architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'], Labels: { seed } },
    rootfs: { type: 'layers', diff_ids: layerSizes.map((size, i) => sha256(bytes(`${seed}-${i}`, size))) },
    history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
  };
  const config = blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify(configJson)));
  const strip = (b: Blob): object => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifestJson = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: strip(config), layers: layers.map(strip) };
  const manifest = blob('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify(manifestJson, null, 2)));
  return { manifest, config, layers, platform };
}

/** The index bytes for some images. */
export function makeIndex(images: TestImage[]): Blob {
  const json = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: images.map((im) => ({ mediaType: im.manifest.mediaType, digest: im.manifest.digest, size: im.manifest.size, platform: im.platform })),
  };
  return blob('application/vnd.oci.image.index.v1+json', Buffer.from(JSON.stringify(json)));
}

/**
 * Pushes images with skopeo from an OCI layout. One image: `docker://host/name:tag` (as Docker
 * schema2 when `format` is 'v2s2'); several: an index (`--all`).
 */
export async function skopeoPush(host: string, name: string, images: TestImage[], format: 'oci' | 'v2s2' = 'oci',
  auth?: { username: string; password: string }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tdk-rc-layout-'));
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const put = async (b: Blob): Promise<void> => writeFile(join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.data);
    for (const im of images) for (const b of [im.manifest, im.config, ...im.layers]) await put(b);
    const top = images.length === 1 ? (images[0] as TestImage).manifest : makeIndex(images);
    if (images.length > 1) await put(top);
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(dir, 'index.json'), JSON.stringify({
      schemaVersion: 2, manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.size, annotations: { 'org.opencontainers.image.ref.name': 'x' } }],
    }));
    const args = ['copy', '-q', '--dest-tls-verify=false', '--format', format, ...(images.length > 1 ? ['--all'] : [])];
    if (auth) args.push('--dest-creds', `${auth.username}:${auth.password}`);
    await run('skopeo', [...args, `oci:${dir}:x`, `docker://${host}/${name}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a layer to the end, returning size and sha256 (throws what the stream throws). */
export async function drain(layer: Layer | NodeJS.ReadableStream): Promise<{ size: number; digest: string }> {
  const stream = 'open' in layer ? await layer.open() : layer;
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(stream, new Writable({ write(chunk: Buffer, _e, cb) { hash.update(chunk); size += chunk.length; cb(); } }));
  return { size, digest: `sha256:${hash.digest('hex')}` };
}

