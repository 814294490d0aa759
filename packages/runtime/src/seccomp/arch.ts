// The architectures the seccomp compiler knows: AUDIT_ARCH_* tokens (linux/audit.h) and the
// committed syscall tables (generated once by scripts/gen-syscall-table.mjs).
import { SYSCALLS_AARCH64, SYSCALLS_X32, SYSCALLS_X86, SYSCALLS_X86_64 } from './syscall-table.js';

/** x32 syscalls arrive as AUDIT_ARCH_X86_64 with this bit set in the number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** One architecture a filter can cover. */
export interface SeccompArch {
  /** The OCI name, `SCMP_ARCH_X86_64`. */
  name: string;
  /** `seccomp_data.arch` for this ABI. */
  audit: number;
  /** Syscall name -> number; undefined when no table was generated for it. */
  syscalls: Readonly<Record<string, number>> | undefined;
  /** 64 when arguments are compared as two 32-bit halves, 32 when only the low half counts (libseccomp). */
  argBits: 32 | 64;
}

const AUDIT_ARCH_64BIT = 0x80000000;
const AUDIT_ARCH_LE = 0x40000000;

/** Every `SCMP_ARCH_*` the runtime spec names, with its audit token. */
export const SECCOMP_ARCHES: Readonly<Record<string, SeccompArch>> = Object.fromEntries(
  (
    [
      ['SCMP_ARCH_X86', 3 | AUDIT_ARCH_LE, SYSCALLS_X86, 32],
      ['SCMP_ARCH_X86_64', 62 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, SYSCALLS_X86_64, 64],
      ['SCMP_ARCH_X32', 62 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, SYSCALLS_X32, 32],
      ['SCMP_ARCH_ARM', 40 | AUDIT_ARCH_LE, undefined, 32],
      ['SCMP_ARCH_AARCH64', 183 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, SYSCALLS_AARCH64, 64],
      ['SCMP_ARCH_MIPS', 8, undefined, 32],
      ['SCMP_ARCH_MIPS64', 8 | AUDIT_ARCH_64BIT, undefined, 64],
      ['SCMP_ARCH_MIPS64N32', 8 | AUDIT_ARCH_64BIT | 0x20000000, undefined, 32],
      ['SCMP_ARCH_MIPSEL', 8 | AUDIT_ARCH_LE, undefined, 32],
      ['SCMP_ARCH_MIPSEL64', 8 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, undefined, 64],
      ['SCMP_ARCH_MIPSEL64N32', 8 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE | 0x20000000, undefined, 32],
      ['SCMP_ARCH_PPC', 20, undefined, 32],
      ['SCMP_ARCH_PPC64', 21 | AUDIT_ARCH_64BIT, undefined, 64],
      ['SCMP_ARCH_PPC64LE', 21 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, undefined, 64],
      ['SCMP_ARCH_S390', 22, undefined, 32],
      ['SCMP_ARCH_S390X', 22 | AUDIT_ARCH_64BIT, undefined, 64],
      ['SCMP_ARCH_RISCV64', 243 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, undefined, 64],
      ['SCMP_ARCH_LOONGARCH64', 258 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE, undefined, 64],
    ] as const
  ).map(([name, audit, syscalls, argBits]) => [name, { name, audit: audit >>> 0, syscalls, argBits }]),
);

/** The OCI arch name of the machine Node runs on (`SCMP_ARCH_X86_64` for x64). */
export function nativeSeccompArch(nodeArch: string = process.arch): string | undefined {
  return ({ x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', ia32: 'SCMP_ARCH_X86' } as Record<string, string>)[nodeArch];
}
