// What the host's cgroups can limit, on either version (moby pkg/sysinfo): the engine checks
// `docker run`/`docker update` resources against it and warns or refuses as dockerd does.
import type { CgroupFs } from './types.js';
import type { CgroupSetup } from './detect.js';
import { nodeCgroupFs, readCg } from './util.js';

/** moby SysInfo's cgroup part. */
export interface CgroupFeatures {
  version: 1 | 2;
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  memorySwappiness: boolean;
  oomKillDisable: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuset: boolean;
  /** The CPUs and memory nodes the cpuset root offers (`0-1`, `0`), '' when unknown. */
  cpus: string;
  mems: string;
  pidsLimit: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBpsDevice: boolean;
  blkioWriteBpsDevice: boolean;
  blkioReadIOpsDevice: boolean;
  blkioWriteIOpsDevice: boolean;
}

/** Probes the cgroupfs root of `setup` (v1: per-controller files, as sysinfo_linux.go; v2: the root's controllers, as cgroup2_linux.go). */
export function cgroupFeatures(setup: CgroupSetup, cfs: CgroupFs = nodeCgroupFs): CgroupFeatures {
  const root = setup.root;
  const has = (p: string): boolean => cfs.exists(`${root}/${p}`);
  if (setup.version === 2) {
    const c = new Set(setup.controllers);
    const io = c.has('io');
    return {
      version: 2,
      memoryLimit: c.has('memory'), swapLimit: c.has('memory') && swapMaxSomewhere(root, cfs), memoryReservation: c.has('memory'),
      memorySwappiness: false, oomKillDisable: false,
      cpuShares: c.has('cpu'), cpuCfs: c.has('cpu'),
      cpuset: c.has('cpuset'), cpus: (readCg(cfs, `${root}/cpuset.cpus.effective`) ?? '').trim(), mems: (readCg(cfs, `${root}/cpuset.mems.effective`) ?? '').trim(),
      pidsLimit: c.has('pids'),
      blkioWeight: io, blkioWeightDevice: io, blkioReadBpsDevice: io, blkioWriteBpsDevice: io, blkioReadIOpsDevice: io, blkioWriteIOpsDevice: io,
    };
  }
  return {
    version: 1,
    memoryLimit: has('memory/memory.limit_in_bytes'), swapLimit: has('memory/memory.memsw.limit_in_bytes'),
    memoryReservation: has('memory/memory.soft_limit_in_bytes'), memorySwappiness: has('memory/memory.swappiness'), oomKillDisable: has('memory/memory.oom_control'),
    cpuShares: has('cpu/cpu.shares'), cpuCfs: has('cpu/cpu.cfs_quota_us'),
    cpuset: has('cpuset/cpuset.cpus'), cpus: (readCg(cfs, `${root}/cpuset/cpuset.cpus`) ?? '').trim(), mems: (readCg(cfs, `${root}/cpuset/cpuset.mems`) ?? '').trim(),
    pidsLimit: has('pids/cgroup.procs'),
    blkioWeight: has('blkio/blkio.weight'), blkioWeightDevice: has('blkio/blkio.weight_device'),
    blkioReadBpsDevice: has('blkio/blkio.throttle.read_bps_device'), blkioWriteBpsDevice: has('blkio/blkio.throttle.write_bps_device'),
    blkioReadIOpsDevice: has('blkio/blkio.throttle.read_iops_device'), blkioWriteIOpsDevice: has('blkio/blkio.throttle.write_iops_device'),
  };
}

/** v2 swap accounting: `memory.swap.max` exists in non-root cgroups only; look one level down. */
function swapMaxSomewhere(root: string, cfs: CgroupFs): boolean {
  for (const dir of ['init.scope', 'system.slice', 'user.slice']) if (cfs.exists(`${root}/${dir}/memory.swap.max`)) return true;
  return false;
}

/** moby parseUintList: `0-2,4` → {0,1,2,4}; throws on a bad list or a value over `max`. */
export function parseCpuList(val: string, max = 8192): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  for (const r of val.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(r);
    if (!m) throw new Error(`invalid format: ${val}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`invalid format: ${val}`);
    if (hi > max) throw new Error(`value of out range, maximum is ${max}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}
