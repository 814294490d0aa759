// The v2 driver against a fixture cgroupfs tree in a temporary directory: files pre-created as the
// kernel would, every write recorded, a little kernel behaviour simulated (freeze, kill, rmdir).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TdockError } from '@tdock/core';
import {
  CgroupV2Manager,
  blkioWeightToIoWeight,
  cpuSharesToWeight,
  createCgroupManager,
  detectCgroups,
  deviceFilterProgram,
  memorySwapToV2,
  nodeCgroupFs,
  type CgroupFs,
} from '../src/cgroups/index.js';

const INTERFACE_FILES: Record<string, string> = {
  'cgroup.procs': '',
  'cgroup.controllers': 'cpuset cpu io memory pids',
  'cgroup.subtree_control': '',
  'cgroup.freeze': '0',
  'cgroup.kill': '',
  'cgroup.events': 'populated 0\nfrozen 0',
  'memory.max': 'max',
  'memory.swap.max': 'max',
  'memory.low': '0',
  'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0',
  'cpu.max': 'max 100000',
  'cpu.weight': '100',
  'cpuset.cpus': '',
  'cpuset.mems': '',
  'pids.max': 'max',
  'io.max': '',
  'io.weight': 'default 100',
};

interface Fixture {
  root: string;
  writes: Array<[string, string]>;
  cfs: CgroupFs;
  /** Makes writes of `value` to files named `file` fail with this errno code. */
  refuse: (file: string, match: (value: string) => boolean, code: string) => void;
  /** Device filter programs attached: [directory relative to the root, program]. */
  filters: Array<[string, Buffer]>;
  /** Makes attachDeviceFilter throw `err`. */
  failFilter: (err: Error) => void;
}

function makeFixture(): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-cg2-'));
  for (const [f, v] of Object.entries(INTERFACE_FILES)) if (f.startsWith('cgroup.')) fs.writeFileSync(path.join(root, f), v);
  const writes: Array<[string, string]> = [];
  const refusals: Array<{ file: string; match: (v: string) => boolean; code: string }> = [];
  const filters: Array<[string, Buffer]> = [];
  let filterError: Error | undefined;
  const rel = (p: string): string => path.relative(root, p);
  const cfs: CgroupFs = {
    ...nodeCgroupFs,
    writeFile(p, data) {
      for (const r of refusals) {
        if (path.basename(p) === r.file && r.match(data)) throw Object.assign(new Error(r.code), { code: r.code });
      }
      writes.push([rel(p), data]);
      nodeCgroupFs.writeFile(p, data);
      // The kernel side of a few files.
      if (path.basename(p) === 'cgroup.freeze') {
        fs.writeFileSync(path.join(path.dirname(p), 'cgroup.events'), `populated 1\nfrozen ${data.trim()}`);
      }
    },
    mkdir(p) {
      nodeCgroupFs.mkdir(p);
      for (const [f, v] of Object.entries(INTERFACE_FILES)) fs.writeFileSync(path.join(p, f), v);
    },
    rmdir(p) {
      // cgroupfs removes a cgroup with its interface files, but not one with children.
      if (fs.readdirSync(p, { withFileTypes: true }).some((e) => e.isDirectory())) {
        throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      }
      fs.rmSync(p, { recursive: true });
    },
    attachDeviceFilter(dir, program) {
      if (filterError) throw filterError;
      filters.push([rel(dir), program]);
    },
  };
  return {
    root, writes, cfs, filters,
    refuse: (file, match, code) => refusals.push({ file, match, code }),
    failFilter: (err) => {
      filterError = err;
    },
  };
}

