// cgroup v2 driver: one unified hierarchy (<root>/<path>); controllers enabled top-down through
// each ancestor's cgroup.subtree_control, values converted from OCI's v1-shaped resources as runc does.
import { TdockError } from '@tdock/core';
import { deviceFilterProgram, emulateDeviceRules } from './device-filter.js';
import type { CgroupFs, CgroupManager, CgroupStats, FreezerState, LinuxResources, LinuxThrottleDevice } from './types.js';
import {
  blkioWeightToIoWeight,
  cpuSharesToWeight,
  limitString,
  memorySwapToV2,
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

/** {@link CgroupManager} for the unified hierarchy. */
export class CgroupV2Manager implements CgroupManager {
  readonly version = 2 as const;
  readonly path: string;
  readonly dir: string;

  /**
   * @param root the cgroup2 mount (`/sys/fs/cgroup`, or a fixture tree in tests).
   * @param path the cgroup path relative to it, e.g. `tdock/<id>`.
   */
  constructor(
    readonly root: string,
    path: string,
    private readonly cfs: CgroupFs = nodeCgroupFs,
  ) {
    this.path = normalizeCgroupPath(path);
    this.dir = `${root}/${this.path}`;
  }

  private file(name: string): string {
    return `${this.dir}/${name}`;
  }

  exists(): boolean {
    return this.cfs.exists(this.dir);
  }

  create(resources: LinuxResources = {}): void {
    const controllers = (readCg(this.cfs, `${this.root}/cgroup.controllers`) ?? '').split(/\s+/).filter(Boolean);
    const enable = controllers.map((c) => `+${c}`).join(' ');
    const created: string[] = [];
    try {
      let dir = this.root;
      const parts = this.path.split('/');
      for (const part of parts) {
        // Every ancestor (the root included, the leaf not) delegates the controllers to its children.
        if (enable) this.enableControllers(dir, enable);
        dir = `${dir}/${part}`;
        if (!this.cfs.exists(dir)) {
          this.cfs.mkdir(dir);
          created.push(dir);
        }
      }
      this.update(resources);
    } catch (err) {
      for (const d of created.reverse()) {
        try {
          this.cfs.rmdir(d);
        } catch {
          // best effort
        }
      }
      throw err;
    }
  }

  private enableControllers(dir: string, enable: string): void {
    const file = `${dir}/cgroup.subtree_control`;
    try {
      writeCg(this.cfs, file, enable);
    } catch {
      // One refused controller (say, cpuset in a threaded subtree) must not block the rest.
      for (const c of enable.split(' ')) {
        try {
          writeCg(this.cfs, file, c);
        } catch {
          // left disabled; a resource that needs it fails later with the file's name
        }
      }
    }
  }

  procsFiles(): string[] {
    return [this.file('cgroup.procs')];
  }

  apply(pid: number): void {
    writeCg(this.cfs, this.file('cgroup.procs'), String(pid));
  }

  pids(): number[] {
    return readPids(this.cfs, this.file('cgroup.procs'));
  }

  update(r: LinuxResources): void {
    if (r.memory) this.setMemory(r.memory);
    if (r.cpu) this.setCpu(r.cpu);
    if (r.pids && r.pids.limit !== 0) writeCg(this.cfs, this.file('pids.max'), r.pids.limit > 0 ? String(r.pids.limit) : 'max');
    if (r.blockIO) this.setIo(r.blockIO);
    for (const [key, value] of Object.entries(r.unified ?? {})) {
      if (key.includes('/') || key.startsWith('.')) throw new TdockError('invalid-argument', `cgroup: invalid unified key ${JSON.stringify(key)}`);
      writeCg(this.cfs, this.file(key), value);
    }
    if (r.devices && r.devices.length > 0) this.setDevices(r.devices);
  }

  /** Device rules are no files on v2: an eBPF program attached to the directory replaces v1's lists. */
  private setDevices(rules: NonNullable<LinuxResources['devices']>): void {
    const program = deviceFilterProgram(rules);
    if (!this.cfs.attachDeviceFilter) {
      throw new TdockError('not-implemented', `cgroup: device rules for ${this.path} need bpf(2), which this cgroup filesystem does not offer`);
    }
    try {
      this.cfs.attachDeviceFilter(this.dir, program);
    } catch (err) {
      // As runc (canSkipEBPFError): rules that allow every device need no filter, so a host that
      // refuses bpf(2) still runs such containers (--privileged).
      const { defaultAllow, exceptions } = emulateDeviceRules(rules);
      if (defaultAllow && exceptions.length === 0) return;
      throw err;
    }
  }

  private setMemory(m: NonNullable<LinuxResources['memory']>): void {
    const limit = m.limit ?? 0;
    const swap = memorySwapToV2(m.swap ?? 0, limit);
    // v2 keeps swap and memory apart (no memory <= memory+swap check), so the order is free.
    if (swap !== 0) {
      if (!this.cfs.exists(this.file('memory.swap.max'))) {
        throw new TdockError('not-implemented', 'cgroup: swap limit set but memory.swap.max is missing (swap accounting off)');
      }
      writeCg(this.cfs, this.file('memory.swap.max'), limitString(swap, 2));
    }
    if (limit !== 0) writeCg(this.cfs, this.file('memory.max'), limitString(limit, 2));
    if (m.reservation !== undefined && m.reservation !== 0) writeCg(this.cfs, this.file('memory.low'), limitString(m.reservation, 2));
    if (m.disableOOMKiller) {
      throw new TdockError('invalid-argument', 'cgroup: disabling the OOM killer is not possible on cgroup v2');
    }
  }

  private setCpu(c: NonNullable<LinuxResources['cpu']>): void {
    if (c.shares) writeCg(this.cfs, this.file('cpu.weight'), String(cpuSharesToWeight(c.shares)));
    if (c.quota || c.period) {
      let value = c.quota && c.quota > 0 ? String(c.quota) : 'max';
      if (c.period) value += ` ${c.period}`;
      writeCg(this.cfs, this.file('cpu.max'), value);
    }
    if (c.cpus) writeCg(this.cfs, this.file('cpuset.cpus'), c.cpus);
    if (c.mems) writeCg(this.cfs, this.file('cpuset.mems'), c.mems);
  }

  private setIo(b: NonNullable<LinuxResources['blockIO']>): void {
    const bfq = this.file('io.bfq.weight');
    const hasBfq = this.cfs.exists(bfq);
    if (b.weight) {
      // BFQ takes the v1 scale as is; io.weight wants runc's conversion to 1..10000.
      if (hasBfq) writeCg(this.cfs, bfq, String(b.weight));
      else writeCg(this.cfs, this.file('io.weight'), `default ${blkioWeightToIoWeight(b.weight)}`);
    }
    for (const wd of b.weightDevice ?? []) {
      if (!wd.weight) continue;
      if (!hasBfq) throw new TdockError('not-implemented', 'cgroup: per-device I/O weight needs the BFQ scheduler (io.bfq.weight)');
      writeCg(this.cfs, bfq, `${wd.major}:${wd.minor} ${wd.weight}`);
    }
    const limits = new Map<string, string[]>();
    const add = (key: string, devices: LinuxThrottleDevice[] | undefined): void => {
      for (const d of devices ?? []) {
        const dev = `${d.major}:${d.minor}`;
        limits.set(dev, [...(limits.get(dev) ?? []), `${key}=${d.rate > 0 ? d.rate : 'max'}`]);
      }
    };
    add('rbps', b.throttleReadBpsDevice);
    add('wbps', b.throttleWriteBpsDevice);
    add('riops', b.throttleReadIOPSDevice);
    add('wiops', b.throttleWriteIOPSDevice);
    for (const [dev, keys] of limits) writeCg(this.cfs, this.file('io.max'), `${dev} ${keys.join(' ')}`);
  }

  stats(): CgroupStats {
    const mem = readKeyed(this.cfs, this.file('memory.stat'));
    const cpu = readKeyed(this.cfs, this.file('cpu.stat'));
    const io: CgroupStats['io'] = { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0, serviceBytes: [] };
    for (const line of (readCg(this.cfs, this.file('io.stat')) ?? '').split('\n')) {
      const [dev, ...fields] = line.trim().split(/\s+/);
      if (!dev || !dev.includes(':')) continue;
      const [major, minor] = dev.split(':').map(Number);
      let rbytes = 0;
      let wbytes = 0;
      for (const field of fields) {
        const [k, v] = field.split('=');
        const n = Number(v);
        if (!Number.isFinite(n)) continue;
        if (k === 'rbytes') rbytes = n;
        if (k === 'wbytes') wbytes = n;
        if (k === 'rios') io.readOps += n;
        if (k === 'wios') io.writeOps += n;
      }
      io.readBytes += rbytes;
      io.writeBytes += wbytes;
      // moby statsV2: a read and a write entry per device, lower case.
      io.serviceBytes!.push({ major, minor, op: 'read', value: rbytes }, { major, minor, op: 'write', value: wbytes });
    }
    return {
      memory: {
        usage: readNum(this.cfs, this.file('memory.current')) ?? 0,
        maxUsage: readNum(this.cfs, this.file('memory.peak')) ?? 0,
        limit: readNum(this.cfs, this.file('memory.max')),
        cache: mem.file ?? 0,
        stat: mem,
      },
      cpu: {
        usageNs: (cpu.usage_usec ?? 0) * 1000,
        userNs: (cpu.user_usec ?? 0) * 1000,
        systemNs: (cpu.system_usec ?? 0) * 1000,
        periods: cpu.nr_periods ?? 0,
        throttledPeriods: cpu.nr_throttled ?? 0,
        throttledTimeNs: (cpu.throttled_usec ?? 0) * 1000,
      },
      pids: { current: readNum(this.cfs, this.file('pids.current')) ?? 0, limit: readNum(this.cfs, this.file('pids.max')) },
      io,
      oomKills: this.oomKillCount(),
    };
  }

  freezerState(): FreezerState {
    const events = readKeyed(this.cfs, this.file('cgroup.events'));
    if (events.frozen === 1) return 'frozen';
    return readCg(this.cfs, this.file('cgroup.freeze')) === '1' ? 'freezing' : 'thawed';
  }

  freeze(): void {
    writeCg(this.cfs, this.file('cgroup.freeze'), '1');
    for (let i = 0; i < 1000; i++) {
      const events = readKeyed(this.cfs, this.file('cgroup.events'));
      if (events.frozen === undefined || events.frozen === 1) return;
      sleepSync(i < 10 ? 1 : 10);
    }
    writeCg(this.cfs, this.file('cgroup.freeze'), '0');
    throw new TdockError('unavailable', `cgroup: ${this.path} did not freeze`);
  }

  thaw(): void {
    writeCg(this.cfs, this.file('cgroup.freeze'), '0');
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (signal === 'SIGKILL' && this.cfs.exists(this.file('cgroup.kill'))) {
      writeCg(this.cfs, this.file('cgroup.kill'), '1');
      return;
    }
    this.freeze();
    try {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    } finally {
      this.thaw();
    }
  }

  oomKillCount(): number {
    return readKeyed(this.cfs, this.file('memory.events')).oom_kill ?? 0;
  }

  watchOom(listener: (oomKills: number) => void, intervalMs = 200): () => void {
    return pollCounter(() => this.oomKillCount(), listener, intervalMs);
  }

  destroy(): void {
    rmdirRetry(this.cfs, this.dir);
  }
}
