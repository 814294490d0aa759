import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { ContentStore } from './content-store.js';
import type { FsOps } from './fs-ops.js';
import { encodeTarHeader, TAR_END, tarPadding, type TarWriteHeader } from './tar-writer.js';

/** Options for turning a directory into a layer. */
export interface DiffOptions {
  /** Clamp every mtime to at most this (seconds; SOURCE_DATE_EPOCH style) for reproducible layers. */
  clampMtime?: number;
  signal?: AbortSignal;
}

/** A layer written to the content store. */
export interface DiffResult {
  /** Digest of the compressed blob. */
  digest: string;
  /** Digest of the uncompressed tar. */
  diffId: string;
  /** Compressed size. */
  size: number;
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip';
}

const S_IFMT = 0o170000;

/**
 * The tar of an overlay upper directory (or any directory): overlay whiteouts (0:0 character
 * devices) become `.wh.<name>`, opaque directories get a `.wh..wh..opq` entry, hardlinks within
 * the tree are kept, xattrs other than `trusted.overlay.*` are kept. Entries come in byte order,
 * parents first, with numeric owners, no user names and whole-second mtimes, so the same tree
 * gives the same bytes.
 */
export async function* diffTar(root: string, ops: FsOps, opts: DiffOptions = {}): AsyncGenerator<Buffer> {
  const inodes = new Map<string, string>();
  const mt = (ms: number): number => {
    const s = Math.floor(ms / 1000);
    return opts.clampMtime !== undefined ? Math.min(s, opts.clampMtime) : s;
  };
  async function* walk(dir: string, rel: string): AsyncGenerator<Buffer> {
    const names = (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      opts.signal?.throwIfAborted();
      const abs = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime: mt(st.mtimeMs) };
      const xattrs = readXattrs(abs, ops);
      if (st.isCharacterDevice() && st.rdev === 0) {
        yield encodeTarHeader({ ...base, name: `${rel ? `${rel}/` : ''}.wh.${name}`, type: 'file', mode: 0o600 });
        continue;
      }
      if (st.isDirectory()) {
        yield encodeTarHeader({ ...base, name: path, type: 'dir', xattrs: xattrs.kept });
        if (xattrs.opaque) yield encodeTarHeader({ ...base, name: `${path}/.wh..wh..opq`, type: 'file', mode: st.mode & 0o777 });
        yield* walk(abs, path);
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (!st.isDirectory() && st.nlink > 1) {
        const first = inodes.get(key);
        if (first !== undefined) {
          yield encodeTarHeader({ ...base, name: path, type: 'link', linkname: first });
          continue;
        }
        inodes.set(key, path);
      }
      const h: TarWriteHeader = { ...base, name: path, type: 'file', xattrs: xattrs.kept };
      if (st.isFile()) {
        yield encodeTarHeader({ ...h, size: st.size });
        let n = 0;
        for await (const c of createReadStream(abs)) {
          n += (c as Buffer).length;
          yield c as Buffer;
        }
        if (n !== st.size) throw new Error(`${path} changed size while being archived`);
        yield tarPadding(st.size);
      } else if (st.isSymbolicLink()) {
        yield encodeTarHeader({ ...h, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFIFO()) {
        yield encodeTarHeader({ ...h, type: 'fifo' });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
        const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
        yield encodeTarHeader({ ...h, type: (st.mode & S_IFMT) === 0o020000 ? 'char' : 'block', devmajor: major, devminor: minor });
      }
      // sockets are skipped, as Docker does
    }
  }
  yield* walk(root, '');
  yield TAR_END;
}

function readXattrs(abs: string, ops: FsOps): { kept: Map<string, Buffer>; opaque: boolean } {
  const kept = new Map<string, Buffer>();
  let opaque = false;
  let names: string[];
  try {
    names = ops.llistxattr(abs);
  } catch {
    return { kept, opaque };
  }
  for (const n of names) {
    const v = ops.lgetxattr(abs, n);
    if (v === undefined) continue;
    if (n === 'trusted.overlay.opaque') opaque = v.toString() === 'y';
    else if (!n.startsWith('trusted.overlay.')) kept.set(n, v);
  }
  return { kept, opaque };
}

/**
 * Write the layer of `root` (see `diffTar`) gzip-compressed into the content store, computing
 * its diff ID and digest in the same pass.
 */
export async function writeDiff(root: string, content: ContentStore, ops: FsOps, opts: DiffOptions = {}): Promise<DiffResult> {
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const tar = Readable.from((async function* () {
    for await (const c of diffTar(root, ops, opts)) {
      diffHash.update(c);
      yield c;
    }
  })());
  const gz = createGzip();
  tar.on('error', (err) => gz.destroy(err));
  tar.pipe(gz);
  const writer = await content.writer(`diff-${Math.random().toString(16).slice(2)}`, { resume: false });
  try {
    for await (const c of gz) {
      blobHash.update(c as Buffer);
      await writer.write(c as Buffer);
    }
    const digest = `sha256:${blobHash.digest('hex')}`;
    const info = await writer.commit(digest);
    return { digest, diffId: `sha256:${diffHash.digest('hex')}`, size: info.size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
