import type { ContainerConfig as ImageRuntimeConfig } from '@tdock/core';
import type { DockerSeccompProfile, LinuxSeccomp } from '@tdock/runtime';
import type { ContainerConfig, HostConfig } from '../api/types.js';

/** OCI `mounts[]` entry. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  umask?: number;
}

export interface OciProcess {
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: { bounding: string[]; effective: string[]; permitted: string[]; inheritable?: string[]; ambient?: string[] };
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciDevice {
  path: string;
  type: 'b' | 'c' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

/** OCI `linux.resources` (a type alias, so it is assignable to runtime's `Record<string, unknown>`). */
export type OciResources = {
  devices: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    weightDevice?: Array<{ major: number; minor: number; weight: number }>;
    throttleReadBpsDevice?: OciThrottleDevice[];
    throttleWriteBpsDevice?: OciThrottleDevice[];
    throttleReadIOPSDevice?: OciThrottleDevice[];
    throttleWriteIOPSDevice?: OciThrottleDevice[];
  };
};

export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
  path?: string;
}

/** The OCI runtime spec (config.json) specconv produces; assignable to @tdock/runtime's `OciSpec` (a test checks). */
export interface OciRuntimeSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  domainname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: OciNamespace[];
    devices: OciDevice[];
    resources: OciResources;
    sysctl: Record<string, string>;
    cgroupsPath?: string;
    seccomp?: LinuxSeccomp;
    maskedPaths: string[];
    readonlyPaths: string[];
    rootfsPropagation?: string;
  };
}

/** What specconv converts: the container as Docker stores it, and its image's runtime defaults. */
export interface SpecInput {
  /** The 64-hex container ID (hostname fallback: its first 12 characters). */
  id: string;
  /** The create request's Config (before merging image defaults). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The image config's `config` (Env, Cmd, Entrypoint, WorkingDir, User...). */
  image?: ImageRuntimeConfig;
}

/** A host device as the caller stat'ed it (for Devices and blkio device rules). */
export interface HostDeviceInfo {
  type: 'b' | 'c';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/**
 * Facts specconv cannot compute without I/O, injected so the function stays pure. Lookups that are
 * needed but missing fail with invalid-argument.
 */
export interface SpecOptions {
  /** The container's root filesystem path (the merged overlay dir). */
  rootfs: string;
  /** The resolved user; when absent, numeric `uid[:gid]` users are parsed and names go to `resolveUser`. */
  user?: OciUser;
  resolveUser?: (user: string) => OciUser;
  /** Host path of a named volume's data (Binds `name:/dst`, Mounts of type volume). */
  volumePath?: (name: string) => string;
  /** Host paths for anonymous volumes (Config.Volumes and image VOLUMEs), by container path. */
  anonymousVolumes?: Record<string, string>;
  /** Host bind sources for /etc/resolv.conf, /etc/hosts and /etc/hostname. */
  etcFiles?: { resolvConf?: string; hosts?: string; hostname?: string };
  /** stat of a host device path (Devices, blkio device throttles and weights). */
  hostDevice?: (path: string) => HostDeviceInfo;
  /** Docker's seccomp profile to apply by default (already loaded); none means no filter. */
  seccompProfile?: DockerSeccompProfile;
  /** Passed to the profile conversion (defaults: this process's arch and kernel). */
  arch?: string;
  kernelRelease?: string;
  /** Capabilities the daemon can grant (default: all known). */
  availableCapabilities?: readonly string[];
  /** Host path of the init binary bind-mounted at /sbin/docker-init for `Init`. */
  initBinary?: string;
  /** Daemon default ulimits (`default-ulimits`), merged under the container's. */
  defaultUlimits?: Array<{ Name: string; Soft: number; Hard: number }>;
  /** Daemon default for `Init` when the container does not say. */
  defaultInit?: boolean;
  /** Daemon-wide no-new-privileges default. */
  noNewPrivileges?: boolean;
  /** cgroup version decides the default cgroup namespace mode (v2 private, v1 host). */
  cgroupVersion?: 1 | 2;
  cgroupsPath?: string;
  /** Namespace paths of another container for `container:<id>` modes (`/proc/<pid>/ns/<type>`). */
  containerNamespace?: (id: string, type: 'network' | 'ipc' | 'pid') => string;
  /** Add Docker's default network sysctls when the container has its own netns (default true). */
  defaultNetworkSysctls?: boolean;
}
