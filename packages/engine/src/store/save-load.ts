import { randomBytes } from 'node:crypto';
import { createReadStream, constants } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { ImageConfig, ImageIndex, ImageManifest } from '@tdock/core';
import { TdockError, familiarString, parseNormalizedNamed, parseReference, referenceString, tagNameOnly } from '@tdock/core';
import { decompress, detectCompression } from './decompress.js';
import { chainIds, digestHex, sha256Digest } from './digest.js';
import type { LayerRecord } from './image-metadata.js';
import type { ImageStore } from './image-store.js';
import { cleanEntryPath, RootWalker } from './resolve-in-root.js';
import { readTar } from './tar-reader.js';
import { encodeTarHeader, TAR_END, tarPadding } from './tar-writer.js';
import { unpackLayer } from './unpack.js';

const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MT_INDEX = 'application/vnd.oci.image.index.v1+json';
const MT_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MT_LAYER: Record<string, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** One image a load brought in. */
export interface LoadedImage {
  id: string;
  /** Familiar tags (`busybox:latest`). */
  tags: string[];
}

interface ArchiveImage {
  config: string;
  repoTags: string[];
  layers: string[];
}

/**
 * `docker load`: read a `docker save` archive (Docker 25+ with OCI layout, older Docker, or a
 * containerd-style one with compressed layers; optionally gzip/zstd compressed itself), unpack
 * the layers that are not already present (diff IDs checked against the config), store blobs,
 * manifest and config, then record each image with its tags in one atomic write. Tags that
 * pointed at another image move to the loaded one, as Docker does. `onLine` gets Docker's lines.
 */
export async function loadArchive(store: ImageStore, input: AsyncIterable<Buffer>, opts: { signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<LoadedImage[]> {
  const dir = join(store.scratchRoot(), `load-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  try {
    const links = await extractArchive(input, dir, opts.signal);
    const resolve = (name: string): string => {
      let p = cleanEntryPath(name).join('/');
      for (let i = 0; i < 16 && links.has(p); i++) p = links.get(p)!;
      return join(dir, ...cleanEntryPath(p));
    };
    const readJson = async <T>(name: string): Promise<T | undefined> => {
      try {
        return JSON.parse(await readFile(resolve(name), 'utf8')) as T;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new TdockError('invalid-argument', `invalid archive: ${name}: ${(err as Error).message}`, { cause: err });
      }
    };
    const index = await readJson<ImageIndex>('index.json');
    let entries = await readJson<Array<{ Config: string; RepoTags?: string[] | null; Layers: string[] }>>('manifest.json');
    const ociManifests = new Map<string, Buffer>();
    for (const d of index?.manifests ?? []) {
      const bytes = await readFile(resolve(`blobs/sha256/${digestHex(d.digest)}`)).catch(() => undefined);
      if (bytes) ociManifests.set(d.digest, bytes);
    }
    if (!entries) {
      if (!index) throw new TdockError('invalid-argument', 'invalid archive: no manifest.json or index.json');
      entries = [];
      for (const d of index.manifests) {
        const bytes = ociManifests.get(d.digest);
        if (!bytes) continue;
        const m = JSON.parse(bytes.toString('utf8')) as ImageManifest;
        if (!m.config || !Array.isArray(m.layers)) continue;
        const name = d.annotations?.['io.containerd.image.name'];
        entries.push({ Config: `blobs/sha256/${digestHex(m.config.digest)}`, RepoTags: name ? [name] : [], Layers: m.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`) });
      }
    }
    const imported = new Map<string, { digest: string; size: number; mediaType: string }>();
    const out: LoadedImage[] = [];
    for (const e of entries) {
      opts.signal?.throwIfAborted();
      out.push(await loadOne(store, { config: e.Config, repoTags: e.RepoTags ?? [], layers: e.Layers }, resolve, imported, ociManifests, opts));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function extractArchive(input: AsyncIterable<Buffer>, dir: string, signal?: AbortSignal): Promise<Map<string, string>> {
  const walker = new RootWalker(dir);
  const links = new Map<string, string>();
  for await (const { header, body } of readTar(decompress(input))) {
    signal?.throwIfAborted();
    const parts = cleanEntryPath(header.name);
    if (parts.length === 0) continue;
    if (header.type === 'dir') {
      await walker.ensureDir(parts, header.name);
    } else if (header.type === 'symlink') {
      const target = header.linkname.startsWith('/') ? header.linkname : posix.join(parts.slice(0, -1).join('/'), header.linkname);
      links.set(parts.join('/'), cleanEntryPath(target).join('/'));
    } else if (header.type === 'file') {
      await walker.ensureDir(parts.slice(0, -1), header.name);
      const abs = walker.path(parts);
      await rm(abs, { force: true });
      const fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        for await (const c of body) {
          let off = 0;
          while (off < c.length) off += (await fh.write(c, off, c.length - off)).bytesWritten;
        }
      } finally {
        await fh.close();
      }
    }
  }
  return links;
}

