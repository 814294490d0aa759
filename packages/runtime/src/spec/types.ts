// The parts of the OCI runtime-spec config (config.json) the runtime reads. The full shape is checked
// against the spec's own JSON schema (validate.ts); these types name what the code uses.

/** OCI `mounts[]` entry. */
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** OCI `process`. */
export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities?: { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] };
  rlimits?: { type: string; soft: number; hard: number }[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

/** OCI `linux.namespaces[]` entry. */
export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';
  path?: string;
}

/** OCI `linux`. */
export interface OciLinux {
  namespaces?: OciNamespace[];
  uidMappings?: unknown[];
  gidMappings?: unknown[];
  sysctl?: Record<string, string>;
  resources?: Record<string, unknown>;
  cgroupsPath?: string;
  seccomp?: import('../seccomp/index.js').LinuxSeccomp;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: string;
}

/** An OCI runtime-spec config.json. */
export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts?: OciMount[];
  linux?: OciLinux;
  annotations?: Record<string, string>;
}
