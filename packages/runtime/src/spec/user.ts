// Docker's user strings (`name`, `uid`, `name:group`, `uid:gid`) resolved against a rootfs's /etc/passwd
// and /etc/group, as moby's user lookup does: numbers need no entry, names must have one; the
// supplementary groups are those listing the user by name.
import fs from 'node:fs';
import { TdockError } from '@tdock/core';
import { openInRoot } from '../sys/index.js';

/** A resolved identity. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/** Parses /etc/passwd text. */
export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]), home: f[5] as string }));
}

/** Parses /etc/group text. */
export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0] as string, gid: Number(f[2]), members: (f[3] as string).split(',').filter((m) => m !== '') }));
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

/** Resolves `user` ("" means root) from passwd and group texts; `extraGroups` are names or numbers. */
export function resolveUserFrom(user: string, passwdText: string, groupText: string, extraGroups: readonly string[] = []): ResolvedUser {
  const [u = '', g] = user === '' ? ['0'] : user.split(':', 2);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const entry = passwd.find((p) => (isNum(u) ? p.uid === Number(u) : p.name === u));
  if (!entry && !isNum(u)) throw new TdockError('invalid-argument', `unable to find user ${u}: no matching entries in passwd file`);
  const uid = entry?.uid ?? Number(u);
  let gid = entry?.gid ?? 0;
  const lookupGroup = (name: string): number => {
    if (isNum(name)) return Number(name);
    const ge = groups.find((x) => x.name === name);
    if (!ge) throw new TdockError('invalid-argument', `unable to find group ${name}: no matching entries in group file`);
    return ge.gid;
  };
  if (g !== undefined && g !== '') gid = lookupGroup(g);
  const additional = new Set<number>();
  if (entry && (g === undefined || g === '')) for (const ge of groups) if (ge.members.includes(entry.name) && ge.gid !== gid) additional.add(ge.gid);
  for (const eg of extraGroups) additional.add(lookupGroup(eg));
  return { uid, gid, additionalGids: [...additional], home: entry?.home ?? '/' };
}

/**
 * Resolves `user` against `<root>/etc/passwd` and `<root>/etc/group` (missing files read as empty),
 * opened with RESOLVE_IN_ROOT so a symlinked /etc/passwd in an image cannot point at the host's.
 */
export function resolveUser(root: string, user: string, extraGroups: readonly string[] = []): ResolvedUser {
  const read = (f: string): string => {
    let fd: number;
    try {
      fd = openInRoot(root, `/etc/${f}`);
    } catch {
      return '';
    }
    try {
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  };
  return resolveUserFrom(user, read('passwd'), read('group'), extraGroups);
}
