// A config.json with Docker's defaults (moby's oci.DefaultSpec plus its seccomp profile), for `spec`,
// tests and callers that only change a few fields.
import { DEFAULT_CAPABILITIES } from '../caps/index.js';
import { dockerProfileToOci, loadDockerDefaultProfile } from '../seccomp/index.js';
import type { OciSpec } from './types.js';

/** Docker's masked paths. */
export const DOCKER_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths. */
export const DOCKER_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Options of {@link defaultSpec}. */
export interface DefaultSpecOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  hostname?: string;
  terminal?: boolean;
  /** Apply Docker's default seccomp profile (default true). */
  seccomp?: boolean;
  /** Keep all capabilities, no seccomp, no masked paths (Docker's --privileged). */
  privileged?: boolean;
  noNewPrivileges?: boolean;
  readonlyRootfs?: boolean;
}

/** A Docker-like config.json (rootfs at `rootfs`, namespaces pid/net/ipc/uts/mount/cgroup). */
export function defaultSpec(opts: DefaultSpecOptions): OciSpec {
  const caps = opts.privileged ? undefined : [...DEFAULT_CAPABILITIES];
  const seccomp = opts.privileged || opts.seccomp === false ? undefined : dockerProfileToOci(loadDockerDefaultProfile(), { capabilities: caps ?? [] });
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: opts.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: opts.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: opts.cwd ?? '/',
      ...(caps ? { capabilities: { bounding: caps, effective: caps, permitted: caps } } : {}),
      noNewPrivileges: opts.noNewPrivileges ?? false,
    },
    root: { path: 'rootfs', readonly: opts.readonlyRootfs ?? false },
    hostname: opts.hostname ?? 'tdock',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      ...(seccomp ? { seccomp } : {}),
      maskedPaths: opts.privileged ? [] : [...DOCKER_MASKED_PATHS],
      readonlyPaths: opts.privileged ? [] : [...DOCKER_READONLY_PATHS],
    },
  };
}

/** Where Docker's `--init` puts its init binary inside the container. */
export const INIT_IN_CONTAINER = '/sbin/docker-init';

/**
 * Docker's `--init`: a static init binary (tini, installed as docker-init) from the host, bound read-only
 * at /sbin/docker-init and run as PID 1 with the program as its child (`docker-init -- args...`), so
 * signals are forwarded and zombies reaped.
 */
export function withInit(spec: OciSpec, hostInitPath: string): OciSpec {
  const args = spec.process?.args ?? [];
  return {
    ...spec,
    ...(spec.process ? { process: { ...spec.process, args: [INIT_IN_CONTAINER, '--', ...args] } } : {}),
    mounts: [...(spec.mounts ?? []), { destination: INIT_IN_CONTAINER, type: 'bind', source: hostInitPath, options: ['bind', 'ro'] }],
  };
}
