// Docker Config + HostConfig + image config → OCI runtime spec: one pure function (DESIGN §2, §7),
// following moby daemon/oci_linux.go createSpec and oci/defaults.go.
import { invalidArgument } from '@tdock/core';
import { dockerProfileToOci, tweakCapabilities, type DockerSeccompProfile, type LinuxSeccomp } from '@tdock/runtime';
import type { ContainerConfig } from '../api/types.js';
import { DEFAULT_SHM_SIZE, defaultMounts, sortMounts, toOciMount, userMounts } from './mounts.js';
import { defaultDeviceRules, devicesOf, resourcesOf, rlimitsOf } from './resources.js';
import type { OciMount, OciNamespace, OciRuntimeSpec, OciUser, SpecInput, SpecOptions } from './types.js';

export * from './types.js';
export { parseBind, parseMount, mergeTmpfsOptions, sortMounts, defaultMounts, DEFAULT_SHM_SIZE } from './mounts.js';
export { defaultDeviceRules } from './resources.js';

/** Docker's default PATH for Linux containers (oci.DefaultPathEnv). */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Where `Init` mounts the init binary (moby inContainerInitPath). */
export const CONTAINER_INIT_PATH = '/sbin/docker-init';

/** Docker's masked paths (moby v28 oci/defaults.go, without the host-dependent thermal_throttle entries). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
/** Docker's read-only paths. */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const envKey = (e: string): string => e.split('=')[0];

/**
 * moby `runconfig.Merge` of the image's defaults into a create Config: Env entries the user did not
 * set, Cmd/Entrypoint (the image's Cmd only when the user gave no Entrypoint), WorkingDir, User...
 */
export function mergeImageConfig(config: ContainerConfig, image: SpecInput['image']): ContainerConfig {
  const out: ContainerConfig = { ...config };
  if (!image) return out;
  if (image.User && !out.User) out.User = image.User;
  if (image.Env?.length) {
    const env = [...(out.Env ?? [])];
    for (const ie of image.Env) if (!env.some((e) => envKey(e) === envKey(ie))) env.push(ie);
    out.Env = env;
  }
  if (!out.Entrypoint || out.Entrypoint.length === 0) {
    if (!out.Cmd || out.Cmd.length === 0) {
      if (image.Cmd) out.Cmd = [...image.Cmd];
    }
    if (out.Entrypoint === undefined && image.Entrypoint) out.Entrypoint = [...image.Entrypoint];
  }
  if (!out.WorkingDir && image.WorkingDir) out.WorkingDir = image.WorkingDir;
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  if (image.Volumes) out.Volumes = { ...(image.Volumes as Record<string, never>), ...(out.Volumes ?? {}) };
  if (image.ExposedPorts) out.ExposedPorts = { ...(image.ExposedPorts as Record<string, never>), ...(out.ExposedPorts ?? {}) };
  if (!out.Healthcheck && image.Healthcheck) out.Healthcheck = image.Healthcheck;
  return out;
}