describe('cgroup v2 driver (fixture tree)', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = makeFixture();
  });
  afterEach(() => {
    fs.rmSync(fx.root, { recursive: true, force: true });
  });

  it('is detected from cgroup.controllers at the root', () => {
    const setup = detectCgroups(fx.root, fx.cfs);
    assert.deepEqual(setup, { version: 2, root: fx.root, controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] });
    assert.ok(createCgroupManager(setup, 'tdock/x', fx.cfs) instanceof CgroupV2Manager);
  });

  it('enables controllers down the tree and writes converted limits', () => {
    const cg = new CgroupV2Manager(fx.root, '/tdock/abc', fx.cfs);
    cg.create({
      memory: { limit: 64 << 20, swap: 96 << 20, reservation: 32 << 20 },
      cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 100 },
      blockIO: {
        weight: 500,
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 2097152 }],
      },
      unified: { 'memory.high': '50000000' },
    });
    const all = '+cpuset +cpu +io +memory +pids';
    assert.deepEqual(fx.writes, [
      ['cgroup.subtree_control', all],
      ['tdock/cgroup.subtree_control', all],
      ['tdock/abc/memory.swap.max', String(32 << 20)],
      ['tdock/abc/memory.max', String(64 << 20)],
      ['tdock/abc/memory.low', String(32 << 20)],
      ['tdock/abc/cpu.weight', String(cpuSharesToWeight(512))],
      ['tdock/abc/cpu.max', '20000 100000'],
      ['tdock/abc/cpuset.cpus', '0-1'],
      ['tdock/abc/cpuset.mems', '0'],
      ['tdock/abc/pids.max', '100'],
      ['tdock/abc/io.weight', `default ${blkioWeightToIoWeight(500)}`],
      ['tdock/abc/io.max', '8:0 rbps=1048576 wiops=100'],
      ['tdock/abc/io.max', '8:16 wbps=2097152'],
      ['tdock/abc/memory.high', '50000000'],
    ]);
    assert.deepEqual(cg.procsFiles(), [path.join(fx.root, 'tdock/abc/cgroup.procs')]);
  });

  it('writes unlimited values as max', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/u', fx.cfs);
    cg.create();
    fx.writes.length = 0;
    cg.update({ memory: { limit: -1 }, cpu: { quota: -1, period: 50000 }, pids: { limit: -1 } });
    assert.deepEqual(fx.writes, [
      ['tdock/u/memory.swap.max', 'max'],
      ['tdock/u/memory.max', 'max'],
      ['tdock/u/cpu.max', 'max 50000'],
      ['tdock/u/pids.max', 'max'],
    ]);
  });

  it('prefers io.bfq.weight with the v1 scale when the kernel has it', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/b', fx.cfs);
    cg.create();
    fs.writeFileSync(path.join(fx.root, 'tdock/b/io.bfq.weight'), 'default 100');
    fx.writes.length = 0;
    cg.update({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
    assert.deepEqual(fx.writes, [
      ['tdock/b/io.bfq.weight', '300'],
      ['tdock/b/io.bfq.weight', '8:0 200'],
    ]);
  });

  it('falls back to one controller at a time when subtree_control refuses the set', () => {
    fx.refuse('cgroup.subtree_control', (v) => v.includes(' ') || v === '+cpuset', 'EINVAL');
    new CgroupV2Manager(fx.root, 'a', fx.cfs).create();
    assert.deepEqual(fx.writes, [
      ['cgroup.subtree_control', '+cpu'],
      ['cgroup.subtree_control', '+io'],
      ['cgroup.subtree_control', '+memory'],
      ['cgroup.subtree_control', '+pids'],
    ]);
  });

  it('reads stats from the v2 files', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/s', fx.cfs);
    cg.create({ memory: { limit: 1 << 30 }, pids: { limit: 10 } });
    const put = (f: string, v: string) => fs.writeFileSync(path.join(fx.root, 'tdock/s', f), v);
    put('memory.current', '123456\n');
    put('memory.stat', 'anon 1000\nfile 2000\nkernel 300\n');
    put('cpu.stat', 'usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 40\nnr_throttled 12\nthrottled_usec 7000\n');
    put('pids.current', '3\n');
    put('io.stat', '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=3 wios=4\n');
    put('memory.events', 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    assert.deepEqual(cg.stats(), {
      memory: { usage: 123456, maxUsage: 0, limit: 1 << 30, cache: 2000, stat: { anon: 1000, file: 2000, kernel: 300 } },
      cpu: { usageNs: 5_000_000, userNs: 3_000_000, systemNs: 2_000_000, periods: 40, throttledPeriods: 12, throttledTimeNs: 7_000_000 },
      pids: { current: 3, limit: 10 },
      io: {
        readBytes: 4097, writeBytes: 8194, readOps: 4, writeOps: 6,
        serviceBytes: [
          { major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 8192 },
          { major: 8, minor: 16, op: 'read', value: 1 }, { major: 8, minor: 16, op: 'write', value: 2 },
        ],
      },
      oomKills: 1,
    });
  });

  it('freezes, thaws, kills through cgroup.kill, and joins by pid', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/f', fx.cfs);
    cg.create();
    fx.writes.length = 0;
    cg.freeze();
    assert.equal(cg.freezerState(), 'frozen');
    cg.thaw();
    assert.equal(cg.freezerState(), 'thawed');
    cg.killAll();
    cg.apply(4242);
    assert.deepEqual(fx.writes, [
      ['tdock/f/cgroup.freeze', '1'],
      ['tdock/f/cgroup.freeze', '0'],
      ['tdock/f/cgroup.kill', '1'],
      ['tdock/f/cgroup.procs', '4242'],
    ]);
  });

  it('tells the OOM watcher when memory.events counts a kill', async () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/o', fx.cfs);
    cg.create();
    const seen: number[] = [];
    const stop = cg.watchOom((n) => seen.push(n), 5);
    try {
      fs.writeFileSync(path.join(fx.root, 'tdock/o/memory.events'), 'oom 2\noom_kill 2\n');
      for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(seen, [2]);
      assert.equal(cg.oomKillCount(), 2);
    } finally {
      stop();
    }
  });

  it('destroys only its own directory', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/d', fx.cfs);
    cg.create();
    new CgroupV2Manager(fx.root, 'tdock/e', fx.cfs).create();
    cg.destroy();
    assert.ok(!cg.exists());
    assert.ok(fs.existsSync(path.join(fx.root, 'tdock')));
    cg.destroy(); // idempotent
    assert.throws(() => new CgroupV2Manager(fx.root, 'tdock', fx.cfs).destroy(), (e: unknown) => e instanceof TdockError && e.kind === 'conflict');
  });

  it('attaches the device rules as a BPF program when rules are given, and only then', () => {
    const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    const cg = new CgroupV2Manager(fx.root, 'tdock/dev', fx.cfs);
    cg.create({ devices: rules, pids: { limit: 5 } });
    assert.deepEqual(fx.filters, [['tdock/dev', deviceFilterProgram(rules)]]);
    cg.update({ pids: { limit: 6 } });
    cg.update({ devices: [] });
    assert.equal(fx.filters.length, 1);
    assert.throws(() => cg.update({ devices: [{ allow: true, type: 'x' }] }), (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument');
    assert.equal(fx.filters.length, 1);
  });

  it('fails on a refused device filter unless the rules allow every device, and create rolls back', () => {
    const refused = new TdockError('forbidden', 'cgroup: device filter: bpf BPF_PROG_LOAD: EPERM (errno 1)');
    fx.failFilter(refused);
    const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    const cg = new CgroupV2Manager(fx.root, 'tdock/dev', fx.cfs);
    assert.throws(() => cg.create({ devices: rules }), (e: unknown) => e === refused);
    assert.ok(!cg.exists());
    cg.create();
    cg.update({ devices: [{ allow: true, access: 'rwm' }] }); // --privileged: nothing to enforce
    cg.update({ devices: [{ allow: false, access: 'rwm' }, { allow: true, access: 'rwm' }] });
    assert.throws(() => cg.update({ devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'b', access: 'r' }] }), (e: unknown) => e === refused);
  });

  it('refuses device rules when the cgroup filesystem offers no bpf', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/nb', { ...fx.cfs, attachDeviceFilter: undefined });
    cg.create();
    assert.throws(() => cg.update({ devices: [{ allow: false, access: 'rwm' }] }), (e: unknown) => e instanceof TdockError && e.kind === 'not-implemented' && /bpf/.test(e.message));
  });

  it('rejects what v2 cannot express', () => {
    const cg = new CgroupV2Manager(fx.root, 'tdock/r', fx.cfs);
    cg.create();
    const invalid = (re: RegExp) => (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument' && re.test(e.message);
    assert.throws(() => cg.update({ memory: { swap: 100 } }), invalid(/without memory limit/));
    assert.throws(() => cg.update({ memory: { limit: 200, swap: 100 } }), invalid(/should be >= memory limit/));
    assert.throws(() => cg.update({ memory: { disableOOMKiller: true } }), invalid(/OOM killer/));
    assert.throws(() => cg.update({ unified: { '../escape': '1' } }), invalid(/unified key/));
    assert.throws(() => new CgroupV2Manager(fx.root, 'a/../b', fx.cfs), invalid(/invalid cgroup path/));
  });
});

describe('cgroup conversions (runc)', () => {
  it('maps cpu shares to weight', () => {
    const table: Array<[number, number]> = [[0, 0], [2, 1], [1024, 100], [262144, 10000], [512, cpuSharesToWeight(512)]];
    for (const [shares, weight] of table) assert.equal(cpuSharesToWeight(shares), weight, `shares ${shares}`);
    assert.ok(cpuSharesToWeight(512) < 100 && cpuSharesToWeight(2048) > 100);
  });

  it('maps blkio weight to io.weight', () => {
    assert.equal(blkioWeightToIoWeight(0), 0);
    assert.equal(blkioWeightToIoWeight(10), 1);
    assert.equal(blkioWeightToIoWeight(1000), 10000);
    assert.equal(blkioWeightToIoWeight(500), 1 + Math.floor((490 * 9999) / 990));
  });

  it('maps memory+swap to swap alone', () => {
    assert.equal(memorySwapToV2(0, -1), -1);
    assert.equal(memorySwapToV2(-1, 100), -1);
    assert.equal(memorySwapToV2(0, 100), 0);
    assert.equal(memorySwapToV2(300, -1), 300);
    assert.equal(memorySwapToV2(300, 100), 200);
  });
});
