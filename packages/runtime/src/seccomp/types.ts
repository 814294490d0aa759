// Seccomp shapes: the OCI runtime-spec `linux.seccomp` object and Docker's profile format
// (moby/profiles/seccomp), which adds `archMap` and per-rule `includes`/`excludes`.

/** OCI seccomp actions (runtime-spec config-linux.md). */
export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

/** OCI argument comparison operators. */
export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

/**
 * One argument comparison. Values are unsigned 64-bit; JSON numbers above 2^53 lose precision, so
 * a bigint or a decimal string is accepted too. For SCMP_CMP_MASKED_EQ `value` is the mask and
 * `valueTwo` the datum: `(arg & value) == valueTwo`.
 */
export interface SeccompArg {
  index: number;
  value: number | bigint | string;
  valueTwo?: number | bigint | string;
  op: SeccompOperator;
}

/** One OCI rule: these syscall names get `action` when every comparison in `args` holds. */
export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** OCI runtime-spec `linux.seccomp`. */
export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names; the native architecture is always added, as libseccomp adds it. */
  architectures?: string[];
  /** `SECCOMP_FILTER_FLAG_*` names. */
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}

/** Docker's conditions on a rule: arches use libseccomp's names (`amd64`, `x32`, `arm64`). */
export interface DockerFilter {
  caps?: string[];
  arches?: string[];
  /** `"<major>.<minor>"`. */
  minKernel?: string;
}

/** A rule of Docker's profile format. */
export interface DockerSyscall extends Partial<SeccompSyscall> {
  name?: string;
  comment?: string;
  includes?: DockerFilter;
  excludes?: DockerFilter;
}

/** Docker's seccomp profile format (`default.json`, `--security-opt seccomp=<file>`). */
export interface DockerSeccompProfile extends Omit<LinuxSeccomp, 'syscalls' | 'defaultAction'> {
  defaultAction?: SeccompAction;
  archMap?: Array<{ architecture: string; subArchitectures: string[] | null }>;
  syscalls?: DockerSyscall[];
}
