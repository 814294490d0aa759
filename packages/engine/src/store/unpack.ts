import { createHash } from 'node:crypto';
import { constants, chmodSync, closeSync, fchmodSync, fchownSync, fstatSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { TdockError } from '@tdock/core';
import { decompress } from './decompress.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, type FsOps } from './fs-ops.js';
import { breakout, cleanEntryPath, RootWalker } from './resolve-in-root.js';
import { readTar, type TarHeader } from './tar-reader.js';

/** Options for one layer unpack. */
export interface UnpackOptions {
  /** When given, the diff ID computed while unpacking must equal it. */
  expectedDiffId?: string;
  signal?: AbortSignal;
}

/** What an unpack found. */
export interface UnpackResult {
  /** sha256 of the uncompressed tar stream. */
  diffId: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  /** Bytes of regular file content written (Docker's layer size). */
  contentSize: number;
  /** Extended attributes the filesystem refused (ENOTSUP/EPERM), as Docker only warns about them. */
  skippedXattrs: string[];
}

const WH = '.wh.';
const YIELD_MS = 10;
const OPAQUE = '.wh..wh..opq';

/**
 * Apply a layer (gzip, zstd or plain tar, detected by magic) to the empty directory `root`:
 * OCI whiteouts become overlay whiteouts, ownership, modes (setuid/setgid/sticky), mtimes and
 * xattrs are kept. Nothing is ever written outside `root`: names climbing out are refused, no
 * symbolic link is followed, hardlink targets must resolve inside. Throws invalid-argument for a
 * refused or malformed layer; the caller discards `root` then.
 */
export async function unpackLayer(input: AsyncIterable<Buffer>, root: string, ops: FsOps, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const hash = createHash('sha256');
  let size = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of decompress(input)) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    } catch (err) {
      if (err instanceof TdockError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code.startsWith('Z_')) throw new TdockError('invalid-argument', `invalid layer compression: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }
  const walker = new RootWalker(root);
  const created = new Set<string>();
  const dirTimes: Array<[string, number]> = [];
  const skippedXattrs: string[] = [];
  let contentSize = 0;
  let turn = performance.now();
  for await (const { header, body } of readTar(hashed())) {
    opts.signal?.throwIfAborted();
    if (performance.now() - turn > YIELD_MS) {
      // Entries of a buffered chunk resolve as microtasks only: give I/O (the download running
      // ahead, API requests) a turn of the event loop now and then.
      await new Promise((resolve) => setImmediate(resolve));
      turn = performance.now();
    }
    if (header.type === 'file') contentSize += header.size;
    await applyEntry(header, body, { walker, created, dirTimes, skippedXattrs, ops });
  }
  for (const [path, mtime] of dirTimes.reverse()) lutimesSync(path, mtime, mtime);
  const diffId = `sha256:${hash.digest('hex')}`;
  if (opts.expectedDiffId !== undefined && opts.expectedDiffId !== diffId) {
    throw new TdockError('invalid-argument', `layer diff ID mismatch: expected ${opts.expectedDiffId}, got ${diffId}`);
  }
  return { diffId, size, contentSize, skippedXattrs };
}

interface Ctx {
  walker: RootWalker;
  created: Set<string>;
  dirTimes: Array<[string, number]>;
  skippedXattrs: string[];
  ops: FsOps;
}

// Metadata calls are synchronous on purpose: each one is short, and on small VMs the thread-pool
// round trip of an async fs call costs more than the call itself (measured: ~25 s vs ~5 s for debian).
async function applyEntry(h: TarHeader, body: AsyncIterable<Buffer>, c: Ctx): Promise<void> {
  const parts = cleanEntryPath(h.name);
  if (parts.length === 0) return; // the root itself: its metadata belongs to the snapshot, as Docker
  const base = parts[parts.length - 1]!;
  const parent = parts.slice(0, -1);
  if (base.startsWith(WH)) return applyWhiteout(h, parent, base, c);
  c.walker.ensureDir(parent, h.name);
  const rel = parts.join('/');
  const abs = c.walker.path(parts);
  // the root starts empty, so only a path this unpack already made can exist (saves an lstat per entry)
  const existing = c.created.has(rel) || c.walker.knows(rel) ? lstatSync(abs, { throwIfNoEntry: false }) : undefined;
  if (existing && !(existing.isDirectory() && h.type === 'dir')) {
    rmSync(abs, { recursive: true, force: true });
    c.walker.forget(rel);
  }
  c.created.add(rel);
  switch (h.type) {
    case 'dir': {
      if (!existing?.isDirectory()) mkdirSync(abs, { mode: h.mode & 0o777 });
      c.walker.remember(rel);
      if (setOwner(lstatSync(abs), h, () => lchownSync(abs, h.uid, h.gid))) chmodSync(abs, h.mode);
      setXattrs(abs, h, c);
      c.dirTimes.push([abs, h.mtime]);
      return;
    }
    case 'file': {
      const fd = openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, h.mode & 0o777);
      try {
        for await (const chunk of body) {
          let off = 0;
          while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        }
        if (setOwner(fstatSync(fd), h, () => fchownSync(fd, h.uid, h.gid))) fchmodSync(fd, h.mode);
        setXattrs(abs, h, c);
        futimesSync(fd, h.mtime, h.mtime); // on the fd: no second path lookup
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'symlink':
      symlinkSync(h.linkname, abs);
      setOwner(lstatSync(abs), h, () => lchownSync(abs, h.uid, h.gid));
      break;
    case 'link': {
      const target = cleanEntryPath(h.linkname);
      if (target.length === 0) throw breakout(h.name, 'hardlink to the root');
      c.walker.checkParents(target, h.name);
      const tabs = c.walker.path(target);
      const st = lstatSync(tabs, { throwIfNoEntry: false });
      if (!st) throw breakout(h.name, `hardlink target ${JSON.stringify(h.linkname)} does not exist in the layer`);
      if (st.isDirectory()) throw breakout(h.name, 'hardlink to a directory');
      linkSync(tabs, abs); // link(2) does not follow a symlink target
      return;
    }
    case 'char':
    case 'block':
    case 'fifo': {
      const kind = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
      c.ops.mknod(abs, kind | h.mode, h.devmajor, h.devminor);
      lchownSync(abs, h.uid, h.gid);
      chmodSync(abs, h.mode);
      break;
    }
  }
  setXattrs(abs, h, c);
  lutimesSync(abs, h.mtime, h.mtime);
}

/**
 * Set the owner, and say whether the mode must be set too, from what creation gave (`st`): the
 * open/mkdir mode already carries the permission bits, so for the usual root-owned 0644/0755 entry
 * both calls are skipped (each is an inode update through the journal). A chown clears
 * setuid/setgid, so the mode is set after it; setuid, setgid, sticky, umask-cleared bits or a group
 * inherited from a setgid parent all show as a difference.
 */
function setOwner(st: { uid: number; gid: number; mode: number }, h: TarHeader, chown: () => void): boolean {
  const chowned = st.uid !== h.uid || st.gid !== h.gid;
  if (chowned) chown();
  return chowned || (st.mode & 0o7777) !== h.mode;
}

function applyWhiteout(h: TarHeader, parent: string[], base: string, c: Ctx): void {
  c.walker.ensureDir(parent, h.name);
  if (base === OPAQUE) {
    c.ops.lsetxattr(c.walker.path(parent), 'trusted.overlay.opaque', Buffer.from('y'));
    return;
  }
  if (base.startsWith(`${WH}${WH}`)) return; // other AUFS metadata: ignored, as Docker
  const name = base.slice(WH.length);
  if (name === '' || name === '.' || name === '..') throw breakout(h.name, 'invalid whiteout name');
  const rel = [...parent, name].join('/');
  if (c.created.has(rel)) return; // a whiteout only hides lower layers; this layer's own entry wins
  const abs = c.walker.path([...parent, name]);
  rmSync(abs, { recursive: true, force: true });
  c.walker.forget(rel);
  c.ops.mknod(abs, S_IFCHR, 0, 0);
  lchownSync(abs, h.uid, h.gid);
}

function setXattrs(abs: string, h: TarHeader, c: Ctx): void {
  for (const [name, value] of h.xattrs) {
    if (name.startsWith('trusted.overlay.')) {
      c.skippedXattrs.push(`${h.name}: ${name}`); // a layer may not forge overlay metadata
      continue;
    }
    try {
      c.ops.lsetxattr(abs, name, value);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM') c.skippedXattrs.push(`${h.name}: ${name}`);
      else throw err;
    }
  }
}
