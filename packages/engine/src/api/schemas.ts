import { map, slice, struct, type GoStruct, type GoType } from './decode.js';

// Go struct descriptions of the request bodies dockerd decodes (moby v28 api/types), used by decodeBody.

const strMap = map('string');
const strs = slice('string');

const ThrottleDevice = struct('ThrottleDevice', { Path: 'string', Rate: 'uint64' });
const WeightDevice = struct('WeightDevice', { Path: 'string', Weight: 'uint16' });
const Ulimit = struct('Ulimit', { Name: 'string', Hard: 'int64', Soft: 'int64' });
const DeviceMapping = struct('DeviceMapping', { PathOnHost: 'string', PathInContainer: 'string', CgroupPermissions: 'string' });
const DeviceRequest = struct('DeviceRequest', {
  Driver: 'string',
  Count: 'int',
  DeviceIDs: strs,
  Capabilities: slice(strs),
  Options: strMap,
});

/** Resources, embedded in HostConfig and used alone by `/containers/{id}/update`. */
const RESOURCE_FIELDS: Record<string, GoType> = {
  CpuShares: 'int64',
  Memory: 'int64',
  NanoCpus: 'int64',
  CgroupParent: 'string',
  BlkioWeight: 'uint16',
  BlkioWeightDevice: slice(WeightDevice),
  BlkioDeviceReadBps: slice(ThrottleDevice),
  BlkioDeviceWriteBps: slice(ThrottleDevice),
  BlkioDeviceReadIOps: slice(ThrottleDevice),
  BlkioDeviceWriteIOps: slice(ThrottleDevice),
  CpuPeriod: 'int64',
  CpuQuota: 'int64',
  CpuRealtimePeriod: 'int64',
  CpuRealtimeRuntime: 'int64',
  CpusetCpus: 'string',
  CpusetMems: 'string',
  Devices: slice(DeviceMapping),
  DeviceCgroupRules: strs,
  DeviceRequests: slice(DeviceRequest),
  KernelMemory: 'int64',
  KernelMemoryTCP: 'int64',
  MemoryReservation: 'int64',
  MemorySwap: 'int64',
  MemorySwappiness: 'int64',
  OomKillDisable: 'bool',
  PidsLimit: 'int64',
  Ulimits: slice(Ulimit),
  CpuCount: 'int64',
  CpuPercent: 'int64',
  IOMaximumIOps: 'uint64',
  IOMaximumBandwidth: 'uint64',
};

const RestartPolicy = struct('RestartPolicy', { Name: 'string', MaximumRetryCount: 'int' });
const PortBinding = struct('PortBinding', { HostIp: 'string', HostPort: 'string' });
const LogConfig = struct('LogConfig', { Type: 'string', Config: strMap });

const Mount = struct('Mount', {
  Type: 'string',
  Source: 'string',
  Target: 'string',
  ReadOnly: 'bool',
  Consistency: 'string',
  BindOptions: struct('BindOptions', {
    Propagation: 'string',
    NonRecursive: 'bool',
    CreateMountpoint: 'bool',
    ReadOnlyNonRecursive: 'bool',
    ReadOnlyForceRecursive: 'bool',
  }),
  VolumeOptions: struct('VolumeOptions', {
    NoCopy: 'bool',
    Labels: strMap,
    Subpath: 'string',
    DriverConfig: struct('Driver', { Name: 'string', Options: strMap }),
  }),
  ImageOptions: struct('ImageOptions', { Subpath: 'string' }),
  TmpfsOptions: struct('TmpfsOptions', { SizeBytes: 'int64', Mode: 'uint32', Options: slice(strs) }),
  ClusterOptions: 'any',
});

export const HostConfigSchema: GoStruct = struct('HostConfig', {
  Binds: strs,
  ContainerIDFile: 'string',
  LogConfig,
  NetworkMode: 'string',
  PortBindings: map(slice(PortBinding)),
  RestartPolicy,
  AutoRemove: 'bool',
  VolumeDriver: 'string',
  VolumesFrom: strs,
  ConsoleSize: slice('uint64'),
  Annotations: strMap,
  CapAdd: 'strslice',
  CapDrop: 'strslice',
  CgroupnsMode: 'string',
  Dns: strs,
  DnsOptions: strs,
  DnsSearch: strs,
  ExtraHosts: strs,
  GroupAdd: strs,
  IpcMode: 'string',
  Cgroup: 'string',
  Links: strs,
  OomScoreAdj: 'int',
  PidMode: 'string',
  Privileged: 'bool',
  PublishAllPorts: 'bool',
  // tdock's extension: the container's bandwidth limit in and out (`tdock run --network-rate 10mbit`).
  NetworkRate: 'string',
  ReadonlyRootfs: 'bool',
  SecurityOpt: strs,
  StorageOpt: strMap,
  Tmpfs: strMap,
  UTSMode: 'string',
  UsernsMode: 'string',
  ShmSize: 'int64',
  Sysctls: strMap,
  Runtime: 'string',
  Isolation: 'string',
  ...RESOURCE_FIELDS,
  Mounts: slice(Mount),
  MaskedPaths: strs,
  ReadonlyPaths: strs,
  Init: 'bool',
});

