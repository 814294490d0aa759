import * as sys from '@tdock/runtime/sys';
import type { FsOps, MountOps } from './fs-ops.js';

/** FsOps over `@tdock/runtime/sys` (koffi). */
export function sysFsOps(): FsOps {
  return {
    mknod: (path, mode, major, minor) => sys.mknod(path, mode & 0o170000, mode & 0o7777, major, minor),
    lsetxattr: (path, name, value) => sys.lsetxattr(path, name, Buffer.from(value)),
    llistxattr: (path) => sys.llistxattr(path),
    lgetxattr: (path, name) => sys.lgetxattr(path, name),
    markTopDir: (dir) => sys.addInodeFlags(dir, sys.FS_FL.TOPDIR),
  };
}

/** MountOps over `@tdock/runtime/sys`: overlay through the new mount API where the kernel has it. */
export function sysMountOps(): MountOps {
  return {
    mountOverlay: (opts, target) => sys.mountOverlay(opts, target),
    unmount: (target) => {
      sys.umountIfMounted(target, sys.MNT.DETACH);
    },
  };
}
