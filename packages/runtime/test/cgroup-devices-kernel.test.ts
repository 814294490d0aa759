// The v2 device filter loaded into the real kernel (verifier included) and attached to a throwaway
// cgroup on the host's cgroup2 mount. `sys` has no bpf(2) wrapper yet, so a short Python script
// (ctypes `syscall`, no extra packages) does the two bpf calls; replace it with sys once it exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deviceFilterProgram } from '../src/cgroups/index.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const PYTHON = '/usr/bin/python3';
const SCRIPT = `
import ctypes, os, struct, sys
prog_file, cg, node = sys.argv[1], sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
prog = open(prog_file, 'rb').read()
insns = ctypes.create_string_buffer(prog, len(prog))
lic = ctypes.create_string_buffer(b'Apache')
log = ctypes.create_string_buffer(65536)
attr = ctypes.create_string_buffer(128)
struct.pack_into('<IIQQIIQ', attr, 0, 15, len(prog) // 8, ctypes.addressof(insns), ctypes.addressof(lic), 1, 65536, ctypes.addressof(log))
fd = libc.syscall(321, 5, attr, 128)  # BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE
if fd < 0:
    print('load failed: ' + os.strerror(ctypes.get_errno()) + ' ' + log.value.decode()[:500]); sys.exit(0)
cgfd = os.open(cg, os.O_RDONLY | os.O_DIRECTORY)
attach = ctypes.create_string_buffer(32)
struct.pack_into('<IIII', attach, 0, cgfd, fd, 6, 2)  # BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI
if libc.syscall(321, 8, attach, 32) < 0:
    print('attach failed: ' + os.strerror(ctypes.get_errno())); sys.exit(0)
pid = os.fork()
if pid == 0:
    open(cg + '/cgroup.procs', 'w').write('0')
    out = []
    for dev in ['/dev/null', '/dev/zero', '/dev/kmsg', '/dev/vda', '/dev/loop0']:
        if not os.path.exists(dev): continue
        try:
            os.close(os.open(dev, os.O_RDONLY)); out.append(dev + ' ok')
        except OSError as e:
            out.append(dev + ' ' + os.strerror(e.errno))
    try:
        os.mknod(node, 0o600 | 0o020000, os.makedev(1, 3)); out.append('mknod ok')
    except OSError as e:
        out.append('mknod ' + os.strerror(e.errno))
    print('; '.join(out)); sys.stdout.flush()
    os._exit(0)
os.waitpid(pid, 0)
`;

describe('cgroup v2 device filter in the kernel', function () {
  let dir: string;
  let cg: string;

  before(function () {
    if (process.getuid?.() !== 0 || !fs.existsSync(`${UNIFIED}/cgroup.procs`) || !fs.existsSync(PYTHON)) this.skip();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-devf-'));
    cg = `${UNIFIED}/tdock-test-${randomBytes(4).toString('hex')}`;
    fs.mkdirSync(cg);
  });
  afterEach(() => {
    // The program goes away with the cgroup; the forked child has exited by then.
    if (fs.existsSync(cg)) fs.rmdirSync(cg);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes the verifier and enforces Docker's rules: standard devices open, disks and kmsg do not", () => {
    const program = path.join(dir, 'filter.bin');
    fs.writeFileSync(
      program,
      deviceFilterProgram([
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
        { allow: true, type: 'c', access: 'm' },
        { allow: true, type: 'b', access: 'm' },
      ]),
    );
    const out = execFileSync(PYTHON, ['-c', SCRIPT, program, cg, path.join(dir, 'node')], { encoding: 'utf8' }).trim();
    const results = new Map(out.split('; ').map((r) => [r.slice(0, r.indexOf(' ')), r.slice(r.indexOf(' ') + 1)] as const));
    assert.equal(results.get('/dev/null'), 'ok', out);
    assert.equal(results.get('/dev/zero'), 'ok', out);
    assert.equal(results.get('/dev/kmsg'), 'Operation not permitted', out);
    for (const disk of ['/dev/vda', '/dev/loop0']) if (results.has(disk)) assert.equal(results.get(disk), 'Operation not permitted', out);
    assert.equal(results.get('mknod'), 'ok', out);
  });
});
