import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TdockError } from '@tdock/core';
import { DEFAULT_CAPABILITIES } from '../src/caps/index.js';
import {
  SECCOMP_ARCHES,
  SECCOMP_RET,
  SeccompCache,
  compileSeccomp,
  decodeFilter,
  dockerProfileToOci,
  loadDockerDefaultProfile,
  type LinuxSeccomp,
  type SeccompOperator,
} from '../src/seccomp/index.js';
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runFilter } from './seccomp-vm.js';

const X64 = SECCOMP_ARCHES.SCMP_ARCH_X86_64?.syscalls ?? {};
const I386 = SECCOMP_ARCHES.SCMP_ARCH_X86?.syscalls ?? {};
const X32 = SECCOMP_ARCHES.SCMP_ARCH_X32?.syscalls ?? {};
const nr = (table: Readonly<Record<string, number>>, name: string): number => {
  const n = table[name];
  if (n === undefined) throw new Error(`no syscall ${name}`);
  return n;
};
const EPERM = (SECCOMP_RET.ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET.ERRNO | 38) >>> 0;
const ALLOW = SECCOMP_RET.ALLOW;
const CLONE_NEWNS = 0x20000;
const CLONE_NEWUSER = 0x10000000;
const THREAD_FLAGS = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID

function dockerFilter(caps: readonly string[]) {
  const oci = dockerProfileToOci(loadDockerDefaultProfile(), { capabilities: caps, arch: 'amd64', kernelRelease: '6.18.44-fc' });
  assert.ok(oci);
  return { oci, compiled: compileSeccomp(oci, { nativeArch: 'SCMP_ARCH_X86_64' }) };
}

