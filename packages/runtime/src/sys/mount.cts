// mount(2), umount2(2), and the new mount API (fsopen/fsconfig/fsmount/move_mount) for overlay (DESIGN §6).
import nodeFs = require('node:fs');
import os = require('node:os');
import nodePath = require('node:path');
import { SYS, SysError, check, lastErrno, raw } from './libc.cjs';

/** mount(2) flags. */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** umount2(2) flags. */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, NOFOLLOW: 8 } as const;

/** New mount API constants (linux/mount.h). */
export const FSOPEN_CLOEXEC = 1;
export const FSMOUNT_CLOEXEC = 1;
export const FSCONFIG = { SET_FLAG: 0, SET_STRING: 1, CMD_CREATE: 6, CMD_RECONFIGURE: 7 } as const;
export const MOVE_MOUNT_F_EMPTY_PATH = 4;
export const AT_FDCWD = -100;

/** mount(2): `source`, `fstype` and `data` may be null. */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(raw.mount(source, target, fstype, flags, data), 'mount', target);
}

/** umount2(2). */
export function umount(target: string, flags = 0): void {
  check(raw.umount2(target, flags), 'umount2', target);
}

/** fsopen(2): a filesystem context for `fstype`. */
export function fsopen(fstype: string, flags = FSOPEN_CLOEXEC): number {
  return check(raw.sysFsopen(SYS.fsopen, fstype, flags), 'fsopen', fstype);
}

/** fsconfig(2) with FSCONFIG_SET_STRING. */
export function fsconfigString(fd: number, key: string, value: string): void {
  check(raw.sysFsconfig(SYS.fsconfig, fd, FSCONFIG.SET_STRING, key, value, 0), 'fsconfig', `${key}=${value}`);
}

/** fsconfig(2) with FSCONFIG_SET_FLAG. */
export function fsconfigFlag(fd: number, key: string): void {
  check(raw.sysFsconfig(SYS.fsconfig, fd, FSCONFIG.SET_FLAG, key, null, 0), 'fsconfig', key);
}

/** fsconfig(2) with FSCONFIG_CMD_CREATE. */
export function fsconfigCreate(fd: number): void {
  check(raw.sysFsconfig(SYS.fsconfig, fd, FSCONFIG.CMD_CREATE, null, null, 0), 'fsconfig', 'create');
}

/** fsmount(2): a detached mount fd for a created context. */
export function fsmount(fd: number, flags = FSMOUNT_CLOEXEC, attrFlags = 0): number {
  return check(raw.sysFsmount(SYS.fsmount, fd, flags, attrFlags), 'fsmount');
}

/** move_mount(2) of a detached mount fd onto `target`. */
export function moveMountFd(mountFd: number, target: string): void {
  check(raw.sysMoveMount(SYS.move_mount, mountFd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), 'move_mount', target);
}

/**
 * An overlay mount as a snapshotter returns it (DESIGN §6): `lowers` newest first (the first is the top);
 * without `upper`/`work` it is read-only.
 */
export interface OverlayLayers {
  lowers: readonly string[];
  upper?: string;
  work?: string;
}

/** Whether this kernel accepts overlay's `lowerdir+` key (Linux 6.8 or newer). */
export function supportsLowerdirPlus(release: string = os.release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 6 || (major === 6 && minor >= 8);
}

/** The classic overlay option string (`lowerdir=a:b,upperdir=..,workdir=..`), escaping `:` and `,` in paths. */
export function overlayOptions(layers: OverlayLayers): string {
  const esc = (p: string): string => p.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/,/g, '\\,');
  const parts = [`lowerdir=${layers.lowers.map(esc).join(':')}`];
  if (layers.upper !== undefined) parts.push(`upperdir=${esc(layers.upper)}`);
  if (layers.work !== undefined) parts.push(`workdir=${esc(layers.work)}`);
  return parts.join(',');
}

const PAGE_SIZE = 4096;

/**
 * Mounts an overlay on `target`. On Linux 6.8+ through the new mount API (one `lowerdir+` per layer, no
 * length limit); on older kernels through mount(2) with the classic option string when it fits in a
 * page, else with short names for the lower directories (see {@link mountOverlayShortNames}).
 * Throws SysError naming the failing call.
 */
export function mountOverlay(layers: OverlayLayers, target: string, opts: { useNewApi?: boolean } = {}): void {
  if (layers.lowers.length === 0) throw new SysError(22, 'mount overlay (no lower layers)', target);
  if ((layers.upper === undefined) !== (layers.work === undefined)) throw new SysError(22, 'mount overlay (upper without work)', target);
  if (opts.useNewApi ?? supportsLowerdirPlus()) {
    const fs = fsopen('overlay');
    try {
      for (const dir of layers.lowers) fsconfigString(fs, 'lowerdir+', dir);
      if (layers.upper !== undefined && layers.work !== undefined) {
        fsconfigString(fs, 'upperdir', layers.upper);
        fsconfigString(fs, 'workdir', layers.work);
      }
      fsconfigCreate(fs);
      const mfd = fsmount(fs);
      try {
        moveMountFd(mfd, target);
      } finally {
        raw.close(mfd);
      }
    } finally {
      raw.close(fs);
    }
    return;
  }
  const data = overlayOptions(layers);
  if (data.length < PAGE_SIZE) mount('overlay', target, 'overlay', 0, data);
  else mountOverlayShortNames(layers, target);
}

/**
 * The classic mount(2) with lower directories too many for one page of options (DESIGN §6, kernels
 * before 6.8): a private directory beside `target` gets one symbolic link per lower directory, named
 * `0`, `1`, ... in base 36, and the mount runs with that directory as the working directory and those
 * names as `lowerdir`, as Docker's overlay2 does with its `l/` links. Overlay resolves the links when
 * it mounts, so they are removed right after. 128 layers take about 500 bytes; the kernel's own limit
 * (500 layers) fits too. The working directory changes only during the synchronous mount call; the
 * engine uses absolute paths everywhere.
 */
export function mountOverlayShortNames(layers: OverlayLayers, target: string): void {
  const names = layers.lowers.map((_, i) => i.toString(36));
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : nodePath.resolve(p));
  const data = overlayOptions({ lowers: names, upper: abs(layers.upper), work: abs(layers.work) });
  if (data.length >= PAGE_SIZE) throw new SysError(36, `mount overlay (${layers.lowers.length} layers, options exceed a page even with short names)`, target);
  const linkDir = nodeFs.mkdtempSync(nodePath.join(nodePath.dirname(nodePath.resolve(target)), '.tdock-lowers-'));
  try {
    layers.lowers.forEach((dir, i) => nodeFs.symlinkSync(nodePath.resolve(dir), nodePath.join(linkDir, names[i]!)));
    let prev: string;
    try {
      prev = process.cwd();
    } catch {
      prev = '/';
    }
    process.chdir(linkDir);
    try {
      mount('overlay', nodePath.resolve(prev, target), 'overlay', 0, data);
    } finally {
      process.chdir(prev);
    }
  } finally {
    nodeFs.rmSync(linkDir, { recursive: true, force: true });
  }
}

/** Unmounts `target` if it is mounted; returns false when it was not (EINVAL/ENOENT). */
export function umountIfMounted(target: string, flags = 0): boolean {
  if (raw.umount2(target, flags) === 0) return true;
  const errno = lastErrno();
  if (errno === 22 || errno === 2) return false;
  throw new SysError(errno, 'umount2', target);
}
