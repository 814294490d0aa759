// The one place where C functions are declared (DESIGN §2): libc through koffi, with errno turned into a
// typed error. CommonJS so that the init stage (one small .cjs file, DESIGN §4) can load it without ESM
// start-up cost; the ESM entry `@tdock/runtime/sys` re-exports it. Every call is synchronous and runs on
// the calling (main) thread, which matters for namespace calls.
//
// The bindings below are module-level constants: loading libc is a process-wide, immutable fact.
import type * as Koffi from 'koffi';

/**
 * koffi's JS entry finds its native module by reading node's ELF headers and probing paths: about
 * 12 ms of CPU in every shim and init start-up here, against 6 ms for loading the native module
 * directly (docs/runtime.md, "Start-up"). The direct path is glibc x64's; koffi pins that optional
 * package to its own version. Anything else goes through koffi's entry.
 */
function loadKoffi(): typeof Koffi {
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      return require('@koromix/koffi-linux-x64/linux_x64/koffi.node') as typeof Koffi;
    } catch {
      // not installed there, or not loadable (musl): koffi's own search below
    }
  }
  return require('koffi') as typeof Koffi;
}

const koffi = loadKoffi();
const lib = koffi.load('libc.so.6');

/** Maps an errno number to its name (EPERM, ENOENT, ...). */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(koffi.os.errno).map(([name, value]) => [value, name] as [number, string]),
);

/** Error kinds shared with @tdock/core's TdockError (duck-typed through `kind`, since this file is CJS). */
export type SysErrorKind = 'not-found' | 'conflict' | 'invalid-argument' | 'forbidden' | 'unavailable' | 'internal';

const KIND_BY_ERRNO: Readonly<Record<string, SysErrorKind>> = {
  ENOENT: 'not-found',
  ENOTDIR: 'not-found',
  EEXIST: 'conflict',
  EBUSY: 'conflict',
  ENOTEMPTY: 'conflict',
  EINVAL: 'invalid-argument',
  ENAMETOOLONG: 'invalid-argument',
  EXDEV: 'forbidden',
  ELOOP: 'forbidden',
  EPERM: 'forbidden',
  EACCES: 'forbidden',
  ENOSYS: 'unavailable',
  EAGAIN: 'unavailable',
  ENOMEM: 'unavailable',
  ENOSPC: 'unavailable',
};

/**
 * A failed system call: `code` is the errno name, `errno` its number, `syscall` the call and `path` the
 * path it was given (if any). `kind` follows @tdock/core's error kinds so `errorKindOf()` maps it.
 */
export class SysError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path: string | undefined;
  readonly kind: SysErrorKind;

  constructor(errno: number, syscall: string, path?: string) {
    const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
    super(`${syscall}${path === undefined ? '' : ` ${path}`}: ${code} (errno ${errno})`);
    this.name = 'SysError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.path = path;
    this.kind = KIND_BY_ERRNO[code] ?? 'internal';
  }
}

/** errno numbers by name (EPERM: 1, ...), from koffi's table for this OS. */
export const ERRNO: Readonly<Record<string, number>> = koffi.os.errno;

/** The current thread's errno (valid right after a failed call). */
export function lastErrno(): number {
  return koffi.errno();
}

/**
 * The address of a Buffer's bytes, for pointer fields inside structs built by hand (bpf(2)'s attr).
 * The caller keeps the Buffer referenced until the call that reads the address has returned.
 */
export function addressOf(buf: Buffer): bigint {
  return koffi.address(buf);
}

/** Throws a SysError when a call returned a negative value; returns the value otherwise. */
export function check(ret: number | bigint, syscall: string, path?: string): number {
  const n = Number(ret);
  if (n < 0) throw new SysError(koffi.errno(), syscall, path);
  return n;
}

/** Like `check`, but returns the errno instead of throwing (0 on success). */
export function tryCall(ret: number | bigint): number {
  return Number(ret) < 0 ? koffi.errno() : 0;
}

// Syscall numbers (x86_64; from asm/unistd_64.h). Only calls glibc does not wrap on this system.
export const SYS = {
  capget: 125,
  capset: 126,
  pivot_root: 155,
  seccomp: 317,
  bpf: 321,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  openat2: 437,
} as const;

/** struct sock_fprog: the BPF program handed to seccomp(2); `filter` is a Buffer of 8-byte sock_filter entries. */
function sockFprog(): Koffi.TypeObject {
  return koffi.struct('tdock_sock_fprog', { len: 'uint16_t', filter: 'void *' });
}

function msghdr(): Koffi.TypeObject {
  const iovec = koffi.struct('tdock_iovec', { base: 'void *', len: 'size_t' });
  return koffi.struct('tdock_msghdr', {
    name: 'void *', namelen: 'uint32_t', iov: koffi.pointer(iovec), iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int',
  });
}

/** The struct types, declared once on first use (koffi rejects a second declaration of a name). */
const types = lazy({ sockFprog, msghdr });

/**
 * An object whose properties are computed by `make` on first access and then kept. Declaring the 55
 * functions below eagerly cost a few ms of every shim's and init's start-up (docs/runtime.md); a
 * declaration needs only the already loaded libc (dlsym), so it also works after pivot_root.
 */
