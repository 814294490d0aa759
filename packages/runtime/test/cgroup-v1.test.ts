// The v1 driver on this host's real cgroupfs, under a throwaway `tdock-test-<id>` parent.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { TdockError } from '@tdock/core';
import { CgroupV1Manager, detectCgroups, nodeCgroupFs, type CgroupSetup } from '../src/cgroups/index.js';

const ROOT = '/sys/fs/cgroup';
const MiB = 1024 * 1024;
const read = (file: string): string => fs.readFileSync(file, 'utf8').trim();

describe('cgroup v1 driver (real cgroupfs)', function () {
  let setup: CgroupSetup;
  let parent: string;
  let cg: CgroupV1Manager;
  const children: ChildProcess[] = [];

  before(function () {
    try {
      setup = detectCgroups(ROOT);
    } catch {
      this.skip();
    }
    if (setup.version !== 1 || process.getuid?.() !== 0) this.skip();
  });

  beforeEach(() => {
    parent = `tdock-test-${randomBytes(4).toString('hex')}`;
    cg = new CgroupV1Manager(ROOT, `${parent}/c1`);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    if (cg.exists()) {
      // Whatever a test left running in the cgroup (orphaned background jobs too) goes first.
      cg.thaw();
      cg.killAll();
      for (let i = 0; i < 200 && cg.pids().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    }
    cg.destroy();
    new CgroupV1Manager(ROOT, parent).destroy();
    for (const c of setup.controllers) assert.ok(!fs.existsSync(`${ROOT}/${c}/${parent}`), `${c}/${parent} left behind`);
  });

  /** A `sleep` that starts only once its shell is in the cgroup, so its memory is charged there. */
  async function startSleepIn(m: CgroupV1Manager): Promise<ChildProcess> {
    const child = spawn('sh', ['-c', 'read go; exec sleep 300'], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    m.apply(child.pid as number);
    child.stdin?.end('go\n');
    for (let i = 0; i < 500 && read(`/proc/${child.pid}/comm`) !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 5));
    return child;
  }

  it('creates the cgroup with limits that read back from the kernel', () => {
    cg.create({
      memory: { limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB },
      cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 50 },
    });
    assert.ok(cg.exists());
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.limit_in_bytes`), String(64 * MiB));
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.memsw.limit_in_bytes`), String(128 * MiB));
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.soft_limit_in_bytes`), String(32 * MiB));
    assert.equal(read(`${ROOT}/cpu/${parent}/c1/cpu.shares`), '512');
    assert.equal(read(`${ROOT}/cpu/${parent}/c1/cpu.cfs_quota_us`), '20000');
    assert.equal(read(`${ROOT}/cpu/${parent}/c1/cpu.cfs_period_us`), '100000');
    assert.equal(read(`${ROOT}/cpuset/${parent}/c1/cpuset.cpus`), '0');
    assert.equal(read(`${ROOT}/cpuset/${parent}/cpuset.cpus`), read(`${ROOT}/cpuset/cpuset.cpus`), 'parent cpuset copied from the root');
    assert.equal(read(`${ROOT}/cpuset/${parent}/cpuset.mems`), read(`${ROOT}/cpuset/cpuset.mems`));
    assert.equal(read(`${ROOT}/pids/${parent}/c1/pids.max`), '50');
    assert.deepEqual(cg.procsFiles(), setup.controllers.map((c) => `${ROOT}/${c}/${parent}/c1/cgroup.procs`));
  });

  it('moves a process in, reports stats, freezes, thaws and kills it', async () => {
    cg.create({ memory: { limit: 64 * MiB }, pids: { limit: 20 } });
    const child = await startSleepIn(cg);
    const pid = child.pid as number;
    assert.deepEqual(cg.pids(), [pid]);
    assert.match(read(`/proc/${pid}/cgroup`), new RegExp(`memory:/${parent}/c1$`, 'm'));
    const stats = cg.stats();
    assert.equal(stats.pids.current, 1);
    assert.equal(stats.pids.limit, 20);
    assert.equal(stats.memory.limit, 64 * MiB);
    assert.ok(stats.memory.usage > 0);
    assert.equal(typeof stats.cpu.usageNs, 'number');
    assert.equal(stats.oomKills, 0);

    cg.freeze();
    assert.equal(cg.freezerState(), 'frozen');
    cg.thaw();
    assert.equal(cg.freezerState(), 'thawed');

    const exited = once(child, 'exit');
    cg.killAll();
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    assert.deepEqual(cg.pids(), []);
  });

  it('orders memory and memsw writes so raising and lowering both work', () => {
    cg.create({ memory: { limit: 64 * MiB, swap: 128 * MiB } });
    cg.update({ memory: { limit: 256 * MiB, swap: 512 * MiB } });
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.limit_in_bytes`), String(256 * MiB));
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.memsw.limit_in_bytes`), String(512 * MiB));
    cg.update({ memory: { limit: 32 * MiB, swap: 64 * MiB } });
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.limit_in_bytes`), String(32 * MiB));
    assert.equal(read(`${ROOT}/memory/${parent}/c1/memory.memsw.limit_in_bytes`), String(64 * MiB));
    cg.update({ memory: { limit: -1 } });
    assert.equal(cg.stats().memory.limit, null);
  });

  it('reports refused values as invalid-argument naming the file', () => {
    cg.create();
    assert.throws(
      () => cg.update({ memory: { limit: 64 * MiB, swap: 32 * MiB } }),
      (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument' && e.message.includes('memory.'),
    );
    assert.throws(
      () => cg.update({ cpu: { cpus: '9999' } }),
      (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument' && e.message.includes('cpuset.cpus'),
    );
  });

  it('applies device rules: deny all, then allow /dev/null', () => {
    cg.create({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    assert.equal(read(`${ROOT}/devices/${parent}/c1/devices.list`), 'c 1:3 rwm');
  });

  it('stops forks at pids.max', async () => {
    cg.create({ pids: { limit: 4 } });
    // Eight background sleeps, each forked by its own subshell so a refused fork ends only that
    // subshell; with the shell itself only three fit under the limit.
    const child = spawn('sh', ['-c', 'read go; for i in 1 2 3 4 5 6 7 8; do (exec sleep 30 &) 2>/dev/null; done; echo forked; read stop'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(child);
    cg.apply(child.pid as number);
    child.stdin?.write('go\n');
    await once(child.stdout as NodeJS.ReadableStream, 'data');
    const { pids } = cg.stats();
    assert.equal(pids.limit, 4);
    assert.ok(pids.current <= 4 && cg.pids().length <= 4, `${pids.current} tasks`);
    assert.match(read(`${ROOT}/pids/${parent}/c1/pids.events`), /^max [1-9]/, 'the kernel refused forks');
  });

  it('throttles a busy loop under a CPU quota and counts it in cpu.stat', async () => {
    cg.create({ cpu: { quota: 10000, period: 100000 } });
    const child = spawn('sh', ['-c', 'read go; while :; do :; done'], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    cg.apply(child.pid as number);
    child.stdin?.write('go\n');
    // throttled_time grows when a throttled period ends, so wait for both counters.
    const throttled = (): boolean => cg.stats().cpu.throttledPeriods > 0 && cg.stats().cpu.throttledTimeNs > 0;
    for (let i = 0; i < 500 && !throttled(); i++) await new Promise((r) => setTimeout(r, 10));
    const stats = cg.stats();
    assert.ok(stats.cpu.throttledPeriods > 0, 'no throttled periods');
    assert.ok(stats.cpu.throttledTimeNs > 0);
    assert.ok(stats.cpu.usageNs > 0);
  });

  it('counts an OOM kill and tells the watcher', async () => {
    cg.create({ memory: { limit: 16 * MiB, swap: 16 * MiB } });
    // The shell waits on stdin until it is in the cgroup; `tail` then holds an endless line.
    const child = spawn('sh', ['-c', 'read go; head -c 268435456 /dev/zero | tail -n 1 >/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    cg.apply(child.pid as number);
    const seen: number[] = [];
    const stop = cg.watchOom((n) => seen.push(n), 10);
    try {
      const exited = once(child, 'exit');
      child.stdin?.end('go\n');
      await exited;
      assert.ok(cg.oomKillCount() >= 1, `oom_kill ${cg.oomKillCount()}`);
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(seen.length >= 1 && (seen[0] as number) >= 1);
    } finally {
      stop();
    }
  });
});

describe('cgroup v1 driver (fixture tree)', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-cg1-'));
    // A common layout: cpu and cpuacct co-mounted, reached through two symlinks.
    for (const dir of ['cpu,cpuacct', 'memory', 'cpuset']) {
      fs.mkdirSync(path.join(root, dir));
      fs.writeFileSync(path.join(root, dir, 'cgroup.procs'), '');
    }
    fs.writeFileSync(path.join(root, 'cpuset', 'cpuset.cpus'), '0-3');
    fs.writeFileSync(path.join(root, 'cpuset', 'cpuset.mems'), '0');
    fs.symlinkSync('cpu,cpuacct', path.join(root, 'cpu'));
    fs.symlinkSync('cpu,cpuacct', path.join(root, 'cpuacct'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('uses each co-mounted hierarchy once and copies cpuset values down every new level', () => {
    const cfs = {
      ...nodeCgroupFs,
      // A new cgroupfs directory comes with empty interface files.
      mkdir: (p: string) => {
        fs.mkdirSync(p);
        fs.writeFileSync(path.join(p, 'cgroup.procs'), '');
        if (p.includes('/cpuset/')) for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(p, f), '');
      },
      rmdir: (p: string) => fs.rmSync(p, { recursive: true }),
    };
    const cg = new CgroupV1Manager(root, 'tdock/x', cfs);
    cg.create();
    assert.deepEqual(cg.procsFiles(), [`${root}/cpu/tdock/x/cgroup.procs`, `${root}/cpuset/tdock/x/cgroup.procs`, `${root}/memory/tdock/x/cgroup.procs`]);
    assert.equal(read(`${root}/cpuset/tdock/cpuset.cpus`), '0-3');
    assert.equal(read(`${root}/cpuset/tdock/x/cpuset.cpus`), '0-3');
    assert.equal(read(`${root}/cpuset/tdock/x/cpuset.mems`), '0');
    cg.destroy();
    assert.ok(!cg.exists());
  });

  it('reads blkio counters per device and operation, and their read/write sums', () => {
    fs.mkdirSync(path.join(root, 'blkio/tdock/x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'blkio/cgroup.procs'), '');
    fs.writeFileSync(path.join(root, 'blkio/tdock/x/blkio.throttle.io_service_bytes_recursive'), '8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\n8:16 Read 1\nTotal 4609\n');
    fs.writeFileSync(path.join(root, 'blkio/tdock/x/blkio.throttle.io_serviced_recursive'), '8:0 Read 2\n8:0 Write 1\nTotal 3\n');
    const io = new CgroupV1Manager(root, 'tdock/x').stats().io;
    assert.deepEqual([io.readBytes, io.writeBytes, io.readOps, io.writeOps], [4097, 512, 2, 1]);
    assert.deepEqual(io.serviceBytes, [
      { major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 },
      { major: 8, minor: 0, op: 'Total', value: 4608 }, { major: 8, minor: 16, op: 'Read', value: 1 },
    ]);
    assert.deepEqual(io.serviced, [{ major: 8, minor: 0, op: 'Read', value: 2 }, { major: 8, minor: 0, op: 'Write', value: 1 }]);
  });
});