describe('seccomp: Docker profile to OCI', () => {
  it('keeps the amd64 archMap entry and resolves caps includes/excludes', () => {
    const { oci } = dockerFilter(DEFAULT_CAPABILITIES);
    assert.deepEqual(oci.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(oci.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(oci.defaultErrnoRet, 1);
    const names = new Set(oci.syscalls?.flatMap((s) => s.names));
    assert.ok(names.has('getpid') && names.has('arch_prctl') && names.has('ptrace') && !names.has('mount') && !names.has('kcmp'));
    const old = dockerProfileToOci(loadDockerDefaultProfile(), { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernelRelease: '4.4.0' });
    assert.ok(!old?.syscalls?.some((s) => s.names.includes('ptrace')), 'ptrace needs 4.8 without CAP_SYS_PTRACE');
    assert.ok(!names.has('s390_runtime_instr') && !names.has('arm_fadvise64_64'));
    const clone = oci.syscalls?.filter((s) => s.names.includes('clone'));
    assert.deepEqual(clone, [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    const clone3 = oci.syscalls?.filter((s) => s.names.includes('clone3'));
    assert.deepEqual(clone3, [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  it('adds the CAP_SYS_ADMIN rules and drops the clone restriction with it', () => {
    const { oci } = dockerFilter([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    const rules = oci.syscalls ?? [];
    assert.ok(rules.some((s) => s.names.includes('mount') && !s.args));
    assert.ok(!rules.some((s) => s.names.includes('clone') && s.args));
    assert.ok(!rules.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO'));
  });

  it('honours minKernel and arches, and rejects mixed forms as moby does', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO' as const,
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_ALLOW' as const, includes: { minKernel: '6.19' } },
        { names: ['b'], action: 'SCMP_ACT_ALLOW' as const, includes: { minKernel: '6.18' } },
        { names: ['c'], action: 'SCMP_ACT_ALLOW' as const, excludes: { minKernel: '5.0' } },
        { names: ['d'], action: 'SCMP_ACT_ALLOW' as const, includes: { arches: ['arm64'] } },
        { names: ['e'], action: 'SCMP_ACT_ALLOW' as const, excludes: { arches: ['amd64'] } },
        { name: 'f', action: 'SCMP_ACT_ALLOW' as const },
      ],
    };
    const oci = dockerProfileToOci(profile, { capabilities: [], arch: 'amd64', kernelRelease: '6.18.44' });
    assert.deepEqual(oci?.syscalls?.map((s) => s.names[0]), ['b', 'f']);
    assert.equal(dockerProfileToOci({}, { capabilities: [] }), undefined);
    assert.throws(
      () => dockerProfileToOci({ ...profile, syscalls: [{ name: 'x', names: ['y'], action: 'SCMP_ACT_ALLOW' }] }, { capabilities: [] }),
      (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument' && /both 'name' and 'names'/.test(e.message),
    );
  });
});

describe('seccomp: compiled Docker profile (BPF interpreter)', () => {
  const { compiled } = dockerFilter(DEFAULT_CAPABILITIES);
  const x64 = (name: string, args: Array<number | bigint> = []): number =>
    runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: nr(X64, name), args });

  it('fits the kernel limit, sets TSYNC, ends every path in a return', () => {
    assert.ok(compiled.length > 100 && compiled.length < 4096, `${compiled.length} instructions`);
    assert.equal(compiled.flags & 1, 1);
    assert.equal(decodeFilter(compiled.program).at(-1)?.code, 0x06);
  });

  it('allows ordinary syscalls and refuses privileged ones with EPERM', () => {
    for (const name of ['read', 'write', 'getpid', 'execve', 'openat', 'mmap', 'exit_group', 'arch_prctl', 'cachestat', 'mseal']) {
      assert.equal(x64(name), ALLOW, name);
    }
    for (const name of ['mount', 'unshare', 'setns', 'kcmp', 'bpf', 'reboot', 'init_module', 'keyctl', 'pivot_root', 'umount2']) {
      assert.equal(x64(name), EPERM, name);
    }
  });

  it('checks arguments: clone namespaces, personality, socket families', () => {
    assert.equal(x64('clone', [THREAD_FLAGS]), ALLOW);
    assert.equal(x64('clone', [0x11]), ALLOW);
    assert.equal(x64('clone', [CLONE_NEWNS | 0x11]), EPERM);
    assert.equal(x64('clone', [CLONE_NEWUSER]), EPERM);
    assert.equal(x64('clone', [0x1_0000_0011n]), ALLOW, 'high bits are outside the mask');
    assert.equal(x64('clone3'), ENOSYS);
    for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.equal(x64('personality', [p]), ALLOW, `personality ${p}`);
    for (const p of [1, 0x0400000, 0x1_0000_0000n, 0xffffffff_ffffffffn]) assert.equal(x64('personality', [p]), EPERM, `personality ${p}`);
    assert.equal(x64('socket', [2]), ALLOW);
    assert.equal(x64('socket', [37]), ALLOW);
    assert.equal(x64('socket', [38]), EPERM);
    assert.equal(x64('socket', [39]), ALLOW);
    assert.equal(x64('socket', [40]), EPERM);
    assert.equal(x64('socket', [41]), ALLOW);
    assert.equal(x64('socket', [0x1_0000_0000n]), ALLOW, 'GT compares all 64 bits');
  });

  it('returns ENOSYS above the largest known syscall, the default below it', () => {
    const max = Math.max(...Object.values(X64));
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: max + 1 }), ENOSYS);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: 1000 }), ENOSYS);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: 387 }), EPERM, 'a hole in the table');
  });

  it('covers the x32 ABI and i386, and kills foreign arches', () => {
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: nr(X32, 'getpid') }), ALLOW);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: nr(X32, 'mount') }), EPERM);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_X86_64, nr: nr(X32, 'rt_sigaction') }), ALLOW);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_I386, nr: nr(I386, 'getpid') }), ALLOW);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_I386, nr: nr(I386, 'mount') }), EPERM);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_I386, nr: nr(I386, 'socketcall') }), ALLOW);
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_I386, nr: nr(I386, 'personality'), args: [0x1_0000_0008n] }), ALLOW, 'i386 compares the low word only');
    assert.equal(runFilter(compiled.program, { arch: AUDIT_ARCH_AARCH64, nr: 172 }), SECCOMP_RET.KILL_THREAD);
  });

  it('allows what CAP_SYS_ADMIN brings when it is in the bounding set', () => {
    const admin = dockerFilter([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']).compiled;
    const run = (name: string, args: number[] = []) => runFilter(admin.program, { arch: AUDIT_ARCH_X86_64, nr: nr(X64, name), args });
    assert.equal(run('mount'), ALLOW);
    assert.equal(run('unshare'), ALLOW);
    assert.equal(run('clone', [CLONE_NEWNS]), ALLOW);
    assert.equal(run('clone3'), ALLOW);
    assert.equal(run('kcmp'), EPERM);
  });
});

