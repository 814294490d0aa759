/**
 * The system calls the store needs that Node does not have. `@tdock/runtime/sys` provides them
 * (koffi); tests and the composition root pass an implementation in, so the store never declares
 * a C function itself (DESIGN §2).
 */
export interface FsOps {
  /** mknod(2): `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2): never follows a symlink. */
  lsetxattr(path: string, name: string, value: Uint8Array): void;
  /** llistxattr(2): attribute names of the path itself. */
  llistxattr(path: string): string[];
  /** lgetxattr(2): undefined when the attribute is absent. */
  lgetxattr(path: string, name: string): Buffer | undefined;
  /**
   * Ask the filesystem to place each new subdirectory of `dir` apart from its siblings (ext4's
   * TOPDIR flag, `chattr +T`); false where the filesystem has no such hint. Optional.
   */
  markTopDir?(dir: string): boolean;
}

/** Overlay mounting, used only by the store's own work (diff, tests) and never for containers. */
export interface MountOps {
  /** Mount an overlay at `target`: `lowers` newest first (the first is the top). */
  mountOverlay(opts: { lowers: string[]; upper?: string; work?: string }, target: string): void;
  /** Unmount (detached when busy). */
  unmount(target: string): void;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
