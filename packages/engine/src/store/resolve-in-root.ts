import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TdockError } from '@tdock/core';

/** Why an entry was refused: names the entry and what it tried. */
export function breakout(name: string, why: string): TdockError {
  return new TdockError('invalid-argument', `refusing to extract ${JSON.stringify(name)}: ${why}`);
}

/**
 * Split an archive entry name into clean components inside the root. As Docker does, a leading
 * `/` is dropped (absolute names are relative to the root) and `a/../b` is cleaned to `b`; a name
 * that still climbs above the root (`../x`, `a/../../x`) is refused. `[]` is the root itself.
 */
export function cleanEntryPath(name: string): string[] {
  const stripped = name.replace(/^\/+/, '');
  const norm = posix.normalize(stripped === '' ? '.' : stripped).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) throw breakout(name, 'path escapes the root');
  return norm === '.' || norm === '' ? [] : norm.split('/');
}

/**
 * Walks paths inside a root without ever following a symbolic link: every parent component is
 * checked with lstat and a symlinked parent is refused (DESIGN §6). Valid only while nothing else
 * writes in the root (a snapshot being unpacked is private to its unpacker).
 */
export class RootWalker {
  private readonly dirs = new Set<string>(['']);

  constructor(readonly root: string) {}

  /** Absolute path for clean components. */
  path(parts: readonly string[]): string {
    return join(this.root, ...parts);
  }

  /** Make sure `parts` is a real directory inside the root, creating missing ones (0755). */
  ensureDir(parts: readonly string[], name: string): void {
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.dirs.has(rel)) continue;
      const abs = join(this.root, rel);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (st === undefined) mkdirSync(abs, { mode: 0o755 });
      else if (st.isSymbolicLink()) throw breakout(name, `parent ${JSON.stringify(rel)} is a symbolic link`);
      else if (!st.isDirectory()) throw breakout(name, `parent ${JSON.stringify(rel)} is not a directory`);
      this.dirs.add(rel);
    }
  }

  /** Check that the parents of `parts` are real directories, creating nothing. */
  checkParents(parts: readonly string[], name: string): void {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.dirs.has(rel)) continue;
      const st = lstatSync(join(this.root, rel), { throwIfNoEntry: false });
      if (st === undefined) throw breakout(name, `${JSON.stringify(rel)} does not exist`);
      if (st.isSymbolicLink()) throw breakout(name, `parent ${JSON.stringify(rel)} is a symbolic link`);
      if (!st.isDirectory()) throw breakout(name, `parent ${JSON.stringify(rel)} is not a directory`);
      this.dirs.add(rel);
    }
  }

  /** Forget what is known about `rel` and everything below it (after removing it). */
  forget(rel: string): void {
    for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
  }

  /** Whether `rel` is a directory this walker checked or created. */
  knows(rel: string): boolean {
    return this.dirs.has(rel);
  }

  /** Remember that `rel` is now a real directory. */
  remember(rel: string): void {
    this.dirs.add(rel);
  }
}

/**
 * moby's `FollowSymlinkInScope` (securejoin): the host path of `unsafePath` inside `root`, following
 * symbolic links as if `root` were `/` (an absolute target or `..` never leaves it). Missing
 * components are allowed (the result then names a path to create). For `docker cp` and for mount
 * destinations inside a container's root filesystem; a layer unpack uses `RootWalker`, which never
 * follows links. Racy by nature against a running container, as moby's is.
 */
export function followInRoot(root: string, unsafePath: string, maxLinks = 255): string {
  let links = 0;
  const resolved: string[] = [];
  let pending = unsafePath.split('/');
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const abs = join(root, ...resolved, part);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > maxLinks) throw new TdockError('invalid-argument', `too many levels of symbolic links: ${unsafePath}`);
    const target = readlinkSync(abs);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/'), ...pending];
  }
  return join(root, ...resolved);
}
