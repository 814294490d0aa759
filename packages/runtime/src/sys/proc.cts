// Process-level calls: namespaces, identity, limits, capabilities, seccomp, fds, exec (DESIGN §4).
// Namespace calls apply to the calling thread only: call them on the main thread, synchronously.
import { SYS, SysError, check, lastErrno, raw } from './libc.cjs';

/** clone(2)/unshare(2)/setns(2) namespace flags. */
export const CLONE = {
  FS: 0x200,
  FILES: 0x400,
  NEWNS: 0x20000,
  NEWCGROUP: 0x2000000,
  NEWUTS: 0x4000000,
  NEWIPC: 0x8000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWTIME: 0x80,
} as const;

/** unshare(2). */
export function unshare(flags: number): void {
  check(raw.unshare(flags), 'unshare', `0x${flags.toString(16)}`);
}

/** setns(2) with an fd from /proc/<pid>/ns/<name>; `nstype` 0 accepts any. */
export function setns(fd: number, nstype = 0): void {
  check(raw.setns(fd, nstype), 'setns', `fd ${fd}`);
}

/** prctl(2) options used by the runtime. */
export const PR = {
  SET_PDEATHSIG: 1,
  GET_DUMPABLE: 3,
  SET_DUMPABLE: 4,
  SET_KEEPCAPS: 8,
  SET_NAME: 15,
  CAPBSET_READ: 23,
  CAPBSET_DROP: 24,
  SET_CHILD_SUBREAPER: 36,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_RAISE: 2,
  CAP_AMBIENT_LOWER: 3,
  CAP_AMBIENT_CLEAR_ALL: 4,
} as const;

/** prctl(2); returns the call's non-negative result. */
export function prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  return check(raw.prctl(option, a2, a3, a4, a5), 'prctl', String(option));
}

/** pivot_root(2) (syscall 155). */
export function pivotRoot(newRoot: string, putOld: string): void {
  check(raw.sysPivotRoot(SYS.pivot_root, newRoot, putOld), 'pivot_root', newRoot);
}

/** sethostname(2). */
export function sethostname(name: string): void {
  check(raw.sethostname(name, Buffer.byteLength(name)), 'sethostname', name);
}

/** setdomainname(2). */
export function setdomainname(name: string): void {
  check(raw.setdomainname(name, Buffer.byteLength(name)), 'setdomainname', name);
}

/** setgroups(2). */
export function setgroups(gids: readonly number[]): void {
  check(raw.setgroups(gids.length, gids.length === 0 ? null : [...gids]), 'setgroups');
}

/** setresuid(2) with all three ids equal. */
export function setresuid(uid: number, euid = uid, suid = uid): void {
  check(raw.setresuid(uid, euid, suid), 'setresuid', String(uid));
}

/** setresgid(2) with all three ids equal. */
export function setresgid(gid: number, egid = gid, sgid = gid): void {
  check(raw.setresgid(gid, egid, sgid), 'setresgid', String(gid));
}

/** RLIMIT_* resource numbers by OCI name. */
export const RLIMIT: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};
/** RLIM_INFINITY. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** A resource limit; bigint so RLIM_INFINITY is exact. */
export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

/** getrlimit(2). */
export function getrlimit(resource: number): Rlimit {
  const buf = Buffer.alloc(16);
  check(raw.getrlimit(resource, buf), 'getrlimit', String(resource));
  return { soft: buf.readBigUInt64LE(0), hard: buf.readBigUInt64LE(8) };
}

/** setrlimit(2). */
export function setrlimit(resource: number, limit: Rlimit): void {
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64LE(limit.soft, 0);
  buf.writeBigUInt64LE(limit.hard, 8);
  check(raw.setrlimit(resource, buf), 'setrlimit', String(resource));
}

/** kill(2). */
export function kill(pid: number, signal: number): void {
  check(raw.kill(pid, signal), 'kill', String(pid));
}

/** getpid(2) of the calling process (as the kernel sees it in the caller's PID namespace). */
export function getpid(): number {
  return raw.getpid();
}

/** setsid(2); returns the new session id. */
export function setsid(): number {
  return check(raw.setsid(), 'setsid');
}

/** chdir(2) (the thread's cwd; use this, not process.chdir, after namespace changes). */
export function chdir(path: string): void {
  check(raw.chdir(path), 'chdir', path);
}

