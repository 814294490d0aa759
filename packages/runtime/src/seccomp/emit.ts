// Code generation for the seccomp compiler: per-arch dispatch, argument comparisons, returns.
import { TdockError } from '@tdock/core';
import { X32_SYSCALL_BIT, type SeccompArch } from './arch.js';
import { Assembler, BPF, type Label } from './bpf.js';
import type { SeccompArg } from './types.js';

/** `SECCOMP_RET_*` values. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const ENOSYS = 38;
/** Offsets in `struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }`. */
export const OFF_NR = 0;
export const OFF_ARCH = 4;
const argLo = (i: number): number => 16 + 8 * i;
const argHi = (i: number): number => 16 + 8 * i + 4;

/** One argument comparison with its values parsed (internal to the compiler). */
export interface Cond {
  index: number;
  op: SeccompArg['op'];
  value: bigint;
  valueTwo: bigint;
}
/** Comparisons that must all hold for `ret` (a SECCOMP_RET value). */
export interface Rule {
  conds: Cond[];
  ret: number;
}
/** Everything one syscall number gets: conditional rules in order, then an unconditional one. */
export interface SyscallRules {
  conditional: Rule[];
  unconditional?: number;
}
/** One ABI of the filter (x86_64, x32, i386...) with its rules by syscall number. */
export interface Mode {
  arch: SeccompArch;
  rules: Map<number, SyscallRules>;
  /** Largest syscall number the config names for this arch (for the -ENOSYS stub). */
  max: number;
}

/** Emits the checks for one comparison: falls to `pass` when it holds, jumps to `fail` when not. */
function emitCond(asm: Assembler, c: Cond, argBits: 32 | 64, pass: Label, fail: Label): void {
  const lo = Number(c.value & 0xffffffffn);
  const hi = Number(c.value >> 32n);
  const mlo = Number(c.valueTwo & 0xffffffffn);
  const mhi = Number(c.valueTwo >> 32n);
  const next = (): Label => asm.label();
  const wide = argBits === 64;
  switch (c.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE':
    case 'SCMP_CMP_MASKED_EQ': {
      const [yes, no] = c.op === 'SCMP_CMP_NE' ? [fail, pass] : [pass, fail];
      const masked = c.op === 'SCMP_CMP_MASKED_EQ';
      if (wide) {
        const l = next();
        asm.load(argHi(c.index));
        if (masked) asm.and(hi);
        asm.jump(BPF.JEQ_K, masked ? mhi : hi, l, no);
        asm.place(l);
      }
      asm.load(argLo(c.index));
      if (masked) asm.and(lo);
      asm.jump(BPF.JEQ_K, masked ? mlo : lo, yes, no);
      return;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // libseccomp's diagrams: decide on the high word, compare the low word only when equal.
      const greater = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE';
      const [above, below] = greater ? [pass, fail] : [fail, pass];
      if (wide) {
        const eqCheck = next();
        const lowCheck = next();
        asm.load(argHi(c.index));
        asm.jump(BPF.JGT_K, hi, above, eqCheck);
        asm.place(eqCheck);
        asm.jump(BPF.JEQ_K, hi, lowCheck, below);
        asm.place(lowCheck);
      }
      asm.load(argLo(c.index));
      const strictAbove = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE';
      asm.jump(strictAbove ? BPF.JGT_K : BPF.JGE_K, lo, above, below);
      return;
    }
    default:
      throw new TdockError('invalid-argument', `seccomp: invalid operator ${String(c.op)}`);
  }
}

