// The v2 device filter in the real kernel: the v2 driver loads it with bpf(2) (verifier included)
// and attaches it to a throwaway cgroup on this hybrid host's cgroup2 mount (/sys/fs/cgroup/unified,
// no controllers). A device program works on any cgroup2 directory, and the kernel checks it on top
// of v1's devices cgroup, so a shell moved into that directory sees exactly the filter's rules.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TdockError } from '@tdock/core';
import * as sys from '@tdock/runtime/sys';
import {
  BPF_CGROUP_DEVICE,
  BPF_PROG_TYPE_CGROUP_DEVICE,
  CgroupV2Manager,
  loadAttachDeviceFilter,
  nodeCgroupFs,
  type CgroupFs,
  type LinuxDeviceCgroup,
} from '../src/cgroups/index.js';

const UNIFIED = '/sys/fs/cgroup/unified';
/** Joins the cgroup given as $1 and opens each further argument, one `<dev>: ok` or `<dev>: <error>` line each. */
const PROBE = `echo 0 > "$1/cgroup.procs" || exit 99
shift
for dev; do
  case "$dev" in
    mknod:*) set -- "\${dev#mknod:}"; if err=$(mknod "$1" c 1 3 2>&1); then echo "mknod: ok"; else echo "mknod: $err"; fi ;;
    *) if err=$(head -c1 "$dev" 2>&1 >/dev/null); then echo "$dev: ok"; else echo "$dev: $err"; fi ;;
  esac
done`;

