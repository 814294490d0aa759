// Deterministic layer tars, written like Docker's: no `./` prefix, numeric owners, sorted names,
// a fixed mtime, gzip with mtime 0. The same input gives byte-identical blobs on every rebuild.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';

/** The mtime every kit layer entry carries (2024-01-01T00:00:00Z). */
export const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

/** One entry of a layer tar. */
export interface LayerEntry {
  /** Path inside the layer, without `./` or a leading `/` (unless malicious on purpose). Directories without the trailing slash. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  /** Permission bits including setuid/setgid/sticky (default 0644 files, 0755 dirs, 0777 symlinks). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** File content (type 'file'): bytes, or a file on disk to stream from. */
  content?: Buffer | { path: string; size: number };
  /** Symlink target or hardlink target path. */
  linkname?: string;
  /** Extra PAX records, e.g. `{'SCHILY.xattr.user.tdock': 'v'}`. */
  pax?: Record<string, string>;
}

/** Digests and sizes of a written layer. */
export interface WrittenLayer {
  /** sha256 of the gzip blob (the layer's digest in a manifest). */
  digest: string;
  /** Size of the gzip blob in bytes. */
  size: number;
  /** sha256 of the uncompressed tar (the config's diff_id). */
  diffId: string;
  /** Size of the uncompressed tar in bytes. */
  tarSize: number;
}

class HashCount extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null, d?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

function defaultMode(e: LayerEntry): number {
  if (e.type === 'directory') return 0o755;
  if (e.type === 'symlink') return 0o777;
  return 0o644;
}

/** Sorts entries by name (byte order), as a directory walk of the layer would emit them. */
export function sortEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function packEntries(pack: tarStream.Pack, entries: readonly LayerEntry[]): Promise<void> {
  for (const e of entries) {
    const base = {
      name: e.type === 'directory' ? `${e.name}/` : e.name,
      mode: e.mode ?? defaultMode(e),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: FIXED_MTIME,
      type: e.type,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.pax ? { pax: e.pax } : {}),
    };
    if (e.type !== 'file') {
      await new Promise<void>((res, rej) => pack.entry({ ...base, size: 0 }, (err) => (err ? rej(err) : res())));
    } else if (!e.content || Buffer.isBuffer(e.content)) {
      const buf = (e.content as Buffer | undefined) ?? Buffer.alloc(0);
      await new Promise<void>((res, rej) => pack.entry({ ...base, size: buf.length }, buf, (err) => (err ? rej(err) : res())));
    } else {
      const src = e.content;
      await new Promise<void>((res, rej) => {
        const sink = pack.entry({ ...base, size: src.size }, (err) => (err ? rej(err) : res()));
        createReadStream(src.path).on('error', rej).pipe(sink);
      });
    }
  }
  pack.finalize();
}

/**
 * Writes `entries` (in the given order) as an uncompressed tar at `tarPath` and its gzip at
 * `gzPath`, and returns both digests.
 */
export async function writeLayer(entries: readonly LayerEntry[], tarPath: string, gzPath: string | null): Promise<WrittenLayer> {
  const pack = tarStream.pack();
  const rawHash = new HashCount();
  const gzHash = new HashCount();
  const tee = new PassThrough();
  const toTar = new PassThrough();
  tee.pipe(toTar);
  const done = Promise.all([
    pipeline(toTar, createWriteStream(tarPath)),
    gzPath === null ? pipeline(tee, new Writable({ write: (_c, _e, cb) => cb() })) : pipeline(tee, createGzip({ level: 6 }), gzHash, createWriteStream(gzPath)),
  ]);
  const producing = pipeline(pack as unknown as Readable, rawHash, tee);
  await packEntries(pack, entries);
  await producing;
  await done;
  return {
    digest: `sha256:${gzHash.hash.digest('hex')}`,
    size: gzHash.bytes,
    diffId: `sha256:${rawHash.hash.digest('hex')}`,
    tarSize: rawHash.bytes,
  };
}

/**
 * Walks a directory tree into layer entries: sorted names, numeric owners from lstat, hardlinks
 * (same inode seen twice) as `link` entries to the first path. Device nodes, sockets and fifos are
 * skipped. File contents are streamed from disk when packed.
 */
export async function entriesFromDir(root: string): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  const inodes = new Map<string, string>();
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = join(root, relPath);
      const st = await lstat(abs);
      const common = { name: relPath, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isDirectory()) {
        out.push({ ...common, type: 'directory' });
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        out.push({ ...common, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first !== undefined) out.push({ ...common, type: 'link', linkname: first });
        else {
          if (st.nlink > 1) inodes.set(key, relPath);
          out.push({ ...common, type: 'file', content: { path: abs, size: st.size } });
        }
      }
    }
  }
  await walk('');
  return out;
}

/** Gzips an existing layer tar (mtime 0 in the header) and returns both digests. */
export async function gzipLayer(tarPath: string, gzPath: string): Promise<WrittenLayer> {
  const rawHash = new HashCount();
  const gzHash = new HashCount();
  await pipeline(createReadStream(tarPath), rawHash, createGzip({ level: 6 }), gzHash, createWriteStream(gzPath));
  return {
    digest: `sha256:${gzHash.hash.digest('hex')}`,
    size: gzHash.bytes,
    diffId: `sha256:${rawHash.hash.digest('hex')}`,
    tarSize: rawHash.bytes,
  };
}
