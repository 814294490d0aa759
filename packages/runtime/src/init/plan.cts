// The init plan: everything the init stage needs, computed by the runtime from an OCI config (spec/plan.ts)
// so that the init itself stays small and does no interpretation. Types only.

/** A rootfs as a snapshotter returns it (DESIGN §6), or a plain directory bind-mounted as the root. */
export type RootfsMount =
  | { type: 'overlay'; lowers: string[]; upper?: string; work?: string }
  | { type: 'bind'; source: string };

/** One mount inside the container, already translated to mount(2) terms. */
export interface PlannedMount {
  /** Absolute path inside the container. */
  destination: string;
  /** Filesystem type ('bind' for binds). */
  type: string;
  source: string;
  /** mount(2) flags for the first mount. */
  flags: number;
  /** Extra flags applied by a bind remount (MS_RDONLY and friends), 0 for none. */
  remountFlags: number;
  /** Propagation flags (MS_PRIVATE/MS_SLAVE/MS_SHARED, with MS_REC), 0 for none. */
  propagation: number;
  /** Filesystem data string. */
  data: string;
  /** For a bind: whether the source is a file (the target is created as a file). */
  sourceIsFile: boolean;
}

/** A namespace the init enters: `path` to join an existing one, none to create a new one. */
export interface PlannedNamespace {
  type: 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup';
  path?: string;
}

/** Capability masks as decimal strings of 64-bit values (JSON has no bigint). */
export interface PlannedCaps {
  bounding: string;
  effective: string;
  permitted: string;
  inheritable: string;
  ambient: string;
}

/** What the init does, in order (docs/runtime.md lists the steps). */
export interface InitPlan {
  rootfs: RootfsMount;
  /** Host directory where the rootfs is mounted inside the init's mount namespace. */
  merged: string;
  readonlyRootfs: boolean;
  namespaces: PlannedNamespace[];
  hostname?: string;
  domainname?: string;
  mounts: PlannedMount[];
  /** Whether to create /dev nodes (Docker-style /dev on tmpfs). */
  defaultDevices: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: Record<string, string>;
  /** Host paths of cgroup.procs files to join just before exec. */
  cgroupProcs: string[];
  /**
   * Whether the process gets a terminal: the init opens a pty in the container's own devpts (its
   * `/dev/ptmx`), makes the slave its stdio and `/dev/console`, and sends the master to the shim on fd 4.
   */
  terminal: boolean;
  /** The terminal's initial size, set on the master before it is sent. */
  consoleSize?: { rows: number; cols: number };
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  rlimits: { type: string; soft: string; hard: string }[];
  oomScoreAdj?: number;
  noNewPrivileges: boolean;
  /** Capabilities; absent means keep everything (privileged). */
  caps?: PlannedCaps;
  /** Seccomp BPF program (base64 of sock_filter entries); absent means unconfined. */
  seccomp?: string;
  /** Seccomp filter flags (TSYNC and friends). */
  seccompFlags?: number;
}

/** The process-level part of a plan: what an exec into a running container applies too. */
export type ProcessPlan = Pick<InitPlan,
  'args' | 'env' | 'cwd' | 'uid' | 'gid' | 'additionalGids' | 'rlimits' | 'noNewPrivileges' | 'caps' | 'seccomp' | 'seccompFlags' | 'terminal' | 'consoleSize' | 'cgroupProcs'>;

/** An exec into a running container (DESIGN §4 exec path): join `pid`'s namespaces, then the process steps. */
export interface ExecPlan extends ProcessPlan {
  /** Host pid of the container's PID 1. */
  pid: number;
  /** Namespaces to enter, in this order (mnt last). */
  namespaces: ('ipc' | 'uts' | 'net' | 'cgroup' | 'mnt')[];
}

/** The fd on which the init sends the pty master to the shim (a socket, SCM_RIGHTS), when a terminal is used. */
export const CONSOLE_FD = 4;

/** init → shim messages on fd 3 (one JSON object per line). */
export type InitMessage =
  /** A pooled init (`--pooled`) has loaded its modules and waits for its plan. */
  | { loaded: true }
  | { ready: true; pid: number }
  | { created: true; workMs: number }
  /** The pty master was just sent with SCM_RIGHTS on fd 4; `path` is the slave inside the container. */
  | { console: true; path: string }
  | { error: { step: string; message: string; code?: string; errno?: number; exitCode?: number } };

/** shim → init messages on fd 3. */
export type ShimMessage = { plan: InitPlan } | { exec: ExecPlan } | { go: true } | { start: true };