/** chroot(2). */
export function chroot(path: string): void {
  check(raw.chroot(path), 'chroot', path);
}

/** umask(2); returns the previous mask. */
export function umask(mask: number): number {
  return raw.umask(mask);
}

/** fcntl(2) commands and flags. */
export const F = { GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, FD_CLOEXEC: 1 } as const;

/** fcntl(2) with an integer argument. */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(raw.fcntl(fd, cmd, arg), 'fcntl', `fd ${fd}`);
}

/** dup(2) with close-on-exec (fcntl F_DUPFD_CLOEXEC). */
export function dupCloexec(fd: number): number {
  return fcntl(fd, 1030, 0);
}

/** dup3(2): makes `newFd` a copy of `oldFd` (flags 0: not close-on-exec). */
export function dup3(oldFd: number, newFd: number, flags = 0): number {
  return check(raw.dup3(oldFd, newFd, flags), 'dup3');
}

/** Sets or clears close-on-exec on `fd`. */
export function setCloexec(fd: number, on: boolean): void {
  fcntl(fd, F.SETFD, on ? F.FD_CLOEXEC : 0);
}

/** close_range(2) flags. */
export const CLOSE_RANGE = { UNSHARE: 2, CLOEXEC: 4 } as const;

/** close_range(2); `last` defaults to ~0U. */
export function closeRange(first: number, last = 0xffffffff, flags = 0): void {
  check(raw.close_range(first, last, flags), 'close_range');
}

/** execve(2). Returns only by throwing. */
export function execve(path: string, argv: readonly string[], env: readonly string[]): never {
  raw.execve(path, [...argv, null], [...env, null]);
  throw new SysError(lastErrno(), 'execve', path);
}

/** _LINUX_CAPABILITY_VERSION_3. */
export const CAP_VERSION_3 = 0x20080522;

/** Capability sets as 64-bit masks (bit n = capability n). */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** capget(2) for `pid` (0 = the calling thread). */
export function capget(pid = 0): CapSets {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(CAP_VERSION_3, 0);
  hdr.writeInt32LE(pid, 4);
  const data = Buffer.alloc(24);
  check(raw.sysCapget(SYS.capget, hdr, data), 'capget');
  const word = (off: number): bigint => BigInt(data.readUInt32LE(off)) | (BigInt(data.readUInt32LE(off + 12)) << 32n);
  return { effective: word(0), permitted: word(4), inheritable: word(8) };
}

/** capset(2) for the calling thread. */
export function capset(sets: CapSets): void {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(CAP_VERSION_3, 0);
  const data = Buffer.alloc(24);
  const lo = (v: bigint): number => Number(v & 0xffffffffn);
  const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
  data.writeUInt32LE(lo(sets.effective), 0);
  data.writeUInt32LE(lo(sets.permitted), 4);
  data.writeUInt32LE(lo(sets.inheritable), 8);
  data.writeUInt32LE(hi(sets.effective), 12);
  data.writeUInt32LE(hi(sets.permitted), 16);
  data.writeUInt32LE(hi(sets.inheritable), 20);
  check(raw.sysCapset(SYS.capset, hdr, data), 'capset');
}

/** seccomp(2) operations and flags. */
export const SECCOMP = { SET_MODE_STRICT: 0, SET_MODE_FILTER: 1, FILTER_FLAG_TSYNC: 1, FILTER_FLAG_LOG: 2 } as const;

/**
 * Installs a seccomp BPF filter (seccomp(2), syscall 317, SECCOMP_SET_MODE_FILTER). `program` holds
 * 8-byte `struct sock_filter` entries (u16 code, u8 jt, u8 jf, u32 k, little-endian). With TSYNC a positive
 * return names a thread that could not be synchronised: that is reported as a failure (DESIGN §4).
 * Requires no_new_privs or CAP_SYS_ADMIN.
 */
export function seccompSetFilter(program: Buffer, flags: number = SECCOMP.FILTER_FLAG_TSYNC): void {
  if (program.length === 0 || program.length % 8 !== 0) throw new SysError(22, 'seccomp (program length not a multiple of 8)');
  const ret = Number(raw.sysSeccomp(SYS.seccomp, SECCOMP.SET_MODE_FILTER, flags, { len: program.length / 8, filter: program }));
  if (ret > 0) throw new SysError(11, 'seccomp (TSYNC failed for thread)', String(ret));
  check(ret, 'seccomp');
}
