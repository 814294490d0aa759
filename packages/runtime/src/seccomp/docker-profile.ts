// Docker's profile format to OCI `linux.seccomp`, as moby/profiles/seccomp `setupSeccomp` does:
// pick the native arch's archMap entry, then keep a rule only when its includes hold and its
// excludes do not, for the container's bounding capabilities, the arch and the kernel version.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { TdockError } from '@tdock/core';
import type { DockerSeccompProfile, LinuxSeccomp, SeccompSyscall } from './types.js';

/** libseccomp's arch name (as Docker's `includes.arches` spells it) -> OCI `SCMP_ARCH_*`. */
const NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** Node's `process.arch` -> libseccomp's arch name (moby's goToNative, keyed by Node's names). */
const NODE_TO_NATIVE: Readonly<Record<string, string>> = {
  ia32: 'x86',
  x64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips: 'mipsle',
  mipsel: 'mipsle',
  ppc: 'ppc',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** Options of {@link dockerProfileToOci}. */
export interface DockerProfileOptions {
  /** The container's bounding set (`process.capabilities.bounding`), `CAP_` names. */
  capabilities: readonly string[];
  /** libseccomp's arch name (`amd64`, `arm64`); defaults to the one for `process.arch`. */
  arch?: string;
  /** The kernel release (`uname -r`); defaults to `os.release()`. */
  kernelRelease?: string;
}

/** The libseccomp arch name (`amd64`, `arm64`...) for a Node `process.arch` value. */
export function nativeArchName(nodeArch: string = process.arch): string {
  const arch = NODE_TO_NATIVE[nodeArch];
  if (!arch) throw new TdockError('not-implemented', `seccomp: unsupported architecture ${nodeArch}`);
  return arch;
}

function parseVersion(text: string, what: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (!m) throw new TdockError('invalid-argument', `failed to parse ${what} version "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

function kernelAtLeast(kernel: [number, number], min: string): boolean {
  const [maj, minor] = parseVersion(min, 'minKernel');
  return kernel[0] > maj || (kernel[0] === maj && kernel[1] >= minor);
}

/**
 * Converts Docker's profile format to OCI `linux.seccomp` for one container (moby
 * `setupSeccomp`). Returns undefined for a profile with neither a default action nor rules
 * (Docker treats that as unconfined).
 * @throws TdockError invalid-argument for the profile mistakes moby rejects.
 */
export function dockerProfileToOci(profile: DockerSeccompProfile, opts: DockerProfileOptions): LinuxSeccomp | undefined {
  if (!profile.defaultAction && (profile.syscalls ?? []).length === 0) return undefined;
  if ((profile.architectures ?? []).length > 0 && (profile.archMap ?? []).length > 0) {
    throw new TdockError(
      'invalid-argument',
      "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
  }
  const arch = opts.arch ?? nativeArchName();
  const kernel = parseVersion(opts.kernelRelease ?? release(), 'kernel');
  const caps = opts.capabilities;
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction ?? 'SCMP_ACT_ALLOW' };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures = [...(profile.architectures ?? [])];
  const seccompArch = NATIVE_TO_SECCOMP[arch];
  const entry = (profile.archMap ?? []).find((a) => a.architecture === seccompArch);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  if (architectures.length > 0) out.architectures = architectures;
  if (profile.flags) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const syscalls: SeccompSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    let names = call.names ?? [];
    if (call.name) {
      if (names.length > 0) {
        throw new TdockError('invalid-argument', "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
      }
      names = [call.name];
    }
    const ex = call.excludes;
    if (ex) {
      if (ex.arches?.includes(arch)) continue;
      if (ex.caps?.some((c) => caps.includes(c))) continue;
      if (ex.minKernel && kernelAtLeast(kernel, ex.minKernel)) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(arch)) continue;
      if (inc.caps?.some((c) => !caps.includes(c))) continue;
      if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) continue;
    }
    if (!call.action) throw new TdockError('invalid-argument', `seccomp rule for ${names.join(',')} has no action`);
    const rule: SeccompSyscall = { names: [...names], action: call.action };
    if (call.errnoRet !== undefined) rule.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) rule.args = call.args.map((a) => ({ ...a }));
    syscalls.push(rule);
  }
  out.syscalls = syscalls;
  return out;
}

/** The path of Docker's default profile shipped in this package (`assets/seccomp/default.json`). */
export function dockerDefaultProfilePath(): string {
  return new URL('../../../assets/seccomp/default.json', import.meta.url).pathname;
}

/** Reads and parses Docker's default profile from the package's assets (sync: the init may call it). */
export function loadDockerDefaultProfile(path: string = dockerDefaultProfilePath()): DockerSeccompProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as DockerSeccompProfile;
}