/** moby ReplaceOrAppendEnvValues: overrides replace same-key defaults in place, `KEY` alone removes it. */
export function replaceOrAppendEnv(defaults: string[], overrides: string[]): string[] {
  const out = [...defaults];
  for (const o of overrides) {
    const i = out.findIndex((d) => envKey(d) === envKey(o));
    if (!o.includes('=')) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

/** The process args: Entrypoint + Cmd (an Entrypoint of `[""]` means none). */
export function processArgs(config: ContainerConfig): string[] {
  const entry = config.Entrypoint && !(config.Entrypoint.length === 1 && config.Entrypoint[0] === '') ? config.Entrypoint : [];
  const args = [...entry, ...(config.Cmd ?? [])];
  if (args.length === 0) throw invalidArgument('no command specified');
  return args;
}

function resolveUser(user: string | undefined, opts: SpecOptions): OciUser {
  if (opts.user) return opts.user;
  if (!user) return { uid: 0, gid: 0 };
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (m) return { uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : 0 };
  if (!opts.resolveUser) throw invalidArgument(`unable to find user ${user}: no matching entries in passwd file`);
  return opts.resolveUser(user);
}

interface SecurityOpts {
  noNewPrivileges: boolean;
  seccomp?: string;
}

/** moby parseSecurityOpt: no-new-privileges[=bool], seccomp=..., apparmor/label accepted and ignored. */
export function parseSecurityOpt(list: string[] | undefined, dfltNoNewPrivs: boolean): SecurityOpts {
  const out: SecurityOpts = { noNewPrivileges: dfltNoNewPrivs };
  for (const opt of list ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable' || opt === 'writable-cgroups') continue;
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
    const i = opt.indexOf(sep);
    const k = opt.slice(0, i);
    const v = opt.slice(i + 1);
    if (k === 'seccomp') out.seccomp = v;
    else if (k === 'no-new-privileges' || k === 'writable-cgroups') {
      const b = { '1': true, t: true, T: true, true: true, TRUE: true, True: true, '0': false, f: false, F: false, false: false, FALSE: false, False: false }[v];
      if (b === undefined) throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
      if (k === 'no-new-privileges') out.noNewPrivileges = b;
    } else if (k !== 'label' && k !== 'apparmor') throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
  }
  return out;
}

function seccompFor(sec: SecurityOpts, privileged: boolean, caps: string[], opts: SpecOptions): LinuxSeccomp | undefined {
  if (privileged || sec.seccomp === 'unconfined') return undefined;
  let profile: DockerSeccompProfile | undefined = opts.seccompProfile;
  if (sec.seccomp && sec.seccomp !== 'builtin') {
    try {
      profile = JSON.parse(sec.seccomp) as DockerSeccompProfile;
    } catch (err) {
      throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
    }
  }
  if (!profile) return undefined;
  return dockerProfileToOci(profile, { capabilities: caps, ...(opts.arch ? { arch: opts.arch } : {}), ...(opts.kernelRelease ? { kernelRelease: opts.kernelRelease } : {}) });
}

function namespacesOf(input: SpecInput, opts: SpecOptions): OciNamespace[] {
  const hc = input.hostConfig;
  const ns: OciNamespace[] = [{ type: 'mount' }];
  const joined = (mode: string | undefined, type: 'network' | 'ipc' | 'pid'): OciNamespace | undefined => {
    if (!mode?.startsWith('container:')) return { type };
    if (!opts.containerNamespace) throw invalidArgument(`cannot join the ${type} namespace of ${mode.slice(10)}`);
    return { type, path: opts.containerNamespace(mode.slice(10), type) };
  };
  const net = hc.NetworkMode ?? '';
  if (net !== 'host') ns.push(joined(net, 'network') as OciNamespace);
  if (hc.UTSMode !== 'host') ns.push({ type: 'uts' });
  if (hc.PidMode !== 'host') ns.push(joined(hc.PidMode, 'pid') as OciNamespace);
  if (hc.IpcMode !== 'host') ns.push(joined(hc.IpcMode, 'ipc') as OciNamespace);
  const cgroupns = hc.CgroupnsMode || (opts.cgroupVersion === 2 ? 'private' : 'host');
  if (cgroupns === 'private') ns.push({ type: 'cgroup' });
  return ns;
}

/**
 * Converts a Docker container (Config, HostConfig, image defaults) into an OCI runtime spec the way
 * dockerd's createSpec does: process (args, env, user, cwd, terminal, rlimits, capabilities, no-new-
 * privileges, OOM score), Docker's default mounts and masked/read-only paths, user mounts, namespaces,
 * resources, devices, sysctls, seccomp and Init. Pure: every host fact comes through `opts`.
 * @throws TdockError invalid-argument for inputs dockerd rejects.
 */
export function toOciSpec(input: SpecInput, opts: SpecOptions): OciRuntimeSpec {
  const hc = input.hostConfig;
  const config = mergeImageConfig(input.config, input.image);
  const privileged = hc.Privileged ?? false;
  const hostname = config.Hostname || input.id.slice(0, 12);
  const netMode = hc.NetworkMode ?? '';
  const privateNet = netMode !== 'host' && !netMode.startsWith('container:');
  const privatePid = hc.PidMode !== 'host' && !(hc.PidMode ?? '').startsWith('container:');

  // Process.
  let args = processArgs(config);
  const env = replaceOrAppendEnv([DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`, ...(config.Tty ? ['TERM=xterm'] : [])], config.Env ?? []);
  const useInit = hc.Init ?? opts.defaultInit ?? false;
  const mounts: OciMount[] = [];
  if (useInit && privatePid) {
    if (!opts.initBinary) throw invalidArgument('no init binary available for --init');
    args = [CONTAINER_INIT_PATH, '--', ...args];
  }
  const caps = tweakCapabilities({ add: hc.CapAdd ?? [], drop: hc.CapDrop ?? [], privileged, ...(opts.availableCapabilities ? { available: opts.availableCapabilities } : {}) });
  const sec = parseSecurityOpt(hc.SecurityOpt, opts.noNewPrivileges ?? false);

  // Mounts: defaults minus overridden ones, shm sized, then user mounts sorted.
  const user = userMounts(hc, Object.keys(config.Volumes ?? {}), opts);
  const userDests = new Set(user.map((m) => m.destination));
  const etc: Array<[string, string | undefined]> = [
    ['/etc/resolv.conf', netMode === 'host' || privateNet ? opts.etcFiles?.resolvConf : undefined],
    ['/etc/hostname', opts.etcFiles?.hostname],
    ['/etc/hosts', opts.etcFiles?.hosts],
  ];
  const etcMounts = etc.filter(([dst, src]) => src && !userDests.has(dst)).map(([dst, src]) => ({ destination: dst, source: src as string, kind: 'bind' as const, writable: true, propagation: 'rprivate' }));
  const mountDev = userDests.has('/dev');
  for (const m of defaultMounts()) {
    if (userDests.has(m.destination)) continue;
    if (mountDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (hc.IpcMode === 'none') continue;
      if (hc.IpcMode === 'host') {
        mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
        continue;
      }
      m.options.push(`size=${hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE}`);
    }
    mounts.push(m);
  }
  const sortedUser = sortMounts([...user, ...etcMounts]).map(toOciMount);
  mounts.push(...sortedUser);
  if (useInit && privatePid && opts.initBinary) mounts.push({ destination: CONTAINER_INIT_PATH, type: 'bind', source: opts.initBinary, options: ['bind', 'ro'] });
  if (hc.ReadonlyRootfs) {
    for (const m of mounts) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination) || userDests.has(m.destination)) continue;
      if (!m.options.includes('ro')) m.options.push('ro');
    }
  }
  let masked = hc.MaskedPaths ? [...hc.MaskedPaths] : [...DEFAULT_MASKED_PATHS];
  let readonly = hc.ReadonlyPaths ? [...hc.ReadonlyPaths] : [...DEFAULT_READONLY_PATHS];
  if (privileged) {
    for (const m of mounts) if (m.destination === '/sys' || m.type === 'cgroup') m.options = m.options.filter((o) => o !== 'ro');
    if (!hc.MaskedPaths) masked = [];
    if (!hc.ReadonlyPaths) readonly = [];
  }

  // Devices and resources.
  const devs = privileged ? { devices: [], rules: [{ allow: true, access: 'rwm' }] } : devicesOf(hc, opts);
  const resources = { devices: privileged ? devs.rules : [...defaultDeviceRules(), ...devs.rules], ...resourcesOf(hc, opts) };

  const sysctl: Record<string, string> = {};
  if (privateNet && opts.defaultNetworkSysctls !== false) {
    sysctl['net.ipv4.ping_group_range'] = '0 2147483647';
    sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  Object.assign(sysctl, hc.Sysctls ?? {});

  const seccomp = seccompFor(sec, privileged, caps, opts);
  const rlimits = rlimitsOf(hc, opts);
  const spec: OciRuntimeSpec = {
    ociVersion: '1.2.0',
    process: {
      terminal: config.Tty ?? false,
      user: resolveUser(config.User, opts),
      args,
      env,
      cwd: config.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: sec.noNewPrivileges,
      oomScoreAdj: hc.OomScoreAdj ?? 0,
      ...(rlimits.length ? { rlimits } : {}),
      ...(config.Tty && hc.ConsoleSize && hc.ConsoleSize[0] && hc.ConsoleSize[1] ? { consoleSize: { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] } } : {}),
    },
    root: { path: opts.rootfs, readonly: hc.ReadonlyRootfs ?? false },
    hostname: hc.UTSMode === 'host' ? '' : hostname,
    ...(config.Domainname ? { domainname: config.Domainname } : {}),
    mounts,
    ...(hc.Annotations && Object.keys(hc.Annotations).length ? { annotations: { ...hc.Annotations } } : {}),
    linux: {
      namespaces: namespacesOf(input, opts),
      devices: devs.devices,
      resources,
      sysctl,
      ...(opts.cgroupsPath ? { cgroupsPath: opts.cgroupsPath } : {}),
      ...(seccomp ? { seccomp } : {}),
      maskedPaths: masked,
      readonlyPaths: readonly,
    },
  };
  return spec;
}
