// File-level calls Node's fs lacks or gets wrong for unpacking layers: device nodes, overlay whiteouts,
// xattrs on symlinks, nanosecond times on symlinks, and openat2 RESOLVE_IN_ROOT (DESIGN §6).
import { AT_FDCWD } from './mount.cjs';
import { SYS, SysError, check, lastErrno, raw } from './libc.cjs';

/** File type bits for mknod. */
export const S_IF = { FIFO: 0o010000, CHR: 0o020000, DIR: 0o040000, BLK: 0o060000, REG: 0o100000, SOCK: 0o140000 } as const;

/** glibc's makedev(major, minor), as a BigInt dev_t. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/**
 * mknod(2) with the exact permission bits given: the umask is cleared for the call and restored after
 * (DESIGN §4: mknod modes are masked by the umask). `type` is one of S_IF.CHR, BLK, FIFO, REG, SOCK.
 */
export function mknod(path: string, type: number, perm: number, major = 0, minor = 0): void {
  const old = raw.umask(0);
  try {
    check(raw.mknod(path, type | (perm & 0o7777), makedev(major, minor)), 'mknod', path);
  } finally {
    raw.umask(old);
  }
}

/** An overlay whiteout: a 0:0 character device with mode 0 (what `.wh.<name>` becomes on disk). */
export function makeWhiteout(path: string): void {
  mknod(path, S_IF.CHR, 0, 0, 0);
}

/** XATTR_CREATE / XATTR_REPLACE for lsetxattr. */
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;

/** lsetxattr(2) (does not follow symlinks). */
export function lsetxattr(path: string, name: string, value: Buffer | string, flags = 0): void {
  const buf = typeof value === 'string' ? Buffer.from(value) : value;
  check(raw.lsetxattr(path, name, buf, buf.length, flags), 'lsetxattr', path);
}

/** lgetxattr(2); returns undefined when the attribute is absent (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (;;) {
    const size = Number(raw.lgetxattr(path, name, null, 0));
    if (size < 0) {
      const errno = lastErrno();
      if (errno === 61) return undefined; // ENODATA
      throw new SysError(errno, 'lgetxattr', `${path} ${name}`);
    }
    const buf = Buffer.alloc(size);
    const got = Number(raw.lgetxattr(path, name, buf, size));
    if (got >= 0) return buf.subarray(0, got);
    const errno = lastErrno();
    if (errno !== 34) throw new SysError(errno, 'lgetxattr', `${path} ${name}`); // ERANGE: grew; retry
  }
}

/** llistxattr(2): the attribute names on `path` (not following symlinks). */
export function llistxattr(path: string): string[] {
  for (;;) {
    const size = check(raw.llistxattr(path, null, 0), 'llistxattr', path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = Number(raw.llistxattr(path, buf, size));
    if (got >= 0) return buf.subarray(0, got).toString('utf8').split('\0').filter((n) => n !== '');
    const errno = lastErrno();
    if (errno !== 34) throw new SysError(errno, 'llistxattr', path);
  }
}

/** lremovexattr(2). */
export function lremovexattr(path: string, name: string): void {
  check(raw.lremovexattr(path, name), 'lremovexattr', `${path} ${name}`);
}

/** lchown(2). */
export function lchown(path: string, uid: number, gid: number): void {
  check(raw.lchown(path, uid, gid), 'lchown', path);
}

/** A point in time with nanoseconds. `nsec` may be UTIME_OMIT or UTIME_NOW. */
export interface Timespec {
  sec: number;
  nsec: number;
}
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
export const AT_SYMLINK_NOFOLLOW = 0x100;

/** utimensat(2) on `path` itself (AT_SYMLINK_NOFOLLOW): sets a symlink's own times, with nanoseconds. */
export function lutimes(path: string, atime: Timespec, mtime: Timespec): void {
  const buf = Buffer.alloc(32);
  buf.writeBigInt64LE(BigInt(Math.trunc(atime.sec)), 0);
  buf.writeBigInt64LE(BigInt(atime.nsec), 8);
  buf.writeBigInt64LE(BigInt(Math.trunc(mtime.sec)), 16);
  buf.writeBigInt64LE(BigInt(mtime.nsec), 24);
  check(raw.utimensat(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW), 'utimensat', path);
}

/** open(2) flags used with openat2 and friends. */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

/** openat2 RESOLVE_* flags. */
export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10, CACHED: 0x20 } as const;

