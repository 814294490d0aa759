// cgroup v1 driver: one directory per controller hierarchy (<root>/<controller>/<path>), as runc's
// fs driver lays them out. Works on hybrid hosts (v1 controllers beside a cgroup2 mount).
import { TdockError } from '@tdock/core';
import type { BlkioEntry, CgroupFs, CgroupManager, CgroupStats, FreezerState, LinuxResources, LinuxThrottleDevice } from './types.js';
import {
  limitString,
  nodeCgroupFs,
  normalizeCgroupPath,
  pollCounter,
  readCg,
  readKeyed,
  readNum,
  readPids,
  rmdirRetry,
  sleepSync,
  writeCg,
} from './util.js';

/** The v1 controllers tdock uses, by their mount directory name under the root. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** USER_HZ: cpuacct.stat counts ticks of 1/100 s. */
const NS_PER_TICK = 10_000_000;
/** v1 reports an unlimited memory limit as a huge page-aligned number. */
const V1_UNLIMITED = 0x7ffffffffffff000;

/** {@link CgroupManager} for cgroup v1. */
export class CgroupV1Manager implements CgroupManager {
  readonly version = 1 as const;
  readonly path: string;
  private readonly controllers: V1Controller[];
  /** One controller per distinct hierarchy (co-mounted controllers share a directory). */
  private readonly hierarchies: V1Controller[];

  /**
   * @param root the v1 mount root (`/sys/fs/cgroup`), holding one directory per controller.
   * @param path the cgroup path relative to each hierarchy, e.g. `tdock/<id>`.
   */
  constructor(
    readonly root: string,
    path: string,
    private readonly cfs: CgroupFs = nodeCgroupFs,
  ) {
    this.path = normalizeCgroupPath(path);
    this.controllers = V1_CONTROLLERS.filter((c) => cfs.exists(`${root}/${c}/cgroup.procs`));
    const seen = new Set<string>();
    this.hierarchies = this.controllers.filter((c) => {
      const real = cfs.realpath(`${root}/${c}`);
      if (seen.has(real)) return false;
      seen.add(real);
      return true;
    });
  }

  /** The directory of this cgroup in one controller's hierarchy. */
  dir(controller: V1Controller): string {
    return `${this.root}/${controller}/${this.path}`;
  }

  private has(controller: V1Controller): boolean {
    return this.controllers.includes(controller);
  }

  private need(controller: V1Controller, what: string): string {
    if (!this.has(controller)) throw new TdockError('not-implemented', `cgroup: the ${controller} controller is not mounted (needed for ${what})`);
    return this.dir(controller);
  }

  exists(): boolean {
    return this.controllers.some((c) => this.cfs.exists(this.dir(c)));
  }

  create(resources: LinuxResources = {}): void {
    const created: string[] = [];
    try {
      for (const c of this.hierarchies) {
        let dir = `${this.root}/${c}`;
        for (const part of this.path.split('/')) {
          const parent = dir;
          dir = `${dir}/${part}`;
          if (this.cfs.exists(dir)) continue;
          this.cfs.mkdir(dir);
          created.push(dir);
          // A new cpuset cgroup starts with no cpus and no mems, and no task can join it until
          // it has both: copy the parent's, level by level, as runc does.
          if (this.cfs.exists(`${parent}/cpuset.cpus`)) this.copyCpuset(parent, dir);
        }
      }
      this.update(resources);
    } catch (err) {
      for (const dir of created.reverse()) {
        try {
          this.cfs.rmdir(dir);
        } catch {
          // best effort: the original error matters more
        }
      }
      throw err;
    }
  }

