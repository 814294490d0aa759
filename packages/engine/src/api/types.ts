// Docker wire shapes (API 1.47) the services exchange with the HTTP layer. Field names are Docker's
// (DESIGN §10.1). Request types are what decodeBody produces: optional fields, canonical key spelling.

/** A JSON value; responses the HTTP layer passes through unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object in one of Docker's response shapes (swagger.yaml names it). */
export type JsonObject = { [key: string]: Json };

export interface ThrottleDevice { Path?: string; Rate?: number }
export interface WeightDevice { Path?: string; Weight?: number }
export interface Ulimit { Name?: string; Soft?: number; Hard?: number }
export interface RestartPolicy { Name?: string; MaximumRetryCount?: number }
export interface PortBinding { HostIp?: string; HostPort?: string }

/** A `--mount` entry (HostConfig.Mounts). */
export interface MountSpec {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; Subpath?: string; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] };
}

/** Resources: HostConfig's embedded part, and the `/update` body. */
export interface Resources {
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[];
  BlkioDeviceReadBps?: ThrottleDevice[];
  BlkioDeviceWriteBps?: ThrottleDevice[];
  BlkioDeviceReadIOps?: ThrottleDevice[];
  BlkioDeviceWriteIOps?: ThrottleDevice[];
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: Array<{ PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }>;
  DeviceCgroupRules?: string[];
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  OomKillDisable?: boolean;
  PidsLimit?: number;
  Ulimits?: Ulimit[];
}

export interface HostConfig extends Resources {
  Binds?: string[];
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null>;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[];
  ConsoleSize?: number[];
  Annotations?: Record<string, string>;
  CapAdd?: string[];
  CapDrop?: string[];
  CgroupnsMode?: string;
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[];
  GroupAdd?: string[];
  IpcMode?: string;
  Links?: string[];
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  StorageOpt?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string>;
  Runtime?: string;
  Mounts?: MountSpec[];
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  Init?: boolean;
}

export interface HealthConfig { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number }

/** Docker's container Config. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Json>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, Json>;
  WorkingDir?: string;
  Entrypoint?: string[];
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[];
  Labels?: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  Links?: string[];
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
  MacAddress?: string;
  [key: string]: Json | undefined;
}

/** The body of `POST /containers/create`. */
export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings | null> };
}

export interface ExecCreateBody {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: number[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[];
  WorkingDir?: string;
  Cmd?: string[];
}

export interface ExecStartBody { Detach?: boolean; Tty?: boolean; ConsoleSize?: number[] }

export interface NetworkCreateBody {
  Name?: string;
  Driver?: string;
  Scope?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Options?: Record<string, string>; Config?: Array<{ Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }> };
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  CheckDuplicate?: boolean;
}

export interface VolumeCreateBody { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }

/** Registry credentials from `X-Registry-Auth` or the `/auth` body. */
export interface AuthConfig { username?: string; password?: string; auth?: string; email?: string; serveraddress?: string; identitytoken?: string; registrytoken?: string }

/** `{"Id","Warnings"}` of a create. */
export interface CreateResponse { Id: string; Warnings: string[] }

/** The wait result (`ContainerWaitResponse`). */
export interface WaitResponse { StatusCode: number; Error?: { Message: string } | null }
