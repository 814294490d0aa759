/**
 * `COPY/ADD --chown` as the legacy builder resolves it (moby `internals_linux.go`): `user[:group]`, numbers taken
 * as they are, names looked up in the destination rootfs's /etc/passwd and /etc/group; a lone user is also used as
 * the group name. Pure: the engine passes the two files' contents (undefined when missing).
 */
import { invalidArgument } from '@tdock/core';

function lookup(file: string | undefined, path: string, name: string, idField: number, what: 'user' | 'group'): number {
  if (/^[+-]?\d+$/.test(name)) return Number.parseInt(name, 10);
  const kind = what === 'user' ? 'uid' : 'gid';
  if (file === undefined) throw invalidArgument(`can't find ${kind} for ${what} ${name}: open ${path}: no such file or directory`);
  for (const raw of file.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const fields = line.split(':');
    if (fields[0] === name) {
      const id = Number.parseInt(fields[idField] ?? '', 10);
      return Number.isFinite(id) ? id : 0;
    }
  }
  throw invalidArgument(`can't find ${kind} for ${what} ${name}: no such ${what}: ${name}`);
}

/** Resolves a `--chown` value to numeric ids. */
export function resolveChown(chown: string, files: { passwd?: string; group?: string }): { uid: number; gid: number } {
  const parts = chown.split(':');
  if (parts.length > 2) throw invalidArgument('invalid chown string format: ' + chown);
  const [userStr, grpStr] = parts.length === 1 ? [parts[0], parts[0]] : [parts[0], parts[1]];
  return {
    uid: lookup(files.passwd, '/etc/passwd', userStr, 2, 'user'),
    gid: lookup(files.group, '/etc/group', grpStr, 2, 'group'),
  };
}
