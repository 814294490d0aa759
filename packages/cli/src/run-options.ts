import { invalidArgument, parseGoDuration, parsePortSpecs, ramInBytes } from '@tdock/core';

/**
 * `tdock run`/`create` flags to an Engine API create body, as docker/cli's container opts.go
 * `parse()` builds it. Pure: files named by --env-file/--label-file are read by the caller and
 * passed in as text.
 */

export interface ContainerFlagValues {
  attach: string[];
  addHost: string[];
  blkioWeight?: string;
  deviceReadBps: string[];
  deviceWriteBps: string[];
  deviceReadIops: string[];
  deviceWriteIops: string[];
  capAdd: string[];
  capDrop: string[];
  cgroupns?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  dns: string[];
  dnsOption: string[];
  dnsSearch: string[];
  domainname?: string;
  entrypoint?: string;
  env: string[];
  expose: string[];
  groupAdd: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  healthTimeout?: string;
  hostname?: string;
  init?: boolean;
  interactive?: boolean;
  ip?: string;
  ipc?: string;
  label: string[];
  logDriver?: string;
  logOpt: string[];
  macAddress?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  mount: string[];
  network?: string;
  net?: string;
  netAlias?: string[];
  networkAlias: string[];
  networkRate?: string;
  healthcheck?: boolean;
  oomKillDisable?: boolean;
  oomScoreAdj?: string;
  pid?: string;
  pidsLimit?: string;
  privileged?: boolean;
  publish: string[];
  publishAll?: boolean;
  readOnly?: boolean;
  restart?: string;
  rm?: boolean;
  securityOpt: string[];
  shmSize?: string;
  stopSignal?: string;
  stopTimeout?: string;
  sysctl: string[];
  tmpfs: string[];
  tty?: boolean;
  ulimit: string[];
  user?: string;
  userns?: string;
  uts?: string;
  volume: string[];
  volumesFrom: string[];
  workdir?: string;
  detach?: boolean;
}

/** Text of the files named by --env-file and --label-file, read by the caller, in flag order. */
export interface FlagFiles {
  envFiles: string[];
  labelFiles: string[];
}

export type CreateBody = Record<string, unknown> & { HostConfig: Record<string, unknown> };

function int(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw invalidArgument(`invalid argument "${text}" for "${flag}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`);
  return Number(text);
}

function size(text: string | undefined): number | undefined {
  return text === undefined ? undefined : ramInBytes(text);
}

function duration(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseGoDuration(text);
}

/** docker's env-file format: K=V lines, `#` comments, a bare K takes its value from `env`. */
export function parseEnvFile(text: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimStart();
    if (!line || line.startsWith('#')) continue;
    out.push(...resolveEnv([line], env));
  }
  return out;
}

function resolveEnv(items: string[], env: NodeJS.ProcessEnv): string[] {
  return items.map((item) => {
    if (item.includes('=')) {
      if (item.startsWith('=')) throw invalidArgument(`invalid environment variable: ${item}`);
      return item;
    }
    const value = env[item];
    return value === undefined ? item : `${item}=${value}`;
  });
}

