// cgroupFeatures on fixture trees: what `docker update` and `docker run` may set, per cgroup version.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupFeatures, detectCgroups, parseCpuList } from '../src/cgroups/index.js';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-cgf-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('cgroup features (moby sysinfo)', () => {
  const made: string[] = [];
  after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  it('v1: one file per feature; no blkio.weight (no CFQ/BFQ) means no blkio weight', () => {
    const root = tree({
      'memory/cgroup.procs': '', 'memory/memory.limit_in_bytes': '', 'memory/memory.soft_limit_in_bytes': '', 'memory/memory.oom_control': '',
      'cpu/cgroup.procs': '', 'cpu/cpu.shares': '', 'cpu/cpu.cfs_quota_us': '',
      'cpuset/cgroup.procs': '', 'cpuset/cpuset.cpus': '0-3\n', 'cpuset/cpuset.mems': '0\n',
      'blkio/cgroup.procs': '', 'blkio/blkio.throttle.read_bps_device': '',
      'pids/cgroup.procs': '',
    });
    made.push(root);
    const f = cgroupFeatures(detectCgroups(root));
    assert.equal(f.version, 1);
    assert.deepEqual([f.memoryLimit, f.swapLimit, f.memoryReservation, f.oomKillDisable], [true, false, true, true]);
    assert.deepEqual([f.cpuShares, f.cpuCfs, f.cpuset, f.cpus, f.mems, f.pidsLimit], [true, true, true, '0-3', '0', true]);
    assert.deepEqual([f.blkioWeight, f.blkioWeightDevice, f.blkioReadBpsDevice, f.blkioWriteBpsDevice], [false, false, true, false]);
  });

  it('v2: the root\'s controllers; swap from memory.swap.max in a child; cpus from cpuset.cpus.effective', () => {
    const root = tree({ 'cgroup.controllers': 'cpuset cpu io memory pids\n', 'cpuset.cpus.effective': '0-7\n', 'cpuset.mems.effective': '0\n', 'init.scope/memory.swap.max': 'max\n' });
    made.push(root);
    const f = cgroupFeatures(detectCgroups(root));
    assert.equal(f.version, 2);
    assert.deepEqual([f.memoryLimit, f.swapLimit, f.memoryReservation, f.memorySwappiness, f.oomKillDisable], [true, true, true, false, false]);
    assert.deepEqual([f.cpuShares, f.cpuCfs, f.cpuset, f.cpus, f.pidsLimit], [true, true, true, '0-7', true]);
    assert.deepEqual([f.blkioWeight, f.blkioWeightDevice, f.blkioReadIOpsDevice], [true, true, true]);
    const bare = tree({ 'cgroup.controllers': 'memory pids\n' });
    made.push(bare);
    const g = cgroupFeatures(detectCgroups(bare));
    assert.deepEqual([g.swapLimit, g.cpuShares, g.cpuset, g.blkioWeight], [false, false, false, false]);
  });

  it('parses cpuset lists as moby parseUintList', () => {
    assert.deepEqual([...parseCpuList('0-2,4,4')], [0, 1, 2, 4]);
    assert.deepEqual([...parseCpuList('')], []);
    assert.throws(() => parseCpuList('1-x'), /invalid format: 1-x/);
    assert.throws(() => parseCpuList('3-1'), /invalid format/);
    assert.throws(() => parseCpuList('9000'), /value of out range, maximum is 8192/);
  });
});
