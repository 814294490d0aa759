// @tdock/runtime/sys: the small system surface (DESIGN §2). The implementations are CommonJS so that the
// init stage can load them without ESM start-up cost; this file re-exports them for ESM callers.
export { SysError, ERRNO, SYS, check, tryCall, lastErrno, raw } from './libc.cjs';
export type { SysErrorKind } from './libc.cjs';
export {
  MS, MNT, FSCONFIG, FSOPEN_CLOEXEC, FSMOUNT_CLOEXEC, MOVE_MOUNT_F_EMPTY_PATH, AT_FDCWD,
  mount, umount, umountIfMounted, fsopen, fsconfigString, fsconfigFlag, fsconfigCreate, fsmount, moveMountFd,
  mountOverlay, overlayOptions, supportsLowerdirPlus,
} from './mount.cjs';
export type { OverlayLayers } from './mount.cjs';
export {
  S_IF, XATTR, O, RESOLVE, UTIME_NOW, UTIME_OMIT, AT_SYMLINK_NOFOLLOW,
  makedev, mknod, makeWhiteout, lsetxattr, lgetxattr, llistxattr, lremovexattr, lchown, lutimes,
  openat2, openInRoot, open, close, pipe, setLinkUp, FS_FL, addInodeFlags,
} from './fs.cjs';
export type { Timespec } from './fs.cjs';
export {
  CLONE, PR, RLIMIT, RLIM_INFINITY, F, CLOSE_RANGE, CAP_VERSION_3, SECCOMP,
  unshare, setns, prctl, pivotRoot, sethostname, setdomainname, setgroups, setresuid, setresgid,
  getrlimit, setrlimit, kill, getpid, setsid, chdir, chroot, umask, fcntl, dupCloexec, dup3, setCloexec, closeRange, execve,
  capget, capset, seccompSetFilter,
} from './proc.cjs';
export type { Rlimit, CapSets } from './proc.cjs';
export { TIOC, posixOpenpt, grantpt, unlockpt, ptsname, openPty, openPtyAt, setWinsize, getWinsize, setControllingTerminal } from './pty.cjs';
export type { Pty } from './pty.cjs';
export { sendFd, sendFdOn, socketpair, recvFd, listenUnix, acceptFd } from './socket.cjs';
export { BPF_CMD, BPF_F_ALLOW_MULTI, BpfLoadError, bpfProgLoad, bpfProgAttach, bpfProgDetach, bpfProgQuery, bpfProgGetFdById } from './bpf.cjs';
export type { BpfProgram } from './bpf.cjs';
