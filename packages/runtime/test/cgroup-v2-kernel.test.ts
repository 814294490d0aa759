// The v2 driver's core (join, freeze, thaw, kill, destroy) on a real cgroup2 mount. On this hybrid
// host the cgroup2 hierarchy at /sys/fs/cgroup/unified has no resource controllers, so limits are
// covered by the fixture tests; writes to cgroup.subtree_control are dropped so the host's root
// stays as it was.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { CgroupV2Manager, nodeCgroupFs, type CgroupFs } from '../src/cgroups/index.js';

const UNIFIED = '/sys/fs/cgroup/unified';

describe('cgroup v2 driver (real cgroup2 mount, no controllers)', function () {
  const cfs: CgroupFs = {
    ...nodeCgroupFs,
    writeFile: (p, data) => {
      if (!p.endsWith('/cgroup.subtree_control')) nodeCgroupFs.writeFile(p, data);
    },
  };
  let parent: string;
  let cg: CgroupV2Manager;
  let child: ChildProcess | undefined;

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync(`${UNIFIED}/cgroup.controllers`)) {
      this.skip();
    }
  });

  beforeEach(() => {
    parent = `tdock-test-${randomBytes(4).toString('hex')}`;
    cg = new CgroupV2Manager(UNIFIED, `${parent}/c1`, cfs);
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
    if (cg.exists()) {
      cg.thaw();
      cg.destroy();
    }
    new CgroupV2Manager(UNIFIED, parent, cfs).destroy();
    assert.ok(!fs.existsSync(`${UNIFIED}/${parent}`), 'cgroup left behind');
  });

  it('joins, freezes, thaws, kills with cgroup.kill, and removes the cgroup', async () => {
    cg.create();
    child = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = child.pid as number;
    cg.apply(pid);
    assert.deepEqual(cg.pids(), [pid]);
    assert.match(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`^0::/${parent}/c1$`, 'm'));

    cg.freeze();
    assert.equal(cg.freezerState(), 'frozen');
    cg.thaw();
    assert.equal(cg.freezerState(), 'thawed');
    assert.ok(cg.stats().cpu.usageNs >= 0);

    if (!fs.existsSync(`${cg.dir}/cgroup.kill`)) return; // Linux < 5.14
    const exited = once(child, 'exit');
    cg.killAll();
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    for (let i = 0; i < 100 && cg.pids().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(cg.pids(), []);
  });
});
