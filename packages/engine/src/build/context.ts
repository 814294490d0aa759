/**
 * The build context of `POST /build`: a tar body (plain or gzip/zstd, by magic bytes) extracted into a private
 * directory without ever writing outside it, `.dockerignore` applied again, and the Dockerfile read (also the
 * CLI's `.dockerfile.<random>` form for a Dockerfile from stdin or outside the context).
 */
import { chmodSync, closeSync, constants, fchmodSync, fchownSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { compileDockerignore, invalidArgument, type DockerignoreMatcher } from '@tdock/core';
import { decompress } from '../store/decompress.js';
import { breakout, cleanEntryPath, RootWalker } from '../store/resolve-in-root.js';
import { readTar } from '../store/tar-reader.js';
import { resolveInScope } from './scope.js';

/**
 * Extracts a context tar into the empty directory `root`. Entries climbing out, symlinked parents and hardlinks
 * to outside are refused; devices are skipped; owners, modes and mtimes are kept. Returns the number of entries.
 */
export async function extractContext(input: AsyncIterable<Buffer>, root: string, signal?: AbortSignal): Promise<number> {
  const walker = new RootWalker(root);
  let count = 0;
  const dirTimes: Array<[string, number]> = [];
  for await (const { header: h, body } of readTar(decompress(input))) {
    signal?.throwIfAborted();
    count++;
    const parts = cleanEntryPath(h.name);
    if (parts.length === 0) {
      for await (const _ of body) void _;
      continue;
    }
    walker.ensureDir(parts.slice(0, -1), h.name);
    const rel = parts.join('/');
    const abs = walker.path(parts);
    const existing = lstatSync(abs, { throwIfNoEntry: false });
    if (existing && !(existing.isDirectory() && h.type === 'dir')) {
      rmSync(abs, { recursive: true, force: true });
      walker.forget(rel);
    }
    switch (h.type) {
      case 'dir':
        if (!existing?.isDirectory()) mkdirSync(abs, { mode: 0o700 });
        walker.remember(rel);
        lchownSync(abs, h.uid, h.gid);
        chmodSync(abs, h.mode);
        dirTimes.push([abs, h.mtime]);
        continue;
      case 'file': {
        const fd = openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
          }
          fchownSync(fd, h.uid, h.gid);
          fchmodSync(fd, h.mode);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'symlink':
        symlinkSync(h.linkname, abs);
        lchownSync(abs, h.uid, h.gid);
        break;
      case 'link': {
        const target = cleanEntryPath(h.linkname);
        if (target.length === 0) throw breakout(h.name, 'hardlink to the root');
        walker.checkParents(target, h.name);
        const st = lstatSync(walker.path(target), { throwIfNoEntry: false });
        if (!st) throw breakout(h.name, `hardlink target ${JSON.stringify(h.linkname)} does not exist in the context`);
        if (st.isDirectory()) throw breakout(h.name, 'hardlink to a directory');
        linkSync(walker.path(target), abs);
        continue;
      }
      default:
        continue; // devices and fifos have no place in a build context
    }
    lutimesSync(abs, h.mtime, h.mtime);
  }
  for (const [path, mtime] of dirTimes.reverse()) lutimesSync(path, mtime, mtime);
  return count;
}

/** Deletes what `.dockerignore` excludes (clients already did; a raw API client may not have). */
export function applyDockerignore(root: string, matcher: DockerignoreMatcher, keep: ReadonlySet<string>): void {
  const walk = (rel: string): void => {
    for (const name of readdirSync(rel ? posix.join(root, rel) : root)) {
      const p = rel ? `${rel}/${name}` : name;
      const abs = posix.join(root, p);
      const isDir = lstatSync(abs).isDirectory();
      if (!keep.has(p) && matcher.matches(p)) {
        if (!isDir || matcher.canSkipExcludedDir(p)) {
          rmSync(abs, { recursive: true, force: true });
          continue;
        }
      }
      if (isDir) walk(p);
    }
  };
  walk('');
}

/** The context on disk and its Dockerfile. */
export interface PreparedContext {
  root: string;
  dockerfile: string;
}

/**
 * Reads the Dockerfile named `name` (default `Dockerfile`, falling back to `dockerfile`), then re-applies
 * `.dockerignore` and drops the Dockerfile and `.dockerignore` when they are excluded (moby's removeDockerfile).
 */
export function prepareContext(root: string, name: string): PreparedContext {
  const wanted = name || 'Dockerfile';
  const rel = posix.normalize('/' + wanted).slice(1);
  let path = resolveInScope(root, rel);
  let st = lstatSync(path, { throwIfNoEntry: false });
  if (!st && !name) {
    path = resolveInScope(root, 'dockerfile');
    st = lstatSync(path, { throwIfNoEntry: false });
  }
  if (!st?.isFile()) throw invalidArgument(`Cannot locate specified Dockerfile: ${wanted}`);
  const dockerfile = readFileSync(path, 'utf8');
  const ignorePath = resolveInScope(root, '.dockerignore');
  if (lstatSync(ignorePath, { throwIfNoEntry: false })?.isFile()) {
    const matcher = compileDockerignore(readFileSync(ignorePath, 'utf8'));
    applyDockerignore(root, matcher, new Set([rel, '.dockerignore']));
    for (const f of [rel, '.dockerignore']) if (matcher.matches(f)) rmSync(posix.join(root, f), { force: true });
  }
  if (posix.basename(rel).startsWith('.dockerfile.')) rmSync(posix.join(root, rel), { force: true });
  return { root, dockerfile };
}
