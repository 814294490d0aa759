// Writes images as OCI layouts (blobs/sha256, index.json, oci-layout) and as `docker save`
// archives in the Docker 25+ format (OCI layout plus manifest.json and repositories).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { FIXED_MTIME, gzipLayer, writeLayer, type LayerEntry } from './layer.js';

/** OCI image manifest media type. */
export const MT_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image index media type. */
export const MT_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI image config media type. */
export const MT_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** OCI gzip layer media type. */
export const MT_OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** OCI uncompressed layer media type (used in save archives). */
export const MT_OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
/** Docker schema 2 manifest media type (what the kit registry serves for single images). */
export const MT_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A layer of a fixture image and where its files are. */
export interface LayerFixture {
  /** Digest of the gzip blob. */
  digest: string;
  size: number;
  mediaType: string;
  /** sha256 of the uncompressed tar (diff_id). */
  diffId: string;
  tarSize: number;
  /** The uncompressed tar file. */
  tarPath: string;
  /** The gzip blob inside the OCI layout. */
  blobPath: string;
}

/** A content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An image written into an OCI layout. */
export interface WrittenImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: LayerFixture[];
  platform: Platform;
}

/** What to put in an image. */
export interface ImageSpec {
  /** Layers, bottom first: entries (written in the given order), or an existing uncompressed tar. */
  layers: readonly (readonly LayerEntry[] | { tarFile: string })[];
  platform: Platform;
  /** The image config's `config` object (Env, Cmd, ...). */
  runConfig: Record<string, unknown>;
  /** One history `created_by` per layer. */
  history?: readonly string[];
}

/** sha256 of bytes as `sha256:<hex>`. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Writes bytes as a blob of the OCI layout at `layout`; returns its descriptor. */
export async function writeBlob(layout: string, mediaType: string, data: Buffer): Promise<Descriptor> {
  const digest = sha256(data);
  await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
  await writeFile(join(layout, 'blobs/sha256', digest.slice(7)), data);
  return { mediaType, digest, size: data.length };
}

/** Writes one image's layers, config and manifest into the OCI layout `layout` (not index.json). */
export async function writeImage(layout: string, spec: ImageSpec, rawDir: string): Promise<WrittenImage> {
  await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
  await mkdir(rawDir, { recursive: true });
  const layers: LayerFixture[] = [];
  for (const [i, entries] of spec.layers.entries()) {
    const tmpGz = join(layout, 'blobs/sha256', `.tmp-${i}`);
    const tarPath = 'tarFile' in entries ? entries.tarFile : join(rawDir, `.tmp-${i}.tar`);
    const w = 'tarFile' in entries ? await gzipLayer(tarPath, tmpGz) : await writeLayer(entries, tarPath, tmpGz);
    const blobPath = join(layout, 'blobs/sha256', w.digest.slice(7));
    await rename(tmpGz, blobPath);
    let finalTar = tarPath;
    if (!('tarFile' in entries)) {
      finalTar = join(rawDir, `${w.diffId.slice(7)}.tar`);
      await rename(tarPath, finalTar);
    }
    layers.push({ ...w, mediaType: MT_OCI_LAYER_GZIP, tarPath: finalTar, blobPath });
  }
  const config = {
    architecture: spec.platform.architecture,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    os: spec.platform.os,
    created: FIXED_MTIME.toISOString(),
    config: spec.runConfig,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: FIXED_MTIME.toISOString(), created_by: spec.history?.[i] ?? `tdock-testkit layer ${i}` })),
  };
  const configDesc = await writeBlob(layout, MT_OCI_CONFIG, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: MT_OCI_MANIFEST,
    config: configDesc,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestDesc = await writeBlob(layout, MT_OCI_MANIFEST, Buffer.from(JSON.stringify(manifest)));
  return { manifest: { ...manifestDesc, platform: spec.platform }, config: configDesc, layers, platform: spec.platform };
}

/** Writes `oci-layout` and `index.json` naming `manifests` (each optionally tagged with a ref name). */
export async function writeLayoutIndex(layout: string, manifests: readonly (Descriptor & { refName?: string })[]): Promise<void> {
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    mediaType: MT_OCI_INDEX,
    manifests: manifests.map(({ refName, ...d }) => ({
      ...d,
      ...(refName ? { annotations: { ...d.annotations, 'org.opencontainers.image.ref.name': refName } } : {}),
    })),
  };
  await writeFile(join(layout, 'index.json'), JSON.stringify(index));
}

/** A file to put into a `docker save` archive. */
interface ArchiveFile { name: string; data?: Buffer; path?: string }