function keyValues(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function strictKeyValues(items: string[], what: string): Record<string, string> {
  for (const item of items) if (!item.includes('=')) throw invalidArgument(`invalid argument "${item}" for "--${what}" flag: ${what} must be in the form of key=value`);
  return keyValues(items);
}

/** `-v` to Binds (bind and named) or anonymous Volumes, as docker/cli does. */
function parseVolumes(specs: string[]): { binds: string[]; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of specs) {
    const parts = spec.split(':');
    if (parts.length === 1) {
      if (!spec.startsWith('/')) throw invalidArgument(`invalid volume specification: '${spec}'`);
      volumes[spec] = {};
    } else if (parts.length === 2 || parts.length === 3) {
      if (!parts[1]!.startsWith('/')) throw invalidArgument(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${parts[1]}' mount path must be absolute`);
      if (!parts[0]) throw invalidArgument(`invalid volume specification: '${spec}'`);
      binds.push(spec);
    } else throw invalidArgument(`invalid volume specification: '${spec}'`);
  }
  return { binds, volumes };
}

/** `--mount type=...,source=...,target=...` to an Engine API Mount object. */
export function parseMount(spec: string): Record<string, unknown> {
  const m: Record<string, unknown> = { Type: 'volume' };
  const bind: Record<string, unknown> = {};
  const vol: Record<string, unknown> = {};
  const tmpfs: Record<string, unknown> = {};
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const bool = (): boolean => value === undefined || ['1', 'true'].includes(value.toLowerCase());
    switch (key) {
      case 'type': m.Type = value; break;
      case 'source': case 'src': m.Source = value; break;
      case 'target': case 'dst': case 'destination': m.Target = value; break;
      case 'readonly': case 'ro': m.ReadOnly = bool(); break;
      case 'consistency': m.Consistency = value; break;
      case 'bind-propagation': bind.Propagation = value; break;
      case 'bind-nonrecursive': bind.NonRecursive = bool(); break;
      case 'volume-nocopy': vol.NoCopy = bool(); break;
      case 'volume-subpath': vol.Subpath = value; break;
      case 'volume-label': {
        const [k = '', v = ''] = (value ?? '').split(/=(.*)/s);
        vol.Labels = { ...(vol.Labels as object | undefined), [k]: v };
        break;
      }
      case 'volume-driver': vol.DriverConfig = { ...(vol.DriverConfig as object | undefined), Name: value }; break;
      case 'volume-opt': {
        const [k = '', v = ''] = (value ?? '').split(/=(.*)/s);
        const dc = (vol.DriverConfig ?? {}) as { Options?: Record<string, string> };
        vol.DriverConfig = { ...dc, Options: { ...dc.Options, [k]: v } };
        break;
      }
      case 'tmpfs-size': tmpfs.SizeBytes = ramInBytes(value ?? ''); break;
      case 'tmpfs-mode': tmpfs.Mode = parseInt(value ?? '', 8); break;
      default: throw invalidArgument(`invalid argument "${spec}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw invalidArgument(`invalid argument "${spec}" for "--mount" flag: target is required`);
  if (Object.keys(bind).length) m.BindOptions = bind;
  if (Object.keys(vol).length) m.VolumeOptions = vol;
  if (Object.keys(tmpfs).length) m.TmpfsOptions = tmpfs;
  return m;
}

function parseRestart(text: string | undefined): { Name: string; MaximumRetryCount?: number } | undefined {
  if (!text) return undefined;
  const [name = '', count] = text.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw invalidArgument(`invalid restart policy format: ${text}`);
  if (count !== undefined && name !== 'on-failure') throw invalidArgument(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
  return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: int(count, 'restart')! };
}

export function parseUlimit(text: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(text);
  if (!m) throw invalidArgument(`invalid argument "${text}" for "--ulimit" flag: invalid ulimit argument: ${text}`);
  const soft = Number(m[2]);
  return { Name: m[1]!, Soft: soft, Hard: m[3] === undefined ? soft : Number(m[3]) };
}

function throttle(items: string[], flag: string, parse: (v: string) => number): { Path: string; Rate: number }[] {
  return items.map((item) => {
    const colon = item.lastIndexOf(':');
    if (colon <= 0) throw invalidArgument(`invalid argument "${item}" for "--${flag}" flag: bad format: ${item}`);
    return { Path: item.slice(0, colon), Rate: parse(item.slice(colon + 1)) };
  });
}

function healthcheck(f: ContainerFlagValues): Record<string, unknown> | undefined {
  if (f.healthcheck === false) {
    if (f.healthCmd) throw invalidArgument('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  const any = f.healthCmd ?? f.healthInterval ?? f.healthRetries ?? f.healthStartPeriod ?? f.healthStartInterval ?? f.healthTimeout;
  if (any === undefined) return undefined;
  return {
    ...(f.healthCmd ? { Test: ['CMD-SHELL', f.healthCmd] } : {}),
    Interval: duration(f.healthInterval) ?? 0,
    Timeout: duration(f.healthTimeout) ?? 0,
    StartPeriod: duration(f.healthStartPeriod) ?? 0,
    StartInterval: duration(f.healthStartInterval) ?? 0,
    Retries: int(f.healthRetries, 'health-retries') ?? 0,
  };
}

function defined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** Builds the POST /containers/create body for image and command from the parsed flags. */
export function toCreateBody(f: ContainerFlagValues, image: string, command: string[], files: FlagFiles, env: NodeJS.ProcessEnv, consoleSize: [number, number] = [0, 0]): CreateBody {
  const ports = parsePortSpecs(f.publish);
  for (const e of f.expose) {
    const [p = '', proto = 'tcp'] = e.split('/');
    const [start = 0, end = start] = p.split('-').map(Number);
    for (let n = start; n <= end; n++) ports.exposed[`${n}/${proto}`] = {};
  }
  const envList = [...files.envFiles.flatMap((t) => parseEnvFile(t, env)), ...resolveEnv(f.env, env)];
  const labels = { ...keyValues(files.labelFiles.flatMap((t) => t.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#')))), ...keyValues(f.label) };
  const vols = parseVolumes(f.volume);
  const attach = new Set(f.attach.map((a) => a.toLowerCase()));
  if (f.detach && attach.size) throw invalidArgument('Conflicting options: -a and -d');
  const attachAll = !f.detach && attach.size === 0;
  const stdin = attach.has('stdin') || (attachAll && !!f.interactive);
  let entrypoint: string[] | undefined;
  if (f.entrypoint !== undefined) entrypoint = [f.entrypoint];
  const network = f.network ?? f.net ?? 'default';
  const aliases = [...f.networkAlias, ...(f.netAlias ?? [])];
  const endpoint = defined({
    Aliases: aliases.length ? aliases : undefined,
    IPAMConfig: f.ip ? { IPv4Address: f.ip } : undefined,
    MacAddress: f.macAddress,
  });
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs) {
    const colon = t.indexOf(':');
    tmpfs[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }
  const memorySwap = f.memorySwap === '-1' ? -1 : size(f.memorySwap);
  const hostConfig = defined({
    Binds: vols.binds.length ? vols.binds : undefined,
    ContainerIDFile: '',
    LogConfig: { Type: f.logDriver ?? '', Config: strictKeyValues(f.logOpt, 'log-opt') },
    NetworkMode: network,
    PortBindings: ports.bindings,
    RestartPolicy: parseRestart(f.restart) ?? { Name: 'no' },
    AutoRemove: !!f.rm,
    VolumesFrom: f.volumesFrom.length ? f.volumesFrom : undefined,
    CapAdd: f.capAdd.length ? f.capAdd : undefined,
    CapDrop: f.capDrop.length ? f.capDrop : undefined,
    CgroupnsMode: f.cgroupns,
    Dns: f.dns,
    DnsOptions: f.dnsOption,
    DnsSearch: f.dnsSearch,
    ExtraHosts: f.addHost.length ? f.addHost : undefined,
    GroupAdd: f.groupAdd.length ? f.groupAdd : undefined,
    IpcMode: f.ipc,
    OomScoreAdj: int(f.oomScoreAdj, 'oom-score-adj'),
    PidMode: f.pid,
    Privileged: !!f.privileged,
    PublishAllPorts: !!f.publishAll,
    ReadonlyRootfs: !!f.readOnly,
    SecurityOpt: f.securityOpt.length ? f.securityOpt : undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    UTSMode: f.uts,
    UsernsMode: f.userns,
    ShmSize: size(f.shmSize),
    Sysctls: f.sysctl.length ? strictKeyValues(f.sysctl, 'sysctl') : undefined,
    Init: f.init ? true : undefined,
    ConsoleSize: consoleSize,
    Memory: size(f.memory),
    MemoryReservation: size(f.memoryReservation),
    MemorySwap: memorySwap,
    NanoCpus: f.cpus === undefined ? undefined : Math.round(Number(f.cpus) * 1e9),
    CpuShares: int(f.cpuShares, 'cpu-shares'),
    CpuPeriod: int(f.cpuPeriod, 'cpu-period'),
    CpuQuota: int(f.cpuQuota, 'cpu-quota'),
    CpusetCpus: f.cpusetCpus,
    CpusetMems: f.cpusetMems,
    PidsLimit: int(f.pidsLimit, 'pids-limit'),
    BlkioWeight: int(f.blkioWeight, 'blkio-weight'),
    BlkioDeviceReadBps: f.deviceReadBps.length ? throttle(f.deviceReadBps, 'device-read-bps', ramInBytes) : undefined,
    BlkioDeviceWriteBps: f.deviceWriteBps.length ? throttle(f.deviceWriteBps, 'device-write-bps', ramInBytes) : undefined,
    BlkioDeviceReadIOps: f.deviceReadIops.length ? throttle(f.deviceReadIops, 'device-read-iops', (v) => int(v, 'device-read-iops')!) : undefined,
    BlkioDeviceWriteIOps: f.deviceWriteIops.length ? throttle(f.deviceWriteIops, 'device-write-iops', (v) => int(v, 'device-write-iops')!) : undefined,
    OomKillDisable: f.oomKillDisable ? true : undefined,
    Ulimits: f.ulimit.length ? f.ulimit.map(parseUlimit) : undefined,
    Mounts: f.mount.length ? f.mount.map(parseMount) : undefined,
    NetworkRate: f.networkRate,
  });
  if (f.cpus !== undefined && !(Number(f.cpus) > 0)) throw invalidArgument(`invalid argument "${f.cpus}" for "--cpus" flag: failed to parse ${f.cpus} as a rational number`);
  return defined({
    Hostname: f.hostname ?? '',
    Domainname: f.domainname ?? '',
    User: f.user ?? '',
    AttachStdin: stdin,
    AttachStdout: attachAll || attach.has('stdout'),
    AttachStderr: attachAll || attach.has('stderr'),
    ExposedPorts: Object.keys(ports.exposed).length ? ports.exposed : undefined,
    Tty: !!f.tty,
    OpenStdin: !!f.interactive,
    StdinOnce: !!f.interactive && stdin && !f.detach,
    Env: envList,
    Cmd: command.length ? command : undefined,
    Healthcheck: healthcheck(f),
    Image: image,
    Volumes: Object.keys(vols.volumes).length ? vols.volumes : undefined,
    WorkingDir: f.workdir ?? '',
    Entrypoint: entrypoint,
    Labels: labels,
    StopSignal: f.stopSignal,
    StopTimeout: int(f.stopTimeout, 'stop-timeout'),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: Object.keys(endpoint).length && network !== 'default' ? { [network]: endpoint } : {} },
  }) as CreateBody;
}
