// Test helper: an in-memory registry Image (core's Image/Layer) built from layer tars.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { Image, Layer, OpenOptions } from '@tdock/core';
import { parseNormalizedNamed } from '@tdock/core';
import { sha256Digest } from '../../src/store/digest.js';
import { buildTar } from '../../src/store/tar-writer.js';

export interface FakeLayerHooks {
  /** Called for every open, with its options. */
  onOpen?: (digest: string, opts: OpenOptions | undefined) => void;
  /** For this layer digest: deliver this many bytes then stall forever (the stream never ends). */
  stallAfter?: Map<string, number>;
  /** For this layer digest: deliver these bytes instead (as a registry serving a tampered blob would). */
  serve?: Map<string, Buffer>;
}

export function fileLayer(files: Record<string, string>): Buffer {
  return buildTar(Object.entries(files).map(([name, data]) => ({ name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, data: Buffer.from(data) })));
}

/** A pseudo-random (incompressible) file of `size` bytes from a seed. */
export function noise(seed: number, size: number): string {
  const b = Buffer.alloc(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = 0x21 + ((x >>> 16) % 90);
  }
  return b.toString('latin1');
}

export function fakeImage(ref: string, tars: Buffer[], hooks: FakeLayerHooks = {}, diffIdOverride?: string[]): Image {
  const blobs = tars.map((t) => gzipSync(t, { level: 1 }));
  const config = {
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z',
    config: { Env: ['PATH=/usr/bin'], Cmd: ['sh'], Labels: { 'org.test': 'yes' } },
    rootfs: { type: 'layers', diff_ids: diffIdOverride ?? tars.map((t) => sha256Digest(t)) },
    history: tars.map((_, i) => ({ created: '2024-01-02T03:04:05Z', created_by: `layer ${i}` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const mt = 'application/vnd.oci.image.layer.v1.tar+gzip';
  const manifest = {
    schemaVersion: 2 as const, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(configBytes), size: configBytes.length },
    layers: blobs.map((b) => ({ mediaType: mt, digest: sha256Digest(b), size: b.length })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const layers: Layer[] = blobs.map((b, i) => ({
    descriptor: manifest.layers[i]!, digest: manifest.layers[i]!.digest, size: b.length, mediaType: mt, diffId: config.rootfs.diff_ids[i]!,
    open: async (opts?: OpenOptions) => {
      const digest = manifest.layers[i]!.digest;
      hooks.onOpen?.(digest, opts);
      const start = opts?.offset ?? 0;
      const stall = hooks.stallAfter?.get(digest);
      const served = hooks.serve?.get(digest);
      if (served) return Readable.from(chunks(served.subarray(start)));
      if (stall === undefined) return Readable.from(chunks(b.subarray(start)));
      return Readable.from((async function* () {
        yield* chunks(b.subarray(start, stall));
        await new Promise(() => undefined);
      })());
    },
  }));
  return {
    reference: parseNormalizedNamed(ref), manifestDigest: sha256Digest(manifestBytes), manifestBytes, manifestMediaType: manifest.mediaType,
    manifest, configBytes, config: config as Image['config'], layers, platform: { architecture: 'amd64', os: 'linux' },
  };
}

function* chunks(b: Buffer): Generator<Buffer> {
  for (let i = 0; i < b.length; i += 16 * 1024) yield b.subarray(i, i + 16 * 1024);
}
