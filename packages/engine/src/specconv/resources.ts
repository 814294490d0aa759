import { invalidArgument } from '@tdock/core';
import type { HostConfig, ThrottleDevice } from '../api/types.js';
import type { OciDevice, OciDeviceRule, OciResources, OciRlimit, OciThrottleDevice, SpecOptions } from './types.js';

/** moby's default device cgroup rules (oci/defaults.go): deny all, then the standard nodes, deny /dev/fuse... */
export function defaultDeviceRules(): OciDeviceRule[] {
  const c = (major: number, minor: number, allow = true): OciDeviceRule => ({ allow, type: 'c', major, minor, access: 'rwm' });
  return [{ allow: false, access: 'rwm' }, c(1, 5), c(1, 3), c(1, 9), c(1, 8), c(5, 0), c(5, 1), c(10, 229, false)];
}

function hostDevice(opts: SpecOptions, path: string): NonNullable<ReturnType<NonNullable<SpecOptions['hostDevice']>>> {
  if (!opts.hostDevice) throw invalidArgument(`error gathering device information while adding custom device "${path}": no such file or directory`);
  return opts.hostDevice(path);
}

function throttles(list: ThrottleDevice[] | undefined, opts: SpecOptions): OciThrottleDevice[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((d) => {
    const dev = hostDevice(opts, d.Path ?? '');
    return { major: dev.major, minor: dev.minor, rate: d.Rate ?? 0 };
  });
}

/** moby WithResources (getMemoryResources, getCPUResources, getPidsLimit, blkio), pure given `hostDevice`. */
export function resourcesOf(hc: HostConfig, opts: SpecOptions): Omit<OciResources, 'devices'> {
  const out: Omit<OciResources, 'devices'> = {};
  const memory: NonNullable<OciResources['memory']> = {};
  if ((hc.Memory ?? 0) > 0) memory.limit = hc.Memory;
  if ((hc.MemoryReservation ?? 0) > 0) memory.reservation = hc.MemoryReservation;
  if ((hc.MemorySwap ?? 0) > 0) memory.swap = hc.MemorySwap;
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness >= 0) memory.swappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable !== undefined) memory.disableOOMKiller = hc.OomKillDisable;
  if (Object.keys(memory).length) out.memory = memory;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if (hc.CpuShares) {
    if (hc.CpuShares < 0) throw invalidArgument(`invalid CPU shares (${hc.CpuShares}): value must be a positive integer`);
    cpu.shares = hc.CpuShares;
  }
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if ((hc.NanoCpus ?? 0) > 0) {
    if (hc.CpuQuota || hc.CpuPeriod) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    cpu.period = 100000;
    cpu.quota = Math.floor(((hc.NanoCpus as number) * 100000) / 1e9);
  }
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (hc.CpuRealtimePeriod) cpu.realtimePeriod = hc.CpuRealtimePeriod;
  if (hc.CpuRealtimeRuntime) cpu.realtimeRuntime = hc.CpuRealtimeRuntime;
  if (Object.keys(cpu).length) out.cpu = cpu;

  if (hc.PidsLimit !== undefined) out.pids = { limit: hc.PidsLimit <= 0 ? -1 : hc.PidsLimit };

  const blockIO: NonNullable<OciResources['blockIO']> = {};
  if (hc.BlkioWeight) blockIO.weight = hc.BlkioWeight;
  if (hc.BlkioWeightDevice?.length) {
    blockIO.weightDevice = hc.BlkioWeightDevice.map((w) => {
      const dev = hostDevice(opts, w.Path ?? '');
      return { major: dev.major, minor: dev.minor, weight: w.Weight ?? 0 };
    });
  }
  const t = {
    throttleReadBpsDevice: throttles(hc.BlkioDeviceReadBps, opts),
    throttleWriteBpsDevice: throttles(hc.BlkioDeviceWriteBps, opts),
    throttleReadIOPSDevice: throttles(hc.BlkioDeviceReadIOps, opts),
    throttleWriteIOPSDevice: throttles(hc.BlkioDeviceWriteIOps, opts),
  };
  for (const [k, v] of Object.entries(t)) if (v) (blockIO as Record<string, unknown>)[k] = v;
  if (Object.keys(blockIO).length) out.blockIO = blockIO;
  return out;
}

/** `Devices` (non-privileged): device nodes to create and cgroup rules to allow (moby WithDevices). */
export function devicesOf(hc: HostConfig, opts: SpecOptions): { devices: OciDevice[]; rules: OciDeviceRule[] } {
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  for (const d of hc.Devices ?? []) {
    const host = hostDevice(opts, d.PathOnHost ?? '');
    const path = d.PathInContainer || d.PathOnHost || '';
    devices.push({ path, type: host.type, major: host.major, minor: host.minor, fileMode: host.fileMode, uid: host.uid, gid: host.gid });
    rules.push({ allow: true, type: host.type, major: host.major, minor: host.minor, access: d.CgroupPermissions || 'rwm' });
  }
  for (const rule of hc.DeviceCgroupRules ?? []) {
    const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
    if (!m) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
    const r: OciDeviceRule = { allow: true, type: m[1] as 'a' | 'b' | 'c', access: m[4] };
    if (m[2] !== '*') r.major = Number(m[2]);
    if (m[3] !== '*') r.minor = Number(m[3]);
    rules.push(r);
  }
  return { devices, rules };
}

/** Ulimits merged over the daemon defaults (moby withRlimits + mergeUlimits). */
export function rlimitsOf(hc: HostConfig, opts: SpecOptions): OciRlimit[] {
  const list = [...(hc.Ulimits ?? []).map((u) => ({ Name: u.Name ?? '', Soft: u.Soft ?? 0, Hard: u.Hard ?? 0 }))];
  const named = new Set(list.map((u) => u.Name));
  for (const d of opts.defaultUlimits ?? []) if (!named.has(d.Name)) list.push(d);
  return list.map((u) => {
    if (!u.Name) throw invalidArgument('invalid ulimit: empty name');
    if (u.Soft > u.Hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    return { type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard };
  });
}