function lazy<T extends Record<string, unknown>>(make: { [K in keyof T]: () => T[K] }): T {
  const out = {} as T;
  for (const key of Object.keys(make) as (keyof T)[]) {
    Object.defineProperty(out, key, {
      configurable: true,
      enumerable: true,
      get(): T[typeof key] {
        const value = make[key]();
        Object.defineProperty(out, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return out;
}

type Fn = ReturnType<Koffi.LibraryHandle['func']>;

/** Raw libc bindings, each declared on first use. Prefer the checked wrappers in the other sys files. */
export const raw = lazy({
  mount: (): Fn => lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
  umount2: (): Fn => lib.func('int umount2(const char *target, int flags)'),
  mknod: (): Fn => lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  umask: (): Fn => lib.func('uint32_t umask(uint32_t mask)'),
  lsetxattr: (): Fn => lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
  lgetxattr: (): Fn => lib.func('intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)'),
  llistxattr: (): Fn => lib.func('intptr_t llistxattr(const char *path, void *list, size_t size)'),
  lremovexattr: (): Fn => lib.func('int lremovexattr(const char *path, const char *name)'),
  lchown: (): Fn => lib.func('int lchown(const char *path, uint32_t uid, uint32_t gid)'),
  utimensat: (): Fn => lib.func('int utimensat(int dirfd, const char *path, const void *times, int flags)'),
  open: (): Fn => lib.func('int open(const char *path, int flags, uint32_t mode)'),
  close: (): Fn => lib.func('int close(int fd)'),
  pipe2: (): Fn => lib.func('int pipe2(_Out_ int *fds, int flags)'),
  socket: (): Fn => lib.func('int socket(int domain, int type, int protocol)'),
  connect: (): Fn => lib.func('int connect(int fd, const void *addr, uint32_t len)'),
  bind: (): Fn => lib.func('int bind(int fd, const void *addr, uint32_t len)'),
  listen: (): Fn => lib.func('int listen(int fd, int backlog)'),
  accept4: (): Fn => lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
  socketpair: (): Fn => lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *fds)'),
  dup3: (): Fn => lib.func('int dup3(int oldfd, int newfd, int flags)'),
  sendmsg: (): Fn => lib.func('sendmsg', 'intptr_t', ['int', koffi.pointer(types.msghdr), 'int']),
  recvmsg: (): Fn => lib.func('recvmsg', 'intptr_t', ['int', koffi.pointer(types.msghdr), 'int']),
  setns: (): Fn => lib.func('int setns(int fd, int nstype)'),
  unshare: (): Fn => lib.func('int unshare(int flags)'),
  posix_openpt: (): Fn => lib.func('int posix_openpt(int flags)'),
  grantpt: (): Fn => lib.func('int grantpt(int fd)'),
  unlockpt: (): Fn => lib.func('int unlockpt(int fd)'),
  ptsname_r: (): Fn => lib.func('int ptsname_r(int fd, void *buf, size_t len)'),
  ioctlPtr: (): Fn => lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']),
  ioctlInt: (): Fn => lib.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']),
  fcntl: (): Fn => lib.func('int fcntl(int fd, int cmd, long arg)'),
  close_range: (): Fn => lib.func('int close_range(unsigned int first, unsigned int last, int flags)'),
  prctl: (): Fn => lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  sethostname: (): Fn => lib.func('int sethostname(const char *name, size_t len)'),
  setdomainname: (): Fn => lib.func('int setdomainname(const char *name, size_t len)'),
  setgroups: (): Fn => lib.func('int setgroups(size_t size, const uint32_t *list)'),
  setresuid: (): Fn => lib.func('int setresuid(uint32_t r, uint32_t e, uint32_t s)'),
  setresgid: (): Fn => lib.func('int setresgid(uint32_t r, uint32_t e, uint32_t s)'),
  setrlimit: (): Fn => lib.func('int setrlimit(int resource, const void *rlim)'),
  getrlimit: (): Fn => lib.func('int getrlimit(int resource, void *rlim)'),
  kill: (): Fn => lib.func('int kill(int pid, int sig)'),
  getpid: (): Fn => lib.func('int getpid()'),
  setsid: (): Fn => lib.func('int setsid()'),
  chdir: (): Fn => lib.func('int chdir(const char *path)'),
  chroot: (): Fn => lib.func('int chroot(const char *path)'),
  execve: (): Fn => lib.func('int execve(const char *path, const char **argv, const char **envp)'),
  // Typed entry points to syscall(2) for calls glibc 2.36 does not wrap (x86_64 passes these in registers).
  sysFsopen: (): Fn => lib.func('syscall', 'long', ['long', 'const char *', 'unsigned int']),
  sysFsconfig: (): Fn => lib.func('syscall', 'long', ['long', 'int', 'unsigned int', 'const char *', 'const char *', 'int']),
  sysFsmount: (): Fn => lib.func('syscall', 'long', ['long', 'int', 'unsigned int', 'unsigned int']),
  sysMoveMount: (): Fn => lib.func('syscall', 'long', ['long', 'int', 'const char *', 'int', 'const char *', 'unsigned int']),
  sysOpenat2: (): Fn => lib.func('syscall', 'long', ['long', 'int', 'const char *', 'const void *', 'size_t']),
  sysPivotRoot: (): Fn => lib.func('syscall', 'long', ['long', 'const char *', 'const char *']),
  sysCapset: (): Fn => lib.func('syscall', 'long', ['long', 'const void *', 'const void *']),
  sysCapget: (): Fn => lib.func('syscall', 'long', ['long', 'void *', 'void *']),
  sysBpf: (): Fn => lib.func('syscall', 'long', ['long', 'int', 'void *', 'unsigned int']),
  sysSeccomp: (): Fn => lib.func('syscall', 'long', ['long', 'unsigned int', 'unsigned int', koffi.pointer(types.sockFprog)]),
});