async function loadOne(
  store: ImageStore,
  e: ArchiveImage,
  resolve: (name: string) => string,
  imported: Map<string, { digest: string; size: number; mediaType: string }>,
  ociManifests: Map<string, Buffer>,
  opts: { signal?: AbortSignal; onLine?: (line: string) => void },
): Promise<LoadedImage> {
  const configBytes = await readFile(resolve(e.config));
  const id = sha256Digest(configBytes);
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== e.layers.length) throw new TdockError('invalid-argument', `invalid archive: ${e.layers.length} layers for ${diffIds.length} diff IDs in ${id}`);
  const chains = chainIds(diffIds);
  const release = store.snapshots.lease(chains);
  try {
    const layers: LayerRecord[] = [];
    for (let i = 0; i < e.layers.length; i++) {
      const path = resolve(e.layers[i]!);
      const key = cleanEntryPath(e.layers[i]!).join('/');
      await store.snapshots.create(chains[i]!, i ? chains[i - 1] : undefined, async (dir) => {
        const r = await unpackLayer(createReadStream(path), dir, store.fsOps, { expectedDiffId: diffIds[i]!, ...(opts.signal ? { signal: opts.signal } : {}) });
        return { diffId: r.diffId, size: r.contentSize, tarSize: r.size };
      });
      let blob = imported.get(key);
      if (!blob) {
        const head = await readHead(path);
        const info = await store.content.importFile(path);
        blob = { ...info, mediaType: MT_LAYER[detectCompression(head)]! };
        imported.set(key, blob);
      }
      layers.push({ digest: blob.digest, size: blob.size, mediaType: blob.mediaType, diffId: diffIds[i]! });
    }
    let manifestBytes: Buffer | undefined;
    for (const bytes of ociManifests.values()) {
      const m = JSON.parse(bytes.toString('utf8')) as ImageManifest;
      if (m.config?.digest === id && m.layers?.length === layers.length && m.layers.every((l, i) => l.digest === layers[i]!.digest)) manifestBytes = bytes;
    }
    manifestBytes ??= Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT_MANIFEST, config: { mediaType: MT_CONFIG, digest: id, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }));
    const manifestDigest = sha256Digest(manifestBytes);
    await store.content.writeBytes(manifestBytes, manifestDigest);
    await store.content.writeBytes(configBytes, id);
    const refs = e.repoTags.map((t) => referenceString(tagNameOnly(parseNormalizedNamed(t))));
    const old = store.metadata.image(id);
    for (const ref of refs) {
      const prev = store.metadata.resolve(ref);
      if (prev && prev !== id) opts.onLine?.(`The image ${familiarString(parseReference(ref))} already exists, renaming the old one with ID ${prev} to empty string`);
    }
    await store.metadata.putImage({
      id, manifestDigest, manifestMediaType: MT_MANIFEST, configSize: configBytes.length, layers,
      loadedAt: old?.loadedAt ?? new Date().toISOString(), ...(old?.parent ? { parent: old.parent } : {}),
    }, refs);
    const tags = refs.map((r) => familiarString(parseReference(r)));
    if (tags.length) for (const t of tags) opts.onLine?.(`Loaded image: ${t}`);
    else opts.onLine?.(`Loaded image ID: ${id}`);
    return { id, tags };
  } finally {
    release();
  }
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * `docker save`: a tar stream in Docker 25+'s format: uncompressed layers named by diff ID,
 * the config, an OCI manifest and index.json (an OCI layout), plus manifest.json and
 * repositories for older readers. `names` are references (their tags are recorded) or IDs.
 * Deterministic: saving the same images twice gives the same bytes.
 */