const HealthConfig = struct('HealthConfig', {
  Test: strs,
  Interval: 'int64',
  Timeout: 'int64',
  StartPeriod: 'int64',
  StartInterval: 'int64',
  Retries: 'int',
});

const CONFIG_FIELDS: Record<string, GoType> = {
  Hostname: 'string',
  Domainname: 'string',
  User: 'string',
  AttachStdin: 'bool',
  AttachStdout: 'bool',
  AttachStderr: 'bool',
  ExposedPorts: map('any'),
  Tty: 'bool',
  OpenStdin: 'bool',
  StdinOnce: 'bool',
  Env: strs,
  Cmd: 'strslice',
  Healthcheck: HealthConfig,
  ArgsEscaped: 'bool',
  Image: 'string',
  Volumes: map('any'),
  WorkingDir: 'string',
  Entrypoint: 'strslice',
  NetworkDisabled: 'bool',
  MacAddress: 'string',
  OnBuild: strs,
  Labels: strMap,
  StopSignal: 'string',
  StopTimeout: 'int',
  Shell: 'strslice',
};

/** Docker's container Config (also the body of `/commit`). */
export const ContainerConfigSchema: GoStruct = struct('Config', CONFIG_FIELDS);

const EndpointSettings = struct('EndpointSettings', {
  IPAMConfig: struct('EndpointIPAMConfig', { IPv4Address: 'string', IPv6Address: 'string', LinkLocalIPs: strs }),
  Links: strs,
  Aliases: strs,
  DriverOpts: strMap,
  GwPriority: 'int',
  MacAddress: 'string',
  NetworkID: 'string',
  EndpointID: 'string',
  Gateway: 'string',
  IPAddress: 'string',
  IPPrefixLen: 'int',
  IPv6Gateway: 'string',
  GlobalIPv6Address: 'string',
  GlobalIPv6PrefixLen: 'int',
  DNSNames: strs,
});

export const NetworkingConfigSchema: GoStruct = struct('NetworkingConfig', { EndpointsConfig: map(EndpointSettings) });

/** `POST /containers/create`: Config at top level plus HostConfig and NetworkingConfig. */
export const ContainerCreateSchema: GoStruct = struct('CreateRequest', {
  ...CONFIG_FIELDS,
  HostConfig: HostConfigSchema,
  NetworkingConfig: NetworkingConfigSchema,
});

/** `POST /containers/{id}/update`. */
export const ContainerUpdateSchema: GoStruct = struct('UpdateConfig', { ...RESOURCE_FIELDS, RestartPolicy });

export const ExecCreateSchema: GoStruct = struct('ExecOptions', {
  User: 'string',
  Privileged: 'bool',
  Tty: 'bool',
  ConsoleSize: slice('uint64'),
  AttachStdin: 'bool',
  AttachStderr: 'bool',
  AttachStdout: 'bool',
  Detach: 'bool',
  DetachKeys: 'string',
  Env: strs,
  WorkingDir: 'string',
  Cmd: strs,
});

export const ExecStartSchema: GoStruct = struct('ExecStartOptions', { Detach: 'bool', Tty: 'bool', ConsoleSize: slice('uint64') });

const IPAM = struct('IPAM', {
  Driver: 'string',
  Options: strMap,
  Config: slice(struct('IPAMConfig', { Subnet: 'string', IPRange: 'string', Gateway: 'string', AuxiliaryAddresses: strMap })),
});

export const NetworkCreateSchema: GoStruct = struct('CreateRequest', {
  Name: 'string',
  Driver: 'string',
  Scope: 'string',
  EnableIPv4: 'bool',
  EnableIPv6: 'bool',
  IPAM,
  Internal: 'bool',
  Attachable: 'bool',
  Ingress: 'bool',
  ConfigOnly: 'bool',
  ConfigFrom: struct('ConfigReference', { Network: 'string' }),
  Options: strMap,
  Labels: strMap,
  CheckDuplicate: 'bool',
});

export const NetworkConnectSchema: GoStruct = struct('ConnectOptions', { Container: 'string', EndpointConfig: EndpointSettings });
export const NetworkDisconnectSchema: GoStruct = struct('DisconnectOptions', { Container: 'string', Force: 'bool' });

export const VolumeCreateSchema: GoStruct = struct('CreateOptions', {
  Name: 'string',
  Driver: 'string',
  DriverOpts: strMap,
  Labels: strMap,
  ClusterVolumeSpec: 'any',
});

export const AuthConfigSchema: GoStruct = struct('AuthConfig', {
  username: 'string',
  password: 'string',
  auth: 'string',
  email: 'string',
  serveraddress: 'string',
  identitytoken: 'string',
  registrytoken: 'string',
});
