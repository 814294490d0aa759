import { COMPOSE_LABELS, containerLabels, serviceImageName, type Project, type ServiceConfig } from '../compose/index.js';

/**
 * A Compose service to the Engine API create body, as compose v2's `getCreateConfigs` builds it
 * (pkg/compose/create.go): binds for bind mounts, `Mounts` for named volumes and tmpfs, anonymous
 * volumes in `Config.Volumes`, the first network in `NetworkingConfig` (the others are connected
 * before start), the service name as a DNS alias on every network. Pure.
 */

export type Body = Record<string, unknown> & { HostConfig: Record<string, unknown> };

/** The networks a service joins, ordered as compose orders them (priority, then name). */
export function serviceNetworks(service: ServiceConfig): string[] {
  return Object.keys(service.networks).sort((a, b) => (service.networks[b]!.priority ?? 0) - (service.networks[a]!.priority ?? 0) || a.localeCompare(b));
}

/** The engine-side name of a network key (`default` → `<project>_default`). */
export function networkName(project: Project, key: string): string {
  return project.networks[key]?.name ?? `${project.name}_${key}`;
}

/** The endpoint settings of a service on a network: aliases (service name first), static addresses. */
export function endpointConfig(service: ServiceConfig, key: string): Record<string, unknown> {
  const n = service.networks[key] ?? {};
  const ipam: Record<string, string> = {};
  if (n.ipv4_address) ipam.IPv4Address = n.ipv4_address;
  if (n.ipv6_address) ipam.IPv6Address = n.ipv6_address;
  return {
    Aliases: [service.name, ...(n.aliases ?? []).filter((a) => a !== service.name)],
    ...(Object.keys(ipam).length ? { IPAMConfig: ipam } : {}),
    ...(n.mac_address ? { MacAddress: n.mac_address } : {}),
  };
}

function restartPolicy(restart: string | undefined): { Name: string; MaximumRetryCount?: number } {
  if (!restart) return { Name: 'no' };
  const [name = 'no', count] = restart.split(':');
  return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(count) };
}

function volumes(project: Project, service: ServiceConfig): { binds: string[]; mounts: Record<string, unknown>[]; anonymous: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const mounts: Record<string, unknown>[] = [];
  const anonymous: Record<string, Record<string, never>> = {};
  for (const v of service.volumes) {
    if (v.type === 'bind') {
      if (v.bind?.create_host_path !== false && !v.bind?.propagation) binds.push(`${v.source}:${v.target}${v.read_only ? ':ro' : ':rw'}`);
      else mounts.push({ Type: 'bind', Source: v.source, Target: v.target, ReadOnly: !!v.read_only, ...(v.bind?.propagation ? { BindOptions: { Propagation: v.bind.propagation } } : {}) });
    } else if (v.type === 'volume') {
      if (!v.source) anonymous[v.target] = {};
      else mounts.push({ Type: 'volume', Source: project.volumes[v.source]?.name ?? v.source, Target: v.target, ReadOnly: !!v.read_only, ...(v.volume?.nocopy ? { VolumeOptions: { NoCopy: true } } : {}) });
    } else if (v.type === 'tmpfs') {
      mounts.push({ Type: 'tmpfs', Target: v.target, ...(v.tmpfs ? { TmpfsOptions: { ...(v.tmpfs.size ? { SizeBytes: v.tmpfs.size } : {}), ...(v.tmpfs.mode ? { Mode: v.tmpfs.mode } : {}) } } : {}) });
    }
  }
  return { binds, mounts, anonymous };
}

function defined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

/** The resolved `network_mode` (`service:x` becomes `container:<id of x's first container>`). */
export function networkMode(project: Project, service: ServiceConfig, containerOf: (service: string) => string | undefined): string {
  const mode = service.network_mode;
  if (mode?.startsWith('service:')) {
    const id = containerOf(mode.slice('service:'.length));
    return id ? `container:${id}` : mode;
  }
  if (mode) return mode;
  const first = serviceNetworks(service)[0];
  return first ? networkName(project, first) : 'none';
}

