// The cgroup manager interface (DESIGN §5) and the OCI `linux.resources` shape it takes.

/** A block device and a rate, for the blkio throttles (`major:minor rate`). */
export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

/** A block device weight (`major:minor weight`). */
export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

/** One device cgroup rule; `type` is `a`, `b` or `c`, `access` a subset of `rwm`. */
export interface LinuxDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number | null;
  minor?: number | null;
  access?: string;
}

/** OCI runtime-spec `linux.resources` (the parts tdock applies). Byte and time values are numbers. */
export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: {
    /** Bytes; -1 unlimited. */
    limit?: number;
    /** Soft limit (v1 `memory.soft_limit_in_bytes`, v2 `memory.low`). */
    reservation?: number;
    /** Memory plus swap, bytes (v1 semantics; v2 gets `swap - limit`); -1 unlimited. */
    swap?: number;
    swappiness?: number;
    disableOOMKiller?: boolean;
  };
  cpu?: {
    /** v1 `cpu.shares` (2..262144); v2 gets the runc conversion to `cpu.weight`. */
    shares?: number;
    /** Microseconds per period; -1 or 0 with a period means unlimited. */
    quota?: number;
    /** Microseconds. */
    period?: number;
    cpus?: string;
    mems?: string;
  };
  pids?: {
    /** > 0 a limit, < 0 unlimited (`max`), 0 leaves it alone. */
    limit: number;
  };
  blockIO?: {
    /** 10..1000 (v1 scale). */
    weight?: number;
    leafWeight?: number;
    weightDevice?: LinuxWeightDevice[];
    throttleReadBpsDevice?: LinuxThrottleDevice[];
    throttleWriteBpsDevice?: LinuxThrottleDevice[];
    throttleReadIOPSDevice?: LinuxThrottleDevice[];
    throttleWriteIOPSDevice?: LinuxThrottleDevice[];
  };
  /** v2 only: file name -> value, written as given. */
  unified?: Record<string, string>;
}

/** One blkio counter of one block device (Docker's BlkioStatEntry). */
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** Resource usage in a driver-neutral shape. Absent controllers read as 0 / null. */
export interface CgroupStats {
  memory: {
    /** Bytes in use (v1 `memory.usage_in_bytes`, v2 `memory.current`). */
    usage: number;
    /** Peak usage where the kernel reports it, else 0. */
    maxUsage: number;
    /** The limit in bytes; null when unlimited. */
    limit: number | null;
    /** Page cache bytes (`cache` / `file` in memory.stat). */
    cache: number;
    /** Raw memory.stat, key -> value. */
    stat: Record<string, number>;
  };
  cpu: {
    /** Total CPU time, nanoseconds. */
    usageNs: number;
    userNs: number;
    systemNs: number;
    periods: number;
    throttledPeriods: number;
    throttledTimeNs: number;
  };
  pids: { current: number; limit: number | null };
  io: {
    readBytes: number; writeBytes: number; readOps: number; writeOps: number;
    /** Per device and operation, as the kernel reports them (v1 `Read`/`Write`/`Sync`/`Async`/`Discard`/`Total`, v2 `read`/`write`). */
    serviceBytes?: BlkioEntry[];
    /** v1 only: operations per device and kind. */
    serviced?: BlkioEntry[];
  };
  /** Processes the kernel OOM-killed in this cgroup. */
  oomKills: number;
}

/** The freezer's state; `freezing` only on v1 while tasks are being stopped. */
export type FreezerState = 'thawed' | 'freezing' | 'frozen';

/** The few filesystem calls a manager makes; tests inject a recording one. */
export interface CgroupFs {
  readFile(path: string): string;
  writeFile(path: string, data: string): void;
  exists(path: string): boolean;
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** Resolves symlinks (v1 hosts link `cpu` and `cpuacct` to one `cpu,cpuacct` hierarchy). */
  realpath(path: string): string;
  /**
   * v2: loads a BPF_PROG_TYPE_CGROUP_DEVICE program (`struct bpf_insn[]`) and attaches it to the
   * cgroup directory `dir` in place of the one attached before. Absent: device rules cannot be
   * applied on v2.
   */
  attachDeviceFilter?(dir: string, program: Buffer): void;
}

/**
 * One container's cgroup, on either cgroup version. Lifecycle: `create` (directories, controllers,
 * limits) before the init runs; the init joins by writing `0` to each of {@link procsFiles}, opened
 * while the host's view is visible (DESIGN §4 steps 2 and 7), or the caller uses {@link apply};
 * `update`, `stats`, `freeze`/`thaw` while it runs; `killAll` then `destroy` at the end. All calls
 * are synchronous (cgroupfs writes do not block) so the shim and the init can use them alike.
 * Errors are TdockErrors: invalid-argument for values the kernel refuses, not-implemented for a
 * controller this host lacks, conflict when a cgroup still has processes at destroy.
 */
export interface CgroupManager {
  readonly version: 1 | 2;
  /** The cgroup path relative to each hierarchy's root, e.g. `tdock/<id>`. */
  readonly path: string;
  /** Creates the cgroup (parents too) and applies `resources`. Idempotent. */
  create(resources?: LinuxResources): void;
  /** Absolute `cgroup.procs` paths, one per hierarchy, for the init to open and write `0` to. */
  procsFiles(): string[];
  /** Moves a process into the cgroup (every hierarchy). */
  apply(pid: number): void;
  /** Applies changed limits to a live cgroup (`docker update`). */
  update(resources: LinuxResources): void;
  /** The pids in the cgroup. */
  pids(): number[];
  stats(): CgroupStats;
  /** Freezes every task and waits until the kernel reports the cgroup frozen. */
  freeze(): void;
  thaw(): void;
  freezerState(): FreezerState;
  /** Sends `signal` (default SIGKILL) to every process in the cgroup (v2 SIGKILL: `cgroup.kill`). */
  killAll(signal?: NodeJS.Signals): void;
  /** The kernel's OOM-kill count for the cgroup (v1 `memory.oom_control`, v2 `memory.events`). */
  oomKillCount(): number;
  /** Calls `listener` with the new count whenever the OOM-kill count grows; returns a stop function. */
  watchOom(listener: (oomKills: number) => void, intervalMs?: number): () => void;
  /** Removes the cgroup's directories (not its parents). Missing ones are fine. */
  destroy(): void;
  exists(): boolean;
}