describe('seccomp: compiler semantics', () => {
  const compile = (config: LinuxSeccomp) => compileSeccomp(config, { nativeArch: 'SCMP_ARCH_X86_64' });
  const run = (program: Buffer, name: string, args: Array<number | bigint> = []) =>
    runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: nr(X64, name), args });

  it('encodes every action', () => {
    const { program } = compile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mount'], action: 'SCMP_ACT_KILL' },
        { names: ['umount2'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['unshare'], action: 'SCMP_ACT_TRAP' },
        { names: ['setns'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['ptrace'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        { names: ['reboot'], action: 'SCMP_ACT_LOG' },
      ],
    });
    assert.equal(run(program, 'mount'), 0);
    assert.equal(run(program, 'umount2'), 0x80000000);
    assert.equal(run(program, 'unshare'), 0x00030000);
    assert.equal(run(program, 'setns'), 0x0005000d);
    assert.equal(run(program, 'ptrace'), 0x7ff00007);
    assert.equal(run(program, 'reboot'), 0x7ffc0000);
    assert.equal(run(program, 'getpid'), ALLOW);
    assert.equal(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 5000 }), ALLOW, 'no ENOSYS stub under an allow default');
    assert.equal(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 0x40000000 + 39 }), SECCOMP_RET.KILL_THREAD, 'x32 not in the filter');
    assert.equal(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 0xffffffff }), ALLOW, 'syscall -1 reaches the default');
  });

  it('ANDs comparisons on different arguments and ORs comparisons on the same one (runc)', () => {
    const { program } = compile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
        { names: ['dup'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    assert.equal(run(program, 'kill', [1, 9]), ALLOW);
    assert.equal(run(program, 'kill', [1, 15]), EPERM);
    assert.equal(run(program, 'kill', [2, 9]), EPERM);
    assert.equal(run(program, 'dup', [1]), ALLOW);
    assert.equal(run(program, 'dup', [2]), ALLOW);
    assert.equal(run(program, 'dup', [3]), EPERM);
  });

  it('tries conditional rules before the unconditional one, and skips rules equal to the default', () => {
    const { program } = compile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 25 },
        { names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x5401, op: 'SCMP_CMP_EQ' }] },
        { names: ['getpid'], action: 'SCMP_ACT_ERRNO' },
        { names: ['no_such_syscall'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
    assert.equal(run(program, 'ioctl', [0, 0x5401]), ALLOW);
    assert.equal(run(program, 'ioctl', [0, 0x5402]), 0x00050019);
    assert.equal(run(program, 'getpid'), EPERM);
    const { warnings } = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['no_such_syscall'], action: 'SCMP_ACT_ALLOW' }] });
    assert.ok(warnings.some((w) => w.includes('no_such_syscall')));
  });

  it('rejects what it cannot do', () => {
    const kind = (k: string) => (e: unknown) => e instanceof TdockError && e.kind === k;
    assert.throws(() => compile({ defaultAction: 'SCMP_ACT_NOTIFY' }), kind('not-implemented'));
    assert.throws(() => compile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_PDP11'] }), kind('invalid-argument'));
    assert.throws(() => compile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }), kind('invalid-argument'));
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, { nativeArch: 'SCMP_ARCH_S390X' }), kind('not-implemented'));
    assert.throws(
      () => compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }),
      kind('invalid-argument'),
    );
  });

  it('caches compiled programs by configuration', () => {
    const cache = new SeccompCache();
    const a = cache.compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] }, { nativeArch: 'SCMP_ARCH_X86_64' });
    const b = cache.compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] }, { nativeArch: 'SCMP_ARCH_X86_64' });
    const c = cache.compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['umount2'], action: 'SCMP_ACT_ERRNO' }] }, { nativeArch: 'SCMP_ARCH_X86_64' });
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal(cache.size, 2);
    assert.equal(run(c.program, 'umount2'), EPERM);
  });

  it('sets the flags the config names', () => {
    const { flags } = compile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
    assert.equal(flags, 1 | 2 | 4);
  });

  it('compares 64-bit arguments like libseccomp (property)', () => {
    const ops: SeccompOperator[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'];
    // Values near the 32-bit boundaries, where splitting into halves goes wrong first.
    const edge = fc.oneof(
      fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
      fc.constantFrom(0n, 1n, 0xffffffffn, 0x100000000n, 0x100000001n, 0xffffffff00000000n, 0xffffffffffffffffn),
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([h, l]) => (BigInt(h) << 32n) | BigInt(l)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...ops), fc.integer({ min: 0, max: 5 }), edge, edge, edge, (op, index, value, valueTwo, arg) => {
        const { program } = compile({
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index, value, valueTwo, op }] }],
        });
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[index] = arg;
        const want = {
          SCMP_CMP_EQ: arg === value,
          SCMP_CMP_NE: arg !== value,
          SCMP_CMP_LT: arg < value,
          SCMP_CMP_LE: arg <= value,
          SCMP_CMP_GT: arg > value,
          SCMP_CMP_GE: arg >= value,
          SCMP_CMP_MASKED_EQ: (arg & value) === valueTwo,
        }[op];
        assert.equal(run(program, 'read', args), want ? ALLOW : EPERM, `${op} arg=${arg} value=${value} valueTwo=${valueTwo}`);
      }),
      { numRuns: 400 },
    );
  });

  it('lays out far jumps through trampolines (many conditional rules)', () => {
    const syscalls = Object.keys(X64)
      .slice(0, 300)
      .map((name, i) => ({ names: [name], action: 'SCMP_ACT_ALLOW' as const, args: [{ index: 0, value: i, op: 'SCMP_CMP_EQ' as const }] }));
    const { program, length } = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls });
    assert.ok(length > 1000);
    for (const [i, { names }] of syscalls.entries()) {
      const name = names[0] as string;
      assert.equal(run(program, name, [i]), ALLOW, name);
      assert.equal(run(program, name, [i + 1]), EPERM, name);
    }
  });
});