  private copyCpuset(parent: string, dir: string): void {
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if ((readCg(this.cfs, `${dir}/${f}`) ?? '') === '') writeCg(this.cfs, `${dir}/${f}`, readCg(this.cfs, `${parent}/${f}`) ?? '');
    }
  }

  procsFiles(): string[] {
    return this.hierarchies.map((c) => `${this.dir(c)}/cgroup.procs`);
  }

  apply(pid: number): void {
    for (const file of this.procsFiles()) writeCg(this.cfs, file, String(pid));
  }

  pids(): number[] {
    const c = this.controllers.find((x) => x === 'pids' || x === 'freezer' || x === 'memory') ?? this.controllers[0];
    return c ? readPids(this.cfs, `${this.dir(c)}/cgroup.procs`) : [];
  }

  update(r: LinuxResources): void {
    if (r.devices && r.devices.length > 0) this.setDevices(r.devices);
    if (r.memory) this.setMemory(r.memory);
    if (r.cpu) this.setCpu(r.cpu);
    if (r.pids && r.pids.limit !== 0) writeCg(this.cfs, `${this.need('pids', 'pids.max')}/pids.max`, r.pids.limit > 0 ? String(r.pids.limit) : 'max');
    if (r.blockIO) this.setBlkio(r.blockIO);
    if (r.unified && Object.keys(r.unified).length > 0) {
      throw new TdockError('invalid-argument', 'cgroup: linux.resources.unified needs cgroup v2');
    }
  }

  private setDevices(rules: NonNullable<LinuxResources['devices']>): void {
    const dir = this.need('devices', 'device rules');
    for (const rule of rules) {
      const type = rule.type ?? 'a';
      const id = (n: number | null | undefined): string => (n === undefined || n === null || n < 0 ? '*' : String(n));
      const line = type === 'a' ? 'a' : `${type} ${id(rule.major)}:${id(rule.minor)} ${rule.access ?? 'rwm'}`;
      writeCg(this.cfs, `${dir}/${rule.allow ? 'devices.allow' : 'devices.deny'}`, line);
    }
  }

  private setMemory(m: NonNullable<LinuxResources['memory']>): void {
    const dir = this.need('memory', 'memory limits');
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    if (limit === -1 && swap === 0) swap = -1;
    const mem = `${dir}/memory.limit_in_bytes`;
    const memsw = `${dir}/memory.memsw.limit_in_bytes`;
    if (swap !== 0 && !this.cfs.exists(memsw)) {
      throw new TdockError('not-implemented', 'cgroup: swap limit set but swap accounting is off (no memory.memsw.limit_in_bytes)');
    }
    if (limit !== 0 && swap !== 0) {
      // The kernel keeps memory <= memory+swap at every step, so the order depends on the direction.
      const current = readNum(this.cfs, mem) ?? 0;
      if (swap === -1 || current < swap) {
        writeCg(this.cfs, memsw, limitString(swap, 1));
        writeCg(this.cfs, mem, limitString(limit, 1));
      } else {
        writeCg(this.cfs, mem, limitString(limit, 1));
        writeCg(this.cfs, memsw, limitString(swap, 1));
      }
    } else {
      if (limit !== 0) writeCg(this.cfs, mem, limitString(limit, 1));
      if (swap !== 0) writeCg(this.cfs, memsw, limitString(swap, 1));
    }
    if (m.reservation !== undefined && m.reservation !== 0) writeCg(this.cfs, `${dir}/memory.soft_limit_in_bytes`, limitString(m.reservation, 1));
    if (m.swappiness !== undefined && m.swappiness >= 0) writeCg(this.cfs, `${dir}/memory.swappiness`, String(m.swappiness));
    if (m.disableOOMKiller) writeCg(this.cfs, `${dir}/memory.oom_control`, '1');
  }

  private setCpu(c: NonNullable<LinuxResources['cpu']>): void {
    if (c.shares) writeCg(this.cfs, `${this.need('cpu', 'cpu.shares')}/cpu.shares`, String(c.shares));
    if (c.period || c.quota) {
      const dir = this.need('cpu', 'a CPU quota');
      const period = `${dir}/cpu.cfs_period_us`;
      const quota = `${dir}/cpu.cfs_quota_us`;
      if (c.period) {
        try {
          writeCg(this.cfs, period, String(c.period));
        } catch (err) {
          // A shorter period can be refused while the old quota exceeds it: quota first, then period.
          if (!c.quota) throw err;
          writeCg(this.cfs, quota, String(c.quota > 0 ? c.quota : -1));
          writeCg(this.cfs, period, String(c.period));
        }
      }
      if (c.quota) writeCg(this.cfs, quota, String(c.quota > 0 ? c.quota : -1));
    }
    if (c.cpus) writeCg(this.cfs, `${this.need('cpuset', 'cpuset.cpus')}/cpuset.cpus`, c.cpus);
    if (c.mems) writeCg(this.cfs, `${this.need('cpuset', 'cpuset.mems')}/cpuset.mems`, c.mems);
  }

  private setBlkio(b: NonNullable<LinuxResources['blockIO']>): void {
    const dir = this.need('blkio', 'block I/O limits');
    if (b.weight) {
      const file = [`${dir}/blkio.weight`, `${dir}/blkio.bfq.weight`].find((f) => this.cfs.exists(f));
      if (!file) throw new TdockError('not-implemented', 'cgroup: blkio weight is not supported by this kernel (no blkio.weight or blkio.bfq.weight)');
      writeCg(this.cfs, file, String(b.weight));
    }
    for (const wd of b.weightDevice ?? []) {
      const file = [`${dir}/blkio.weight_device`, `${dir}/blkio.bfq.weight_device`].find((f) => this.cfs.exists(f));
      if (!file) throw new TdockError('not-implemented', 'cgroup: per-device blkio weight is not supported by this kernel');
      if (wd.weight) writeCg(this.cfs, file, `${wd.major}:${wd.minor} ${wd.weight}`);
    }
    const throttles: Array<[string, LinuxThrottleDevice[] | undefined]> = [
      ['blkio.throttle.read_bps_device', b.throttleReadBpsDevice],
      ['blkio.throttle.write_bps_device', b.throttleWriteBpsDevice],
      ['blkio.throttle.read_iops_device', b.throttleReadIOPSDevice],
      ['blkio.throttle.write_iops_device', b.throttleWriteIOPSDevice],
    ];
    for (const [file, devices] of throttles) {
      for (const d of devices ?? []) writeCg(this.cfs, `${dir}/${file}`, `${d.major}:${d.minor} ${d.rate}`);
    }
  }

  stats(): CgroupStats {
    const mem = this.has('memory') ? this.dir('memory') : undefined;
    const memStat = mem ? readKeyed(this.cfs, `${mem}/memory.stat`) : {};
    const limit = mem ? readNum(this.cfs, `${mem}/memory.limit_in_bytes`) : null;
    const acct = this.has('cpuacct') ? this.dir('cpuacct') : undefined;
    const ticks = acct ? readKeyed(this.cfs, `${acct}/cpuacct.stat`) : {};
    const cpuStat = this.has('cpu') ? readKeyed(this.cfs, `${this.dir('cpu')}/cpu.stat`) : {};
    const pidsDir = this.has('pids') ? this.dir('pids') : undefined;
    return {
      memory: {
        usage: (mem && readNum(this.cfs, `${mem}/memory.usage_in_bytes`)) || 0,
        maxUsage: (mem && readNum(this.cfs, `${mem}/memory.max_usage_in_bytes`)) || 0,
        limit: limit === null || limit >= V1_UNLIMITED ? null : limit,
        cache: memStat.total_cache ?? memStat.cache ?? 0,
        stat: memStat,
      },
      cpu: {
        usageNs: (acct && readNum(this.cfs, `${acct}/cpuacct.usage`)) || 0,
        userNs: (ticks.user ?? 0) * NS_PER_TICK,
        systemNs: (ticks.system ?? 0) * NS_PER_TICK,
        periods: cpuStat.nr_periods ?? 0,
        throttledPeriods: cpuStat.nr_throttled ?? 0,
        throttledTimeNs: cpuStat.throttled_time ?? 0,
      },
      pids: {
        current: (pidsDir && readNum(this.cfs, `${pidsDir}/pids.current`)) || 0,
        limit: pidsDir ? readNum(this.cfs, `${pidsDir}/pids.max`) : null,
      },
      io: this.ioStats(),
      oomKills: this.oomKillCount(),
    };
  }

  private ioStats(): CgroupStats['io'] {
    const io: CgroupStats['io'] = { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
    if (!this.has('blkio')) return io;
    const sum = (file: string, read: 'readBytes' | 'readOps', write: 'writeBytes' | 'writeOps'): BlkioEntry[] => {
      const entries: BlkioEntry[] = [];
      for (const line of (readCg(this.cfs, `${this.dir('blkio')}/${file}`) ?? '').split('\n')) {
        const [dev, op, value] = line.trim().split(/\s+/);
        if (!dev || !dev.includes(':') || op === undefined || value === undefined) continue;
        const [major, minor] = dev.split(':').map(Number);
        entries.push({ major, minor, op, value: Number(value) });
        if (op === 'Read') io[read] += Number(value);
        if (op === 'Write') io[write] += Number(value);
      }
      return entries;
    };
    io.serviceBytes = sum('blkio.throttle.io_service_bytes_recursive', 'readBytes', 'writeBytes');
    io.serviced = sum('blkio.throttle.io_serviced_recursive', 'readOps', 'writeOps');
    return io;
  }

  freezerState(): FreezerState {
    const state = this.has('freezer') ? readCg(this.cfs, `${this.dir('freezer')}/freezer.state`) : undefined;
    if (state === 'FROZEN') return 'frozen';
    if (state === 'FREEZING') return 'freezing';
    return 'thawed';
  }

  freeze(): void {
    const file = `${this.need('freezer', 'pause')}/freezer.state`;
    // Freezing can stall on tasks in uninterruptible sleep; runc re-writes FROZEN until it sticks.
    for (let i = 0; i < 1000; i++) {
      writeCg(this.cfs, file, 'FROZEN');
      if (readCg(this.cfs, file) === 'FROZEN') return;
      sleepSync(i < 10 ? 1 : 10);
    }
    writeCg(this.cfs, file, 'THAWED');
    throw new TdockError('unavailable', `cgroup: ${this.path} did not freeze`);
  }

  thaw(): void {
    writeCg(this.cfs, `${this.need('freezer', 'resume')}/freezer.state`, 'THAWED');
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    // Frozen tasks cannot fork, so one pass over cgroup.procs catches every one of them.
    const canFreeze = this.has('freezer') && this.cfs.exists(this.dir('freezer'));
    if (canFreeze) this.freeze();
    try {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    } finally {
      if (canFreeze) this.thaw();
    }
  }

  oomKillCount(): number {
    if (!this.has('memory')) return 0;
    return readKeyed(this.cfs, `${this.dir('memory')}/memory.oom_control`).oom_kill ?? 0;
  }

  watchOom(listener: (oomKills: number) => void, intervalMs = 200): () => void {
    return pollCounter(() => this.oomKillCount(), listener, intervalMs);
  }

  destroy(): void {
    for (const c of this.hierarchies) rmdirRetry(this.cfs, this.dir(c));
  }
}
