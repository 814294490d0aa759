import { API_VERSION, MIN_API_VERSION } from '@tdock/core';
import type { SystemFacts } from './services.js';
import type { JsonObject } from './types.js';

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano prints (trailing zeros trimmed). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', i686: '386', i386: '386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** `GET /version` (api-surface §1.20); docker-py reads `ApiVersion`. `Arch` is Go's name (amd64), `/info` keeps uname's. */
export function renderVersion(f: SystemFacts, serverVersion: string): JsonObject {
  const arch = GO_ARCH[f.architecture] ?? f.architecture;
  const details = {
    ApiVersion: API_VERSION,
    Arch: arch,
    BuildTime: f.buildTime,
    Experimental: 'false',
    GitCommit: f.gitCommit,
    GoVersion: `node${process.versions.node}`,
    KernelVersion: f.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'tdock' },
    Components: [{ Name: 'Engine', Version: serverVersion, Details: details }],
    Version: serverVersion,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: f.gitCommit,
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: arch,
    KernelVersion: f.kernelVersion,
    BuildTime: f.buildTime,
  };
}

/** `GET /info` in moby's `system.Info` shape, Swarm inactive (api-surface §1.19). */
export function renderInfo(f: SystemFacts, serverVersion: string, now: number): JsonObject {
  const feat = (k: keyof NonNullable<SystemFacts['features']>): boolean => f.features?.[k] ?? false;
  return {
    ID: f.id,
    Containers: f.containers.total,
    ContainersRunning: f.containers.running,
    ContainersPaused: f.containers.paused,
    ContainersStopped: f.containers.stopped,
    Images: f.images,
    Driver: f.storageDriver,
    DriverStatus: f.driverStatus,
    DockerRootDir: f.dataRoot,
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'none'] },
    MemoryLimit: feat('MemoryLimit'),
    SwapLimit: feat('SwapLimit'),
    CpuCfsPeriod: feat('CpuCfsPeriod'),
    CpuCfsQuota: feat('CpuCfsQuota'),
    CPUShares: feat('CPUShares'),
    CPUSet: feat('CPUSet'),
    PidsLimit: feat('PidsLimit'),
    OomKillDisable: feat('OomKillDisable'),
    IPv4Forwarding: feat('IPv4Forwarding'),
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: rfc3339Nano(now),
    LoggingDriver: f.loggingDriver,
    CgroupDriver: f.cgroupDriver,
    CgroupVersion: f.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: f.kernelVersion,
    OperatingSystem: f.operatingSystem,
    OSVersion: f.osVersion,
    OSType: 'linux',
    Architecture: f.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: null,
    NCPU: f.ncpu,
    MemTotal: f.memTotal,
    GenericResources: null,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: f.name,
    Labels: f.labels,
    ExperimentalBuild: false,
    ServerVersion: serverVersion,
    Runtimes: { tdock: { path: 'tdock-shim' } },
    DefaultRuntime: 'tdock',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: f.securityOptions,
    CDISpecDirs: [],
    Warnings: f.warnings,
  };
}
