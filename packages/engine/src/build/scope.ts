import { lstatSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TdockError } from '@tdock/core';

const MAX_LINKS = 255;

/**
 * Resolves `path` inside `root` as if `root` were `/` (moby's `FollowSymlinkInScope`): symbolic links are
 * followed, but absolute targets restart at `root` and `..` never climbs above it, so the result is always
 * inside `root`. The last component need not exist. Returns the absolute host path.
 */
export function resolveInScope(root: string, path: string): string {
  let todo = posix.normalize('/' + path).split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const comp = todo.shift()!;
    if (comp === '.') continue;
    if (comp === '..') {
      done.pop();
      continue;
    }
    const abs = join(root, ...done, comp);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new TdockError('invalid-argument', `too many symbolic links resolving ${path}`);
      const target = readlinkSync(abs);
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/').filter(Boolean), ...todo];
      continue;
    }
    done.push(comp);
  }
  return join(root, ...done);
}