export interface ConvertOptions {
  number?: number;
  oneoff?: boolean;
  slug?: string;
  imageDigest?: string;
  /** Overrides for `compose run`: command, extra env, no ports. */
  command?: string[];
  extraEnv?: string[];
  publish?: boolean;
  tty?: boolean;
  interactive?: boolean;
  containerOf?: (service: string) => string | undefined;
}

/** The POST /containers/create body for one container of a service. */
export function toCreateBody(project: Project, service: ServiceConfig, o: ConvertOptions = {}): Body {
  const v = volumes(project, service);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    if (o.publish !== false) (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of service.expose) {
    const [port = '', proto = 'tcp'] = e.split('/');
    exposed[`${port}/${proto}`] = {};
  }
  const mode = networkMode(project, service, o.containerOf ?? (() => undefined));
  const firstNet = service.network_mode ? undefined : serviceNetworks(service)[0];
  const hc = service.healthcheck;
  const limits = service.limits;
  const env = [...Object.entries(service.environment).map(([k, val]) => `${k}=${val}`), ...(o.extraEnv ?? [])];
  const labels = containerLabels(project, service, { number: o.number, oneoff: o.oneoff, slug: o.slug, imageDigest: o.imageDigest });
  const hostConfig = defined({
    Binds: v.binds,
    Mounts: v.mounts,
    NetworkMode: mode,
    PortBindings: bindings,
    RestartPolicy: o.oneoff ? { Name: 'no' } : restartPolicy(service.restart),
    Init: service.init,
    ReadonlyRootfs: service.read_only,
    Privileged: service.privileged,
    CapAdd: service.cap_add,
    CapDrop: service.cap_drop,
    Ulimits: Object.entries(service.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })),
    Memory: limits.memory,
    MemoryReservation: limits.memory_reservation,
    NanoCpus: limits.cpus === undefined ? undefined : Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
    ShmSize: service.shm_size,
    ExtraHosts: service.extra_hosts,
    Dns: service.dns,
    DnsSearch: service.dns_search,
    DnsOptions: service.dns_opt,
    Sysctls: Object.keys(service.sysctls).length ? service.sysctls : undefined,
    Tmpfs: service.tmpfs.length ? Object.fromEntries(service.tmpfs.map((t) => [t.split(':')[0]!, t.includes(':') ? t.slice(t.indexOf(':') + 1) : ''])) : undefined,
    LogConfig: service.logging ? { Type: service.logging.driver ?? '', Config: service.logging.options } : undefined,
    SecurityOpt: service.security_opt,
    GroupAdd: service.group_add,
    PidMode: service.pid,
    IpcMode: service.ipc,
    OomScoreAdj: service.oom_score_adj,
    CgroupParent: service.cgroup_parent,
    VolumesFrom: service.volumes_from,
    Links: service.links.map((l) => (l.includes(':') ? l : `${l}:${l}`)),
  });
  return defined({
    Hostname: service.hostname,
    Domainname: service.domainname,
    User: service.user,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Tty: o.tty ?? service.tty ?? false,
    OpenStdin: o.interactive ?? service.stdin_open ?? false,
    AttachStdin: o.interactive ?? false,
    AttachStdout: o.oneoff ?? false,
    AttachStderr: o.oneoff ?? false,
    StdinOnce: o.interactive ?? false,
    Env: env,
    Cmd: o.command ?? service.command,
    Entrypoint: service.entrypoint,
    Healthcheck: hc
      ? hc.disable
        ? { Test: ['NONE'] }
        : defined({ Test: hc.test, Interval: hc.interval, Timeout: hc.timeout, Retries: hc.retries, StartPeriod: hc.start_period, StartInterval: hc.start_interval })
      : undefined,
    Image: serviceImageName(project.name, service),
    Volumes: Object.keys(v.anonymous).length ? v.anonymous : undefined,
    WorkingDir: service.working_dir,
    Labels: labels,
    StopSignal: service.stop_signal,
    StopTimeout: service.stop_grace_period,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: firstNet ? { [networkName(project, firstNet)]: endpointConfig(service, firstNet) } : {} },
  }) as Body;
}

/** The label value compose compares to decide whether a container must be recreated. */
export const CONFIG_HASH_LABEL = COMPOSE_LABELS.configHash;
