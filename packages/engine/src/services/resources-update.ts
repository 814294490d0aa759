// `docker update` as dockerd does it: the requested resources are checked against what the host's
// cgroups can do (moby verifyPlatformContainerResources: a warning and the value dropped for a
// missing controller, dockerd's error text for a bad value), merged into HostConfig field by field
// (moby Container.UpdateContainer: zero means "unchanged"), and only the requested ones are written
// to a running container's cgroup (moby toContainerdResources).
import { invalidArgument } from '@tdock/core';
import { parseCpuList, type CgroupFeatures, type LinuxResources } from '@tdock/runtime';
import type { HostConfig, Resources } from '../api/types.js';

/** moby linuxMinMemory. */
const MIN_MEMORY = 6 * 1024 * 1024;

/** The figures of the host the checks need beside the cgroup features. */
export interface HostLimits {
  features: CgroupFeatures | undefined;
  ncpu: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * moby verifyPlatformContainerResources for `r` (modified in place: unsupported values are dropped
 * with a warning). Throws invalid-argument with dockerd's text for values it refuses.
 */
export function verifyResources(r: Resources, host: HostLimits, update: boolean): string[] {
  const warnings: string[] = [];
  const f = host.features;
  if (!f) return warnings; // no cgroups: nothing is applied, nothing to check against
  const memory = num(r.Memory);
  if (memory !== 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (memory > 0 && !f.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  if (num(r.Memory) > 0 && num(r.MemorySwap) !== -1 && !f.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  if (num(r.Memory) > 0 && num(r.MemorySwap) > 0 && num(r.MemorySwap) < num(r.Memory)) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (num(r.Memory) === 0 && num(r.MemorySwap) > 0 && !update) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (num(r.MemoryReservation) > 0 && !f.memoryReservation) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.MemoryReservation = 0;
  }
  if (num(r.MemoryReservation) > 0 && num(r.MemoryReservation) < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (num(r.Memory) > 0 && num(r.MemoryReservation) > 0 && num(r.Memory) < num(r.MemoryReservation)) throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  if (typeof r.PidsLimit === 'number' && !f.pidsLimit) {
    if (r.PidsLimit > 0) warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    delete r.PidsLimit;
  }

  if (num(r.NanoCpus) > 0 && num(r.CpuPeriod) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (num(r.NanoCpus) > 0 && num(r.CpuQuota) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (num(r.NanoCpus) > 0 && !f.cpuCfs) throw invalidArgument('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  if (num(r.NanoCpus) !== 0 && (num(r.NanoCpus) < 0 || num(r.NanoCpus) > host.ncpu * 1e9)) {
    throw invalidArgument(`range of CPUs is from 0.01 to ${host.ncpu}.00, as there are only ${host.ncpu} CPUs available`);
  }
  if (num(r.CpuShares) > 0 && !f.cpuShares) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if ((num(r.CpuPeriod) !== 0 || num(r.CpuQuota) !== 0) && !f.cpuCfs) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  if (num(r.CpuPeriod) !== 0 && (num(r.CpuPeriod) < 1000 || num(r.CpuPeriod) > 1000000)) throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (num(r.CpuQuota) > 0 && num(r.CpuQuota) < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');

  if ((r.CpusetCpus || r.CpusetMems) && !f.cpuset) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  checkCpuset(r.CpusetCpus ?? '', f.cpus, 'cpus', 'CPUs');
  checkCpuset(r.CpusetMems ?? '', f.mems, 'mems', 'memory nodes');

  if (num(r.BlkioWeight) > 0 && !f.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  if (num(r.BlkioWeight) > 0 && (num(r.BlkioWeight) < 10 || num(r.BlkioWeight) > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
  const devs: Array<[keyof Resources, boolean, string]> = [
    ['BlkioWeightDevice', f.blkioWeightDevice, 'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.'],
    ['BlkioDeviceReadBps', f.blkioReadBpsDevice, 'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.'],
    ['BlkioDeviceWriteBps', f.blkioWriteBpsDevice, 'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.'],
    ['BlkioDeviceReadIOps', f.blkioReadIOpsDevice, 'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.'],
    ['BlkioDeviceWriteIOps', f.blkioWriteIOpsDevice, 'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.'],
  ];
  for (const [key, ok, text] of devs) {
    const list = r[key] as unknown[] | undefined | null;
    if (Array.isArray(list) && list.length > 0 && !ok) {
      warnings.push(text);
      (r as Record<string, unknown>)[key] = [];
    }
  }
  return warnings;
}

function checkCpuset(requested: string, available: string, what: 'cpus' | 'mems', noun: string): void {
  if (!requested || !available) return;
  let avail: Set<number>;
  let want: Set<number>;
  try {
    avail = parseCpuList(available);
    want = parseCpuList(requested, Math.max(8192, ...avail));
  } catch (err) {
    throw invalidArgument(`Invalid value ${requested} for cpuset ${what}: ${(err as Error).message}`);
  }
  for (const n of want) {
    if (!avail.has(n)) throw invalidArgument(`Requested ${noun} are not available - requested ${requested}, available: ${available}`);
  }
}

/** moby Container.UpdateContainer's resource part: non-zero fields replace the stored ones. Throws invalid-argument for conflicts (text without the "Cannot update" prefix). */
export function mergeResources(hc: HostConfig, r: Resources): void {
  if (num(r.NanoCpus) > 0 && num(hc.CpuPeriod) > 0) throw invalidArgument('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (num(r.NanoCpus) > 0 && num(hc.CpuQuota) > 0) throw invalidArgument('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (num(r.CpuPeriod) > 0 && num(hc.NanoCpus) > 0) throw invalidArgument('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (num(r.CpuQuota) > 0 && num(hc.NanoCpus) > 0) throw invalidArgument('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  // As moby: the stored swap counts even when unset (0) or unlimited (-1), so a memory-only update of a
  // container created without a memory limit is refused too (create stores swap = 2 x memory).
  if (num(r.Memory) !== 0 && num(r.Memory) > num(hc.MemorySwap) && num(r.MemorySwap) === 0) {
    throw invalidArgument('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  const set = <K extends keyof Resources>(k: K): void => {
    const v = r[k];
    if (v === undefined || v === null || v === 0 || v === '') return;
    hc[k] = v as HostConfig[K];
  };
  for (const k of ['BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap', 'MemoryReservation', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'PidsLimit'] as const) set(k);
  for (const k of ['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps'] as const) {
    const v = r[k];
    if (v !== undefined && v !== null) (hc as Record<string, unknown>)[k] = v;
  }
}

/** moby toContainerdResources (no device lists: `docker update` has no device flags): what a live cgroup gets. */
export function liveResources(r: Resources): LinuxResources {
  const out: LinuxResources = {};
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (r.CpusetCpus) cpu.cpus = r.CpusetCpus;
  if (r.CpusetMems) cpu.mems = r.CpusetMems;
  if (num(r.CpuShares)) cpu.shares = num(r.CpuShares);
  let period = 0;
  let quota = 0;
  if (num(r.NanoCpus)) {
    period = 100000;
    quota = Math.floor((num(r.NanoCpus) * period) / 1e9);
  }
  if (quota === 0 && num(r.CpuQuota)) quota = num(r.CpuQuota);
  if (period === 0 && num(r.CpuPeriod)) period = num(r.CpuPeriod);
  if (period) cpu.period = period;
  if (quota) cpu.quota = quota;
  if (Object.keys(cpu).length) out.cpu = cpu;
  const memory: NonNullable<LinuxResources['memory']> = {};
  if (num(r.Memory)) memory.limit = num(r.Memory);
  if (num(r.MemoryReservation)) memory.reservation = num(r.MemoryReservation);
  if (num(r.MemorySwap) > 0) memory.swap = num(r.MemorySwap);
  if (Object.keys(memory).length) out.memory = memory;
  if (typeof r.PidsLimit === 'number' && r.PidsLimit !== 0) out.pids = { limit: r.PidsLimit > 0 ? r.PidsLimit : -1 };
  if (num(r.BlkioWeight)) out.blockIO = { weight: num(r.BlkioWeight) };
  return out;
}
