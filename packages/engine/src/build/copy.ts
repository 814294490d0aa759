/**
 * Copying selected sources into a mounted root filesystem, with docker's destination rules, `--chown`, `--chmod`,
 * ownership kept for `COPY --from`, and ADD's extraction of local tar archives. Every destination path is resolved
 * inside the root (symlinks in the image never lead the copy outside it).
 */
import { chmodSync, closeSync, constants, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { checkCopyDestination, copyTarget, type SourceContent } from '@tdock/builder';
import type { DockerignoreMatcher } from '@tdock/core';
import type { FsOps } from '../store/fs-ops.js';
import { unpackLayer } from '../store/unpack.js';
import type { SelectedSource } from './sources.js';
import { resolveInScope } from './scope.js';

/** How copied entries are owned and moded. */
export interface CopyRules {
  /** Owner of every copied entry; undefined keeps the source's (COPY --from without --chown). */
  owner?: { uid: number; gid: number };
  /** `--chmod` bits for every copied entry. */
  chmod?: number;
  excludes?: DockerignoreMatcher;
  /** ADD: extract local tar archives into the destination. */
  unpack: boolean;
  fsOps: FsOps;
  /** A private directory for archive extraction. */
  scratch: string;
  signal: AbortSignal;
}

/** `mkdir -p` inside `root` (symlinks resolved in scope); created directories get 0755 and `owner`. */
export function mkdirAllScoped(root: string, path: string, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): string {
  const parts = posix.normalize('/' + path).split('/').filter(Boolean);
  let cur = root;
  for (let i = 1; i <= parts.length; i++) {
    cur = resolveInScope(root, parts.slice(0, i).join('/'));
    const st = lstatSync(cur, { throwIfNoEntry: false });
    if (!st) {
      mkdirSync(cur, { mode: 0o755 });
      chmodSync(cur, 0o755);
      lchownSync(cur, owner.uid, owner.gid);
    } else if (!st.isDirectory()) {
      throw new Error(`mkdir ${'/' + parts.slice(0, i).join('/')}: not a directory`);
    }
  }
  return cur;
}

function apply(dst: string, st: Stats, rules: CopyRules, isLink = false): void {
  const owner = rules.owner ?? { uid: st.uid, gid: st.gid };
  lchownSync(dst, owner.uid, owner.gid);
  if (!isLink) chmodSync(dst, rules.chmod ?? st.mode & 0o7777);
}

function copyEntry(src: string, dst: string, rel: string, rules: CopyRules): void {
  rules.signal.throwIfAborted();
  if (rel && rules.excludes?.matches(rel)) return;
  const st = lstatSync(src);
  const existing = lstatSync(dst, { throwIfNoEntry: false });
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) rmSync(dst, { recursive: true, force: true });
    if (!existing?.isDirectory()) mkdirSync(dst, { mode: 0o700 });
    apply(dst, st, rules);
    copyChildren(src, dst, rel, rules);
    lutimesSync(dst, st.atime, st.mtime);
    return;
  }
  if (!st.isFile() && !st.isSymbolicLink()) return;
  if (existing) rmSync(dst, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
    apply(dst, st, rules, true);
  } else {
    copyFileSync(src, dst, constants.COPYFILE_EXCL);
    apply(dst, st, rules);
  }
  lutimesSync(dst, st.atime, st.mtime);
}

function copyChildren(src: string, dst: string, rel: string, rules: CopyRules): void {
  for (const name of readdirSync(src).sort()) copyEntry(join(src, name), join(dst, name), rel ? `${rel}/${name}` : name, rules);
}

/** Whether a file is a tar archive ADD extracts: gzip, zstd, or a ustar/GNU/v7 header. */
export function isArchive(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, 512, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    if (n >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
    if (n < 512) return false;
    if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
    // v7: the header checksum must match
    const stored = parseInt(head.subarray(148, 156).toString('latin1').replace(/[\0 ]/g, ''), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : head[i]!;
    return Number.isFinite(stored) && stored === sum && head[0] !== 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * Performs a COPY/ADD into the mounted root `root`: moby's performCopyForInfo over each selected source, then the
 * here-documents. Parent directories created on the way are owned by the copy's owner (root by default).
 */
export async function copyInto(root: string, cmdName: 'COPY' | 'ADD', selected: readonly SelectedSource[], contents: readonly SourceContent[], dest: string, rules: CopyRules): Promise<void> {
  checkCopyDestination(cmdName, selected.length + contents.length, dest);
  const parentOwner = rules.owner ?? { uid: 0, gid: 0 };
  const destIsDir = (): boolean => lstatSync(resolveInScope(root, dest), { throwIfNoEntry: false })?.isDirectory() ?? false;
  for (const s of selected) {
    if (rules.unpack && !s.isDir && lstatSync(s.abs).isFile() && isArchive(s.abs)) {
      const target = mkdirAllScoped(root, dest, parentOwner);
      const tmp = await mkdtemp(join(rules.scratch, 'add-'));
      try {
        await unpackLayer(createReadStream(s.abs), tmp, rules.fsOps, { signal: rules.signal });
        copyChildren(tmp, target, '', { unpack: false, fsOps: rules.fsOps, scratch: rules.scratch, signal: rules.signal });
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      continue;
    }
    const { contentsOf, target } = copyTarget(dest, { path: s.rel, isDir: s.isDir }, destIsDir());
    if (contentsOf) {
      const abs = mkdirAllScoped(root, target, parentOwner);
      copyChildren(s.abs, abs, '', rules);
      continue;
    }
    const parent = mkdirAllScoped(root, posix.dirname(target), parentOwner);
    copyEntry(s.abs, join(parent, posix.basename(target)), '', rules);
  }
  for (const c of contents) {
    const { target } = copyTarget(dest, { path: c.path, isDir: false }, destIsDir());
    const parent = mkdirAllScoped(root, posix.dirname(target), parentOwner);
    const abs = join(parent, posix.basename(target));
    rmSync(abs, { recursive: true, force: true });
    writeFileSync(abs, c.data, { mode: 0o644, flag: 'wx' });
    lchownSync(abs, parentOwner.uid, parentOwner.gid);
    chmodSync(abs, rules.chmod ?? 0o644);
  }
}
