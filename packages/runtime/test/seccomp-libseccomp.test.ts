// Differential check: Docker's profile compiled by tdock and by libseccomp (through Debian's
// python3-seccomp, the way runc adds the rules) must decide every syscall the same way, except
// where runc's -ENOSYS stub or a syscall newer than the installed libseccomp explains it.
// Skipped when python3-seccomp is not installed (`apt-get install python3-seccomp`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CAPABILITIES } from '../src/caps/index.js';
import { SECCOMP_ARCHES, compileSeccomp, dockerProfileToOci, loadDockerDefaultProfile } from '../src/seccomp/index.js';
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runFilter } from './seccomp-vm.js';

const PYTHON = '/usr/bin/python3';
const GENERATE = `
import json, sys, seccomp
OPS = {'SCMP_CMP_EQ': seccomp.EQ, 'SCMP_CMP_NE': seccomp.NE, 'SCMP_CMP_LT': seccomp.LT, 'SCMP_CMP_LE': seccomp.LE,
       'SCMP_CMP_GT': seccomp.GT, 'SCMP_CMP_GE': seccomp.GE, 'SCMP_CMP_MASKED_EQ': seccomp.MASKED_EQ}
def act(a, e):
    if a == 'SCMP_ACT_ALLOW': return seccomp.ALLOW
    if a == 'SCMP_ACT_ERRNO': return seccomp.ERRNO(1 if e is None else e)
    raise Exception(a)
oci = json.load(open(sys.argv[1]))
d = act(oci['defaultAction'], oci.get('defaultErrnoRet'))
f = seccomp.SyscallFilter(defaction=d)
if sys.argv[3] == 'aarch64':
    f.add_arch(seccomp.Arch.AARCH64)
    f.remove_arch(seccomp.Arch.NATIVE)
else:
    f.add_arch(seccomp.Arch.X86)
    f.add_arch(seccomp.Arch.X32)
skipped = set()
for r in oci['syscalls']:
    ra = act(r['action'], r.get('errnoRet'))
    if ra == d: continue
    args = r.get('args') or []
    conds = [seccomp.Arg(x['index'], OPS[x['op']], x['value'], x.get('valueTwo', 0)) for x in args]
    split = len(set(x['index'] for x in args)) != len(args)
    for n in r['names']:
        try:
            if split:
                for c in conds: f.add_rule(ra, n, c)
            else:
                f.add_rule(ra, n, *conds)
        except Exception:
            skipped.add(n)
with open(sys.argv[2], 'wb') as out:
    f.export_bpf(out)
print(json.dumps(sorted(skipped)))
`;

function havePythonSeccomp(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import seccomp'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('seccomp: tdock vs libseccomp on the same profile', function () {
  let dir: string;
  before(function () {
    if (process.arch !== 'x64' || !havePythonSeccomp()) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-seccomp-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[label: string, arch: 'amd64' | 'arm64', caps: string[]]> = [
    ['amd64, default capabilities', 'amd64', [...DEFAULT_CAPABILITIES]],
    ['amd64, with CAP_SYS_ADMIN and CAP_SYS_PTRACE', 'amd64', [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']],
    ['arm64 (aarch64 ABI only), default capabilities', 'arm64', [...DEFAULT_CAPABILITIES]],
  ];
  for (const [label, profileArch, caps] of cases) {
    it(`decides like libseccomp: ${label}`, () => {
      const oci = dockerProfileToOci(loadDockerDefaultProfile(), { capabilities: caps, arch: profileArch, kernelRelease: '6.18' });
      assert.ok(oci);
      const ociFile = path.join(dir, 'profile.json');
      const libFile = path.join(dir, 'libseccomp.bpf');
      fs.writeFileSync(ociFile, JSON.stringify(oci));
      const abi = profileArch === 'arm64' ? 'aarch64' : 'x86';
      const skipped = new Set(JSON.parse(execFileSync(PYTHON, ['-c', GENERATE, ociFile, libFile, abi], { encoding: 'utf8' })) as string[]);
      const lib = fs.readFileSync(libFile);
      const mine = compileSeccomp(oci, { nativeArch: profileArch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64' }).program;
      // On arm64 only the aarch64 ABI is compared: tdock has no 32-bit ARM table (default action),
      // while the libseccomp filter here has no ARM arch at all (bad-arch action).
      const arches: Array<[string, number, number, Readonly<Record<string, number>>]> =
        abi === 'aarch64'
          ? [['aarch64', AUDIT_ARCH_AARCH64, 0, SECCOMP_ARCHES.SCMP_ARCH_AARCH64?.syscalls ?? {}]]
          : [
              ['x86_64', AUDIT_ARCH_X86_64, 0, SECCOMP_ARCHES.SCMP_ARCH_X86_64?.syscalls ?? {}],
              ['i386', AUDIT_ARCH_I386, 0, SECCOMP_ARCHES.SCMP_ARCH_X86?.syscalls ?? {}],
              ['x32', AUDIT_ARCH_X86_64, 0x40000000, SECCOMP_ARCHES.SCMP_ARCH_X32?.syscalls ?? {}],
              ['aarch64', AUDIT_ARCH_AARCH64, 0, {}],
            ];
      const argSets: Array<Array<number | bigint>> = [[0], [8], [0xffffffff], [0x100000008n], [38], [39], [40], [41], [0x11], [0x20000], [0x7e020000], [0x1_0000_0011n]];
      const diffs: string[] = [];
      for (const [arch, audit, bit, table] of arches) {
        const names = new Map(Object.entries(table).map(([k, v]) => [v, k]));
        for (let nr = 0; nr < 600; nr++) {
          const name = names.get(nr + bit) ?? '';
          for (const args of argSets) {
            const data = { arch: audit, nr: nr + bit, args };
            const a = runFilter(mine, data);
            const b = runFilter(lib, data);
            if (a === b) continue;
            if (a === 0x50026 && b === 0x50001) continue; // runc's ENOSYS stub above the profile's largest number
            if (skipped.has(name)) continue; // newer than the installed libseccomp
            if (arch === 'i386' && nr === 453) continue; // libseccomp 2.5 lists map_shadow_stack on i386; the kernel has no 453 there
            diffs.push(`${arch} ${nr} ${name} args=${args.join(',')}: tdock ${a.toString(16)}, libseccomp ${b.toString(16)}`);
          }
        }
      }
      assert.deepEqual(diffs.slice(0, 20), []);
    });
  }
});