export function emitArch(
  asm: Assembler,
  modes: Mode[],
  stub: boolean,
  retLabel: (v: number) => Label,
  defaultRet: number,
  defaultL: Label,
  badArch: Label,
): void {
  asm.load(OFF_NR);
  const dispatch = asm.label();
  const isX32 = (m: Mode): boolean => m.arch.name === 'SCMP_ARCH_X32';
  const isX64 = (m: Mode): boolean => m.arch.name === 'SCMP_ARCH_X86_64';
  if (stub) {
    const enosys = retLabel((SECCOMP_RET.ERRNO | ENOSYS) >>> 0);
    for (const m of modes) {
      if (m.max < 0) continue;
      const check = asm.label();
      const next = asm.label();
      if (isX64(m)) asm.jump(BPF.JSET_K, X32_SYSCALL_BIT, next, check);
      if (isX32(m)) asm.jump(BPF.JSET_K, X32_SYSCALL_BIT, check, next);
      asm.place(check);
      asm.jump(BPF.JGT_K, m.max, enosys, dispatch);
      asm.place(next);
    }
  }
  asm.place(dispatch);
  const tree = asm.label();
  if (modes.length === 1 && isX64(modes[0] as Mode)) {
    // x86_64 without x32: x32 numbers are a foreign ABI, except -1 (a tracer skipping the call).
    const minusOne = asm.label();
    asm.jump(BPF.JGE_K, X32_SYSCALL_BIT, minusOne, tree);
    asm.place(minusOne);
    asm.jump(BPF.JEQ_K, 0xffffffff, defaultL, badArch);
  } else if (modes.length === 1 && isX32(modes[0] as Mode)) {
    asm.jump(BPF.JGE_K, X32_SYSCALL_BIT, tree, badArch);
  }
  asm.place(tree);

  const blocks: Array<{ label: Label; mode: Mode; rules: SyscallRules }> = [];
  const targets: Target[] = [];
  for (const mode of modes) {
    for (const [nr, rules] of mode.rules) {
      if (rules.conditional.length === 0) {
        targets.push({ nr, ret: rules.unconditional as number });
        continue;
      }
      const label = asm.label();
      blocks.push({ label, mode, rules });
      targets.push({ nr, block: label });
    }
  }
  targets.sort((a, b) => a.nr - b.nr);
  emitTree(asm, targets, defaultRet);
  for (const { label, mode, rules } of blocks) {
    asm.place(label);
    const rets = new RetScope(asm);
    for (const rule of rules.conditional) {
      const nextRule = asm.label();
      rule.conds.forEach((c, i) => {
        const last = i === rule.conds.length - 1;
        const pass = last ? rets.get(rule.ret) : asm.label();
        emitCond(asm, c, mode.arch.argBits, pass, nextRule);
        if (!last) asm.place(pass);
      });
      asm.place(nextRule);
    }
    asm.ret(rules.unconditional ?? defaultRet);
    rets.flush();
  }
}

/** A syscall number and where it goes: straight to a return value, or to its argument checks. */
type Target = { nr: number; ret: number; block?: undefined } | { nr: number; block: Label; ret?: undefined };

/** Return instructions placed right after the code that uses them, so jumps to them stay short. */
class RetScope {
  private readonly labels = new Map<number, Label>();
  constructor(private readonly asm: Assembler) {}

  get(value: number): Label {
    let l = this.labels.get(value);
    if (!l) this.labels.set(value, (l = this.asm.label()));
    return l;
  }

  flush(): void {
    for (const [value, label] of this.labels) {
      this.asm.place(label);
      this.asm.ret(value);
    }
  }
}

/** A binary search over sorted syscall numbers, linear in leaves of up to eight. */
function emitTree(asm: Assembler, targets: Target[], defaultRet: number): void {
  if (targets.length <= 8) {
    const rets = new RetScope(asm);
    for (const t of targets) {
      const next = asm.label();
      asm.jump(BPF.JEQ_K, t.nr, t.block ?? rets.get(t.ret as number), next);
      asm.place(next);
    }
    asm.ret(defaultRet);
    rets.flush();
    return;
  }
  const mid = targets.length >> 1;
  const left = asm.label();
  const right = asm.label();
  asm.jump(BPF.JGE_K, (targets[mid] as Target).nr, right, left);
  asm.place(left);
  emitTree(asm, targets.slice(0, mid), defaultRet);
  asm.place(right);
  emitTree(asm, targets.slice(mid), defaultRet);
}