async function writeTar(path: string, files: readonly ArchiveFile[]): Promise<void> {
  const pack = tarStream.pack();
  const out = pipeline(pack as unknown as Readable, createWriteStream(path));
  const header = { mtime: FIXED_MTIME, uid: 0, gid: 0 };
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      await new Promise<void>((res, rej) => pack.entry({ ...header, name: `${d}/`, type: 'directory', mode: 0o755 }, (e) => (e ? rej(e) : res())));
    }
    if (f.data) {
      await new Promise<void>((res, rej) => pack.entry({ ...header, name: f.name, mode: 0o644, size: f.data!.length }, f.data!, (e) => (e ? rej(e) : res())));
    } else {
      const size = (await stat(f.path!)).size;
      await new Promise<void>((res, rej) => {
        const sink = pack.entry({ ...header, name: f.name, mode: 0o644, size }, (e) => (e ? rej(e) : res()));
        createReadStream(f.path!).on('error', rej).pipe(sink);
      });
    }
  }
  pack.finalize();
  await out;
}

/**
 * Writes a `docker save` archive like Docker 25+: the layers uncompressed under blobs/sha256
 * (named by diff_id), the config, an OCI manifest naming the uncompressed layers, index.json,
 * oci-layout, manifest.json and repositories. Returns the digest of the archive's manifest.
 */
export async function writeSaveArchive(path: string, image: WrittenImage, configPath: string, repoTag: string): Promise<string> {
  const [repo, tag] = splitRepoTag(repoTag);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MT_OCI_MANIFEST,
    config: image.config,
    layers: image.layers.map((l) => ({ mediaType: MT_OCI_LAYER_TAR, digest: l.diffId, size: l.tarSize })),
  }));
  const manifestDigest = sha256(manifest);
  const blob = (d: string): string => `blobs/sha256/${d.slice(7)}`;
  const files: ArchiveFile[] = [];
  const seen = new Set<string>();
  const add = (f: ArchiveFile): void => { if (!seen.has(f.name)) { seen.add(f.name); files.push(f); } };
  for (const l of image.layers) add({ name: blob(l.diffId), path: l.tarPath });
  add({ name: blob(image.config.digest), path: configPath });
  add({ name: blob(manifestDigest), data: manifest });
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  files.push({
    name: 'index.json',
    data: Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MT_OCI_INDEX,
      manifests: [{
        mediaType: MT_OCI_MANIFEST, digest: manifestDigest, size: manifest.length,
        annotations: { 'io.containerd.image.name': `${repo}:${tag}`, 'org.opencontainers.image.ref.name': tag },
      }],
    })),
  });
  files.push({
    name: 'manifest.json',
    data: Buffer.from(JSON.stringify([{ Config: blob(image.config.digest), RepoTags: [repoTag], Layers: image.layers.map((l) => blob(l.diffId)) }])),
  });
  files.push({ name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) });
  const top = image.layers[image.layers.length - 1];
  files.push({ name: 'repositories', data: Buffer.from(JSON.stringify(top ? { [repo]: { [tag]: top.diffId.slice(7) } } : {})) });
  await writeTar(path, files);
  return manifestDigest;
}

/**
 * Writes a `docker save` archive of a multi-platform index the way the containerd image store
 * does: all blobs of the OCI layout `layout` (compressed layers), index.json naming the index, and
 * manifest.json naming the `chosen` platform's image (its layers as the gzip blobs).
 */
export async function writeIndexSaveArchive(path: string, layout: string, index: Descriptor, chosen: WrittenImage,
  blobs: readonly string[], repoTag: string): Promise<void> {
  const [repo, tag] = splitRepoTag(repoTag);
  const blob = (d: string): string => `blobs/sha256/${d.slice(7)}`;
  const files: ArchiveFile[] = [...new Set(blobs)].sort().map((d) => ({ name: blob(d), path: join(layout, blob(d)) }));
  files.push({
    name: 'index.json',
    data: Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT_OCI_INDEX,
      manifests: [{ ...index, annotations: { 'io.containerd.image.name': `${repo}:${tag}`, 'org.opencontainers.image.ref.name': tag } }],
    })),
  });
  files.push({
    name: 'manifest.json',
    data: Buffer.from(JSON.stringify([{ Config: blob(chosen.config.digest), RepoTags: [repoTag], Layers: chosen.layers.map((l) => blob(l.digest)) }])),
  });
  files.push({ name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) });
  const top = chosen.layers[chosen.layers.length - 1];
  files.push({ name: 'repositories', data: Buffer.from(JSON.stringify(top ? { [repo]: { [tag]: top.diffId.slice(7) } } : {})) });
  await writeTar(path, files);
}

/** Splits `repo:tag` at the last colon after the last slash. */
export function splitRepoTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}