export async function saveImages(store: ImageStore, names: readonly string[]): Promise<Readable> {
  const images = new Map<string, string[]>();
  const add = (id: string, ref?: string): void => {
    const refs = images.get(id) ?? [];
    if (ref !== undefined && !refs.includes(ref)) refs.push(ref);
    images.set(id, refs);
  };
  for (const n of names) {
    const hex = n.replace(/^sha256:/, '');
    const byId = /^[a-f0-9]+$/.test(hex) ? store.metadata.images().filter((i) => i.id.startsWith(`sha256:${hex}`)) : [];
    const asRef = safeParse(n);
    const refHit = asRef ? store.metadata.resolve(referenceString(tagNameOnly(asRef))) : undefined;
    if (byId.length === 1 && refHit === undefined) {
      add(byId[0]!.id);
      continue;
    }
    const ref = parseNormalizedNamed(n);
    if (ref.tag === undefined && ref.digest === undefined) {
      // a name without tag: every tag of that repository, as Docker
      const prefix = `${referenceString(ref)}:`;
      const tagged = store.metadata.references().filter(([r]) => r.startsWith(prefix));
      if (tagged.length === 0) throw new TdockError('not-found', `No such image: ${n}`);
      for (const [r, v] of tagged) add(v.id, r);
      continue;
    }
    const rec = store.resolve(n);
    add(rec.id, ref.digest === undefined ? referenceString(ref) : undefined);
  }
  const plan = [];
  for (const [id, refs] of images) {
    const rec = store.metadata.image(id)!;
    const chains = chainIds(rec.layers.map((l) => l.diffId));
    const layers = [];
    for (let i = 0; i < rec.layers.length; i++) {
      const l = rec.layers[i]!;
      if (!(await store.content.has(l.digest))) throw new TdockError('not-found', `layer ${l.digest} of image ${id} is not in the content store`);
      const tarSize = (await store.snapshots.info(chains[i]!))?.tarSize ?? (await countUncompressed(store.content.blobPath(l.digest)));
      layers.push({ diffId: l.diffId, blob: store.content.blobPath(l.digest), tarSize });
    }
    const configBytes = await store.content.readBytes(id);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT_MANIFEST, config: { mediaType: MT_CONFIG, digest: id, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: MT_LAYER.none, digest: l.diffId, size: l.tarSize })),
    }));
    plan.push({ id, refs, layers, configBytes, manifest, manifestDigest: sha256Digest(manifest) });
  }
  return Readable.from(writeSave(plan));
}

async function* writeSave(plan: Array<{ id: string; refs: string[]; layers: Array<{ diffId: string; blob: string; tarSize: number }>; configBytes: Buffer; manifest: Buffer; manifestDigest: string }>): AsyncGenerator<Buffer> {
  const meta = { mode: 0o644, uid: 0, gid: 0, mtime: 0 };
  const file = (name: string, data: Buffer): Buffer[] => [encodeTarHeader({ ...meta, name, type: 'file', size: data.length }), data, tarPadding(data.length)];
  yield encodeTarHeader({ ...meta, mode: 0o755, name: 'blobs/', type: 'dir', size: 0 });
  yield encodeTarHeader({ ...meta, mode: 0o755, name: 'blobs/sha256/', type: 'dir', size: 0 });
  const blobs = new Map<string, () => AsyncGenerator<Buffer>>();
  for (const p of plan) {
    for (const l of p.layers) {
      blobs.set(digestHex(l.diffId), async function* () {
        yield encodeTarHeader({ ...meta, name: `blobs/sha256/${digestHex(l.diffId)}`, type: 'file', size: l.tarSize });
        let n = 0;
        for await (const c of decompress(createReadStream(l.blob))) {
          n += c.length;
          yield c;
        }
        if (n !== l.tarSize) throw new TdockError('internal', `layer ${l.diffId}: expected ${l.tarSize} bytes, got ${n}`);
        yield tarPadding(n);
      });
    }
    blobs.set(digestHex(p.id), async function* () { yield* file(`blobs/sha256/${digestHex(p.id)}`, p.configBytes); });
    blobs.set(digestHex(p.manifestDigest), async function* () { yield* file(`blobs/sha256/${digestHex(p.manifestDigest)}`, p.manifest); });
  }
  for (const hex of [...blobs.keys()].sort()) yield* blobs.get(hex)!();
  const index = {
    schemaVersion: 2, mediaType: MT_INDEX,
    manifests: plan.flatMap((p) => (p.refs.length ? p.refs : [undefined]).map((ref) => ({
      mediaType: MT_MANIFEST, digest: p.manifestDigest, size: p.manifest.length,
      ...(ref ? { annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': parseReference(ref).tag ?? 'latest' } } : {}),
    }))),
  };
  yield* file('index.json', Buffer.from(JSON.stringify(index)));
  const manifestJson = plan.map((p) => ({
    Config: `blobs/sha256/${digestHex(p.id)}`, RepoTags: p.refs.map((r) => familiarString(parseReference(r))),
    Layers: p.layers.map((l) => `blobs/sha256/${digestHex(l.diffId)}`),
  }));
  yield* file('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  yield* file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const repositories: Record<string, Record<string, string>> = {};
  for (const p of plan) {
    const top = p.layers.at(-1);
    if (!top) continue;
    for (const r of p.refs) {
      const ref = parseReference(r);
      const name = familiarString({ domain: ref.domain, path: ref.path });
      (repositories[name] ??= {})[ref.tag ?? 'latest'] = digestHex(top.diffId);
    }
  }
  yield* file('repositories', Buffer.from(JSON.stringify(repositories)));
  yield TAR_END;
}

function safeParse(n: string): ReturnType<typeof parseNormalizedNamed> | undefined {
  try {
    return parseNormalizedNamed(n);
  } catch {
    return undefined;
  }
}

async function countUncompressed(path: string): Promise<number> {
  let n = 0;
  for await (const c of decompress(createReadStream(path))) n += c.length;
  return n;
}