/** openat2(2) (syscall 437): `path` resolved relative to `dirfd` under the `resolve` rules. */
export function openat2(dirfd: number, path: string, how: { flags: number; mode?: number; resolve: number }): number {
  const buf = Buffer.alloc(24);
  buf.writeBigUInt64LE(BigInt(how.flags), 0);
  buf.writeBigUInt64LE(BigInt(how.mode ?? 0), 8);
  buf.writeBigUInt64LE(BigInt(how.resolve), 16);
  return check(raw.sysOpenat2(SYS.openat2, dirfd, path, buf, 24), 'openat2', path);
}

/**
 * Opens `path` as if `root` were `/`: `..` and absolute symlinks cannot leave `root` (RESOLVE_IN_ROOT,
 * plus RESOLVE_NO_MAGICLINKS). Returns an fd the caller closes (fs.closeSync or sys.close).
 */
export function openInRoot(root: string, path: string, flags: number = O.RDONLY | O.CLOEXEC, mode = 0): number {
  const rootFd = check(raw.open(root, O.PATH | O.DIRECTORY | O.CLOEXEC, 0), 'open', root);
  try {
    return openat2(rootFd, path, { flags: flags | O.CLOEXEC, mode, resolve: RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS });
  } finally {
    raw.close(rootFd);
  }
}

/** open(2), checked. */
export function open(path: string, flags: number, mode = 0): number {
  return check(raw.open(path, flags, mode), 'open', path);
}

/** close(2), checked. */
export function close(fd: number): void {
  check(raw.close(fd), 'close', String(fd));
}

/** Inode flags of FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (what chattr sets). */
export const FS_FL = {
  /** ext4 (and ext2/3): the directory is the top of independent trees (chattr +T); see `addInodeFlags`. */
  TOPDIR: 0x00020000,
} as const;
const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_SETFLAGS = 0x40086602;

/**
 * Add inode flags to `path` (a directory or regular file, never a symlink), as `chattr +<flag>`:
 * FS_IOC_GETFLAGS, or in `flags`, FS_IOC_SETFLAGS. Returns false, changing nothing, when the
 * filesystem has no such flags or refuses these (ENOTTY, EOPNOTSUPP, EINVAL); other errors throw.
 * With FS_FL.TOPDIR on a directory, ext4 places each new subdirectory of it with the Orlov
 * allocator, in a block group of its own, instead of beside its parent.
 */
export function addInodeFlags(path: string, flags: number): boolean {
  const fd = check(raw.open(path, O.RDONLY | O.NOFOLLOW | O.CLOEXEC | O.NONBLOCK, 0), 'open', path);
  try {
    const buf = Buffer.alloc(8);
    const unsupported = (errno: number): boolean => errno === 25 || errno === 95 || errno === 22; // ENOTTY, EOPNOTSUPP, EINVAL
    if (raw.ioctlPtr(fd, FS_IOC_GETFLAGS, buf) < 0) {
      const errno = lastErrno();
      if (unsupported(errno)) return false;
      throw new SysError(errno, 'ioctl FS_IOC_GETFLAGS', path);
    }
    const old = buf.readUInt32LE(0);
    if ((old & flags) === flags) return true;
    buf.writeUInt32LE((old | flags) >>> 0, 0);
    if (raw.ioctlPtr(fd, FS_IOC_SETFLAGS, buf) < 0) {
      const errno = lastErrno();
      if (unsupported(errno)) return false;
      throw new SysError(errno, 'ioctl FS_IOC_SETFLAGS', path);
    }
    return true;
  } finally {
    raw.close(fd);
  }
}

/** pipe2(2): `[readFd, writeFd]`, close-on-exec unless flags say otherwise. */
export function pipe(flags: number = O.CLOEXEC): [number, number] {
  const fds = [0, 0];
  check(raw.pipe2(fds, flags), 'pipe2');
  return [fds[0] as number, fds[1] as number];
}

/** Brings a network interface up in the calling thread's network namespace (SIOCSIFFLAGS with IFF_UP). */
export function setLinkUp(name: string): void {
  const sock = check(raw.socket(2, 2 | O.CLOEXEC, 0), 'socket'); // AF_INET, SOCK_DGRAM
  try {
    const ifr = Buffer.alloc(40);
    ifr.write(name, 0, 15, 'utf8');
    check(raw.ioctlPtr(sock, 0x8913, ifr), 'ioctl SIOCGIFFLAGS', name);
    ifr.writeUInt16LE(ifr.readUInt16LE(16) | 1, 16);
    check(raw.ioctlPtr(sock, 0x8914, ifr), 'ioctl SIOCSIFFLAGS', name);
  } finally {
    raw.close(sock);
  }
}
