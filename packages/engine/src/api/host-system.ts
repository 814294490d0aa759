import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { notImplemented } from '@tdock/core';
import type { EventsService, Services, SystemFacts, SystemService } from './services.js';

/** Where the host facts come from; roots are injected so tests can point them at fixtures. */
export interface HostFactsOptions {
  dataRoot: string;
  /** Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /** Default `/etc/os-release`. */
  osRelease?: string;
  gitCommit?: string;
  buildTime?: string;
}

function readOsRelease(file: string): { pretty: string; version: string } {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const get = (k: string): string => (new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '').replace(/^"|"$/g, '');
    return { pretty: get('PRETTY_NAME') || 'Linux', version: get('VERSION_ID') };
  } catch {
    return { pretty: 'Linux', version: '' };
  }
}

/** The daemon's persistent ID (`<data-root>/engine-id`), created on first use like dockerd's. */
export function engineId(dataRoot: string): string {
  const file = path.join(dataRoot, 'engine-id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    fs.mkdirSync(dataRoot, { recursive: true });
    fs.writeFileSync(file, id + '\n', { mode: 0o600 });
    return id;
  }
}

/** Reads the host facts `/info` and `/version` report (container and image counts come from `counts`). */
export function readHostFacts(opts: HostFactsOptions, counts: () => Pick<SystemFacts, 'containers' | 'images'>): SystemFacts {
  const cg = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const v2 = fs.existsSync(path.join(cg, 'cgroup.controllers'));
  const has = (p: string): boolean => fs.existsSync(path.join(cg, p));
  const osr = readOsRelease(opts.osRelease ?? '/etc/os-release');
  const features: SystemFacts['features'] = v2
    ? { MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true, OomKillDisable: false }
    : {
        MemoryLimit: has('memory'),
        SwapLimit: has('memory/memory.memsw.limit_in_bytes'),
        CpuCfsPeriod: has('cpu/cpu.cfs_period_us'),
        CpuCfsQuota: has('cpu/cpu.cfs_quota_us'),
        CPUShares: has('cpu/cpu.shares'),
        CPUSet: has('cpuset'),
        PidsLimit: has('pids'),
        OomKillDisable: has('memory/memory.oom_control'),
      };
  let ipv4Forwarding = false;
  try {
    ipv4Forwarding = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';
  } catch {
    // not readable: report false
  }
  features.IPv4Forwarding = ipv4Forwarding;
  return {
    id: engineId(opts.dataRoot),
    name: os.hostname(),
    ...counts(),
    storageDriver: 'overlay2',
    driverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
    cgroupDriver: 'cgroupfs',
    cgroupVersion: v2 ? '2' : '1',
    kernelVersion: os.release(),
    operatingSystem: osr.pretty,
    osVersion: osr.version,
    architecture: os.machine(),
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    dataRoot: opts.dataRoot,
    loggingDriver: 'json-file',
    securityOptions: ['name=seccomp,profile=builtin', ...(v2 ? ['name=cgroupns'] : [])],
    features,
    warnings: [],
    labels: [],
    gitCommit: opts.gitCommit ?? 'unknown',
    buildTime: opts.buildTime ?? '',
  };
}

/** A SystemService over the host facts; disk usage and auth wait for the stores. */
export function hostSystemService(opts: HostFactsOptions, counts: () => Pick<SystemFacts, 'containers' | 'images'> = () => ({ containers: { total: 0, running: 0, paused: 0, stopped: 0 }, images: 0 })): SystemService {
  return {
    facts: async () => readHostFacts(opts, counts),
    diskUsage: async () => ({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }),
    auth: async () => {
      throw notImplemented('not implemented yet');
    },
  };
}

/** A service whose every method answers 501 "not implemented yet" (until the real one is wired). */
function pending<T>(): T {
  return new Proxy({} as object, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      return () => {
        throw notImplemented('not implemented yet');
      };
    },
  }) as T;
}

/** Services for a daemon whose stores and runtime are not wired yet: system facts and events, the rest 501. */
export function systemOnlyServices(system: SystemService, events: EventsService = pending()): Services {
  return { system, containers: pending(), images: pending(), volumes: pending(), networks: pending(), exec: pending(), events };
}