const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: 'rwm' };
const NULL_RWM: LinuxDeviceCgroup = { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' };
const ZERO_RWM: LinuxDeviceCgroup = { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' };

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('cgroup v2 device filter in the kernel', function () {
  // The host's root keeps its cgroup.subtree_control as it is.
  const cfs: CgroupFs = {
    ...nodeCgroupFs,
    writeFile: (p, data) => {
      if (!p.endsWith('/cgroup.subtree_control')) nodeCgroupFs.writeFile(p, data);
    },
  };
  let dir: string;
  let cg: CgroupV2Manager;

  /** Runs PROBE in the test cgroup; device -> `ok` or the error text. */
  function probe(...devices: string[]): Map<string, string> {
    const out = execFileSync('sh', ['-c', PROBE, 'sh', cg.dir, ...devices], { encoding: 'utf8' });
    return new Map(out.trim().split('\n').map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)] as const));
  }

  function attachedIds(): number[] {
    const fd = sys.open(cg.dir, sys.O.RDONLY | sys.O.DIRECTORY | sys.O.CLOEXEC);
    try {
      return sys.bpfProgQuery(fd, BPF_CGROUP_DEVICE);
    } finally {
      sys.close(fd);
    }
  }

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync(`${UNIFIED}/cgroup.procs`)) {
      process.stderr.write(`skipping the v2 device filter tests: they need root and a cgroup2 mount at ${UNIFIED}\n`);
      this.skip();
    }
    try {
      // mov r0, 1; exit
      sys.raw.close(sys.bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: Buffer.from('b4000000010000009500000000000000', 'hex'), license: 'Apache' }));
    } catch (err) {
      process.stderr.write(`skipping the v2 device filter tests: the kernel refuses bpf(BPF_PROG_LOAD) of a device program: ${(err as Error).message}\n`);
      this.skip();
    }
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-devf-'));
    cg = new CgroupV2Manager(UNIFIED, `tdock-test-${randomBytes(4).toString('hex')}`, cfs);
  });

  afterEach(() => {
    // The programs go away with the directory; the probes have exited by then (execFileSync).
    if (cg.exists()) {
      if (cg.pids().length > 0) cg.killAll();
      cg.destroy();
    }
    fs.rmSync(dir, { recursive: true, force: true });
    assert.ok(!fs.existsSync(cg.dir), `${cg.dir} left behind`);
  });

  it('allows /dev/null (c 1:3 rwm) and denies /dev/zero (c 1:5) with EPERM', () => {
    const fds = openFds();
    cg.create({ devices: [DENY_ALL, NULL_RWM] });
    assert.equal(openFds(), fds, 'fds left open');
    assert.equal(attachedIds().length, 1);
    const got = probe('/dev/null', '/dev/zero');
    assert.equal(got.get('/dev/null'), 'ok');
    assert.match(got.get('/dev/zero') ?? '', /cannot open '\/dev\/zero'.*Operation not permitted/);
  });

  it('update replaces the program: the denied device opens, one program stays attached, and back', () => {
    cg.create({ devices: [DENY_ALL, NULL_RWM] });
    const [first] = attachedIds();
    assert.match(probe('/dev/zero').get('/dev/zero') ?? '', /Operation not permitted/);

    const fds = openFds();
    cg.update({ devices: [DENY_ALL, NULL_RWM, ZERO_RWM] });
    assert.equal(openFds(), fds, 'fds left open');
    const ids = attachedIds();
    assert.equal(ids.length, 1, `attached: ${ids.join(', ')}`);
    assert.notEqual(ids[0], first);
    assert.deepEqual(Object.fromEntries(probe('/dev/null', '/dev/zero')), { '/dev/null': 'ok', '/dev/zero': 'ok' });

    cg.update({ devices: [DENY_ALL, NULL_RWM] });
    assert.equal(attachedIds().length, 1);
    assert.match(probe('/dev/zero').get('/dev/zero') ?? '', /Operation not permitted/);
    // An update without device rules leaves the filter alone.
    cg.update({ pids: { limit: 0 } });
    assert.match(probe('/dev/zero').get('/dev/zero') ?? '', /Operation not permitted/);
  });

  it("enforces Docker's default rules: standard devices open, kmsg and disks do not, mknod does", () => {
    cg.create({
      devices: [
        DENY_ALL,
        NULL_RWM,
        ZERO_RWM,
        { allow: true, type: 'c', access: 'm' },
        { allow: true, type: 'b', access: 'm' },
      ],
    });
    const disks = ['/dev/vda', '/dev/sda', '/dev/loop0'].filter((d) => fs.existsSync(d));
    const got = probe('/dev/null', '/dev/zero', '/dev/kmsg', ...disks, `mknod:${dir}/node`);
    assert.equal(got.get('/dev/null'), 'ok');
    assert.equal(got.get('/dev/zero'), 'ok');
    assert.match(got.get('/dev/kmsg') ?? '', /Operation not permitted/);
    for (const disk of disks) assert.match(got.get(disk) ?? '', /Operation not permitted/, disk);
    assert.equal(got.get('mknod'), 'ok');
  });

  it("fails with a TdockError carrying the verifier's log, and leaves the attached program and fds as they were", () => {
    cg.create({ devices: [DENY_ALL, NULL_RWM] });
    const before = attachedIds();
    const fds = openFds();
    // A lone `exit`: R0 is never set.
    assert.throws(
      () => loadAttachDeviceFilter(cg.dir, Buffer.from('9500000000000000', 'hex')),
      (err: unknown) => {
        assert.ok(err instanceof TdockError);
        assert.equal(err.kind, 'internal');
        assert.ok(err.message.startsWith(`cgroup: device filter for ${cg.dir}: bpf BPF_PROG_LOAD: EACCES`), err.message);
        assert.match(err.message, /verifier log:[\s\S]*R0 !read_ok/);
        assert.ok(err.cause instanceof sys.BpfLoadError);
        assert.match(err.cause.log, /R0 !read_ok/);
        return true;
      },
    );
    assert.equal(openFds(), fds, 'fds left open');
    assert.deepEqual(attachedIds(), before);
    assert.match(probe('/dev/zero').get('/dev/zero') ?? '', /Operation not permitted/);
  });

  it('names the directory and the bpf step when the target is no cgroup', () => {
    const fds = openFds();
    const notCgroup = new CgroupV2Manager(dir, 'plain');
    fs.mkdirSync(notCgroup.dir);
    assert.throws(
      () => notCgroup.update({ devices: [DENY_ALL, NULL_RWM] }),
      (err: unknown) => err instanceof TdockError && err.message.startsWith(`cgroup: device filter for ${notCgroup.dir}: bpf BPF_PROG_`),
    );
    // Rules that allow everything need no filter: the failure is ignored, as runc does.
    notCgroup.update({ devices: [{ allow: true, access: 'rwm' }] });
    assert.equal(openFds(), fds, 'fds left open');
  });
});
