// OCI `linux.seccomp` -> classic BPF, with the semantics runc gets from libseccomp plus its
// -ENOSYS stub (libcontainer/seccomp/patchbpf). Layout:
//   load arch; one `jeq` per audit token; otherwise the bad-arch action (KILL_THREAD, libseccomp's
//   default). Per arch: load nr; the -ENOSYS stub (numbers above the largest the profile names);
//   the x32/x86_64 split; a binary search over syscall numbers; per-syscall argument checks.
import { TdockError } from '@tdock/core';
import { SECCOMP_ARCHES, nativeSeccompArch, type SeccompArch } from './arch.js';
import { Assembler, BPF, BPF_MAXINSNS, type Label } from './bpf.js';
import { OFF_ARCH, SECCOMP_RET, emitArch, type Cond, type Mode, type SyscallRules } from './emit.js';
import type { LinuxSeccomp, SeccompAction, SeccompArg } from './types.js';

export { SECCOMP_RET } from './emit.js';

/** `SECCOMP_FILTER_FLAG_*` bits. */
export const SECCOMP_FILTER_FLAG: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

const EPERM = 1;

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
  // Names no table knows at all; a name missing only on this filter's arches (open on aarch64) is normal.
  const tables = Object.values(SECCOMP_ARCHES).flatMap((a) => (a.syscalls ? [a.syscalls] : []));
  for (const name of new Set((config.syscalls ?? []).flatMap((c) => c.names))) {
    if (!tables.some((t) => t[name] !== undefined)) warnings.push(`unknown syscall ${name} ignored`);
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


/**
 * Memoises {@link compileSeccomp} by configuration, for a long-lived caller that starts many
 * containers with the same profile (compiling Docker's profile costs a few milliseconds; a hit
 * costs a JSON.stringify). Entries are never evicted: callers see few distinct profiles. Results
 * are shared: do not modify the returned program Buffer.
 */
export class SeccompCache {
  private readonly entries = new Map<string, CompiledSeccomp>();

  compile(config: LinuxSeccomp, opts: CompileSeccompOptions = {}): CompiledSeccomp {
    const key = `${opts.nativeArch ?? ''}\n${JSON.stringify(config)}`;
    let hit = this.entries.get(key);
    if (!hit) this.entries.set(key, (hit = compileSeccomp(config, opts)));
    return hit;
  }

  get size(): number {
    return this.entries.size;
  }
}
