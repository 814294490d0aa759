// OCI `linux.seccomp` -> classic BPF, with the semantics runc gets from libseccomp plus its
// -ENOSYS stub (libcontainer/seccomp/patchbpf). Layout:
//   load arch; one `jeq` per audit token; otherwise the bad-arch action (KILL_THREAD, libseccomp's
//   default). Per arch: load nr; the -ENOSYS stub (numbers above the largest the profile names);
//   the x32/x86_64 split; a binary search over syscall numbers; per-syscall argument checks.
import { TdockError } from '@tdock/core';
import { SECCOMP_ARCHES, X32_SYSCALL_BIT, nativeSeccompArch, type SeccompArch } from './arch.js';
import { Assembler, BPF, BPF_MAXINSNS, type Label } from './bpf.js';
import type { LinuxSeccomp, SeccompAction, SeccompArg } from './types.js';

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

/** `SECCOMP_FILTER_FLAG_*` bits. */
export const SECCOMP_FILTER_FLAG: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

const EPERM = 1;
const ENOSYS = 38;
/** Offsets in `struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }`. */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number): number => 16 + 8 * i;
const argHi = (i: number): number => 16 + 8 * i + 4;

/** The result of {@link compileSeccomp}: what the init passes to `seccomp(2)`. */
export interface CompiledSeccomp {
  /** `struct sock_filter[]`, 8 bytes per instruction; `sock_fprog.len` is `program.length / 8`. */
  program: Buffer;
  /** Instruction count (`sock_fprog.len`). */
  length: number;
  /** Flags for `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)`: TSYNC always, plus the config's. */
  flags: number;
  /** Things ignored on purpose: syscall names no table knows, listed arches without a table. */
  warnings: string[];
}

/** Options of {@link compileSeccomp}. */
export interface CompileSeccompOptions {
  /** The native `SCMP_ARCH_*`; defaults to the one for `process.arch`. Always part of the filter. */
  nativeArch?: string;
}

/** The `SECCOMP_RET_*` value of an OCI action (runc defaults errno to EPERM for ERRNO and TRACE). */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  const data = (errnoRet ?? EPERM) & 0xffff;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_NOTIFY':
      throw new TdockError('not-implemented', 'seccomp: SCMP_ACT_NOTIFY is not supported');
    default:
      throw new TdockError('invalid-argument', `seccomp: invalid action ${String(action)}`);
  }
}

interface Cond {
  index: number;
  op: SeccompArg['op'];
  value: bigint;
  valueTwo: bigint;
}
interface Rule {
  conds: Cond[];
  ret: number;
}
interface SyscallRules {
  conditional: Rule[];
  unconditional?: number;
}
interface Mode {
  arch: SeccompArch;
  rules: Map<number, SyscallRules>;
  /** Largest syscall number the config names for this arch (for the -ENOSYS stub). */
  max: number;
}

function u64(v: number | bigint | string | undefined, what: string): bigint {
  let b: bigint;
  try {
    b = BigInt(v ?? 0);
  } catch (cause) {
    throw new TdockError('invalid-argument', `seccomp: ${what} is not an integer: ${String(v)}`, { cause });
  }
  if (b < 0n || b > 0xffffffffffffffffn) throw new TdockError('invalid-argument', `seccomp: ${what} out of range: ${b}`);
  return b;
}

function toConds(args: SeccompArg[], name: string): Cond[] {
  return args.map((a) => {
    if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) {
      throw new TdockError('invalid-argument', `seccomp: ${name}: argument index ${a.index} out of range`);
    }
    return { index: a.index, op: a.op, value: u64(a.value, `${name} value`), valueTwo: u64(a.valueTwo, `${name} valueTwo`) };
  });
}

function buildMode(arch: SeccompArch, config: LinuxSeccomp, defaultRet: number, warnings: string[]): Mode {
  const table = arch.syscalls ?? {};
  const rules = new Map<number, SyscallRules>();
  let max = -1;
  for (const call of config.syscalls ?? []) {
    const ret = actionValue(call.action, call.errnoRet);
    const conds = toConds(call.args ?? [], call.names.join(','));
    for (const name of call.names) {
      const nr = table[name];
      if (nr === undefined) continue;
      max = Math.max(max, nr);
      if (ret === defaultRet) continue; // redundant, as runc skips it
      const entry = rules.get(nr) ?? { conditional: [] };
      rules.set(nr, entry);
      if (conds.length === 0) {
        if (entry.unconditional === undefined) entry.unconditional = ret;
        else if (entry.unconditional !== ret) warnings.push(`${arch.name}: ${name}: conflicting unconditional rules, first kept`);
        continue;
      }
      // Two comparisons on the same argument cannot both hold as an AND: runc adds them as
      // separate rules (OR), and so do we.
      const indexes = conds.map((c) => c.index);
      if (new Set(indexes).size !== indexes.length) for (const c of conds) entry.conditional.push({ conds: [c], ret });
      else entry.conditional.push({ conds, ret });
    }
  }
  return { arch, rules, max };
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

/**
 * Compiles an OCI `linux.seccomp` object to a classic BPF program for `seccomp(2)`.
 * Semantics follow runc + libseccomp: rules whose action equals the default are dropped; names
 * unknown for an arch are skipped; conditional rules of a syscall are tried in order, then its
 * unconditional rule, then the default action; arches not in the filter get KILL_THREAD; when the
 * default action is not allow-like, numbers above the largest one the profile names return ENOSYS.
 * @throws TdockError invalid-argument for malformed input, not-implemented for SCMP_ACT_NOTIFY or
 *   an unsupported native arch.
 */
export function compileSeccomp(config: LinuxSeccomp, opts: CompileSeccompOptions = {}): CompiledSeccomp {
  const warnings: string[] = [];
  const defaultRet = actionValue(config.defaultAction, config.defaultErrnoRet);
  const native = opts.nativeArch ?? nativeSeccompArch();
  if (!native || !SECCOMP_ARCHES[native]?.syscalls) {
    throw new TdockError('not-implemented', `seccomp: no syscall table for native architecture ${native ?? process.arch}`);
  }
  let flags = SECCOMP_FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC;
  for (const f of config.flags ?? []) {
    const bit = SECCOMP_FILTER_FLAG[f];
    if (bit === undefined) throw new TdockError('invalid-argument', `seccomp flag ${f} is not known`);
    flags |= bit;
  }
  for (const call of config.syscalls ?? []) actionValue(call.action, call.errnoRet);

  // Arches grouped by audit token (x86_64 and x32 share one); arches without a table get the default action.
  const groups = new Map<number, Mode[]>();
  const tableless = new Set<number>();
  for (const name of new Set([native, ...(config.architectures ?? [])])) {
    const arch = SECCOMP_ARCHES[name];
    if (!arch) throw new TdockError('invalid-argument', `seccomp: unknown architecture ${name}`);
    if (!arch.syscalls) {
      warnings.push(`${name}: no syscall table; its syscalls get the default action`);
      tableless.add(arch.audit);
      continue;
    }
    const modes = groups.get(arch.audit) ?? [];
    modes.push(buildMode(arch, config, defaultRet, warnings));
    groups.set(arch.audit, modes);
  }
  const modes = [...groups.values()].flat();
  for (const name of new Set((config.syscalls ?? []).flatMap((c) => c.names))) {
    if (!modes.some((m) => m.arch.syscalls?.[name] !== undefined)) warnings.push(`unknown syscall ${name} ignored`);
  }

  const asm = new Assembler();
  const rets = new Map<number, Label>();
  const retLabel = (v: number): Label => {
    let l = rets.get(v);
    if (!l) rets.set(v, (l = asm.label()));
    return l;
  };
  const badArch = retLabel(SECCOMP_RET.KILL_THREAD);
  const defaultL = retLabel(defaultRet);
  const stub = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(config.defaultAction);

  asm.load(OFF_ARCH);
  const entries: Array<[number, Mode[]]> = [...groups];
  const groupLabels = entries.map(() => asm.label());
  entries.forEach(([audit], i) => {
    const next = asm.label();
    asm.jump(BPF.JEQ_K, audit, groupLabels[i] as Label, next);
    asm.place(next);
  });
  for (const audit of tableless) {
    if (groups.has(audit)) continue;
    const next = asm.label();
    asm.jump(BPF.JEQ_K, audit, defaultL, next);
    asm.place(next);
  }
  asm.goto(badArch);
  entries.forEach(([, modes], i) => {
    asm.place(groupLabels[i] as Label);
    emitArch(asm, modes, stub, retLabel, defaultRet, defaultL, badArch);
  });
  for (const [v, l] of rets) {
    asm.place(l);
    asm.ret(v);
  }
  const program = asm.assemble();
  const length = program.length / 8;
  if (length > BPF_MAXINSNS) throw new TdockError('invalid-argument', `seccomp: filter too long (${length} instructions)`);
  return { program, length, flags, warnings };
}

function emitArch(
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
