// A classic-BPF interpreter for seccomp filters, used by the seccomp tests to run a compiled
// program over many `struct seccomp_data` values. It accepts only what a seccomp filter may use
// and checks every jump, so a malformed program fails loudly.
import { BPF, decodeFilter, type SockFilter } from '../src/seccomp/index.js';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;

/** The input of one syscall as the kernel hands it to the filter. */
export interface SeccompData {
  nr: number;
  arch: number;
  args?: Array<bigint | number>;
}

function encode(data: SeccompData): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeUInt32LE(data.nr >>> 0, 0);
  buf.writeUInt32LE(data.arch >>> 0, 4);
  (data.args ?? []).forEach((a, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  return buf;
}

const decoded = new WeakMap<Buffer, SockFilter[]>();

/** Runs the filter; returns the 32-bit SECCOMP_RET_* value. */
export function runFilter(program: Buffer, data: SeccompData): number {
  let insns = decoded.get(program);
  if (!insns) decoded.set(program, (insns = decodeFilter(program)));
  const mem = encode(data);
  let a = 0;
  let pc = 0;
  for (let steps = 0; steps < 100000; steps++) {
    const insn = insns[pc];
    if (!insn) throw new Error(`pc ${pc} out of program (${insns.length})`);
    const jump = (cond: boolean): void => {
      pc += 1 + (cond ? insn.jt : insn.jf);
    };
    switch (insn.code) {
      case BPF.LD_W_ABS:
        if (insn.k % 4 !== 0 || insn.k + 4 > 64) throw new Error(`bad load offset ${insn.k}`);
        a = mem.readUInt32LE(insn.k);
        pc++;
        break;
      case BPF.ALU_AND_K:
        a = (a & insn.k) >>> 0;
        pc++;
        break;
      case BPF.JA:
        pc += 1 + insn.k;
        break;
      case BPF.JEQ_K:
        jump(a === insn.k);
        break;
      case BPF.JGT_K:
        jump(a > insn.k);
        break;
      case BPF.JGE_K:
        jump(a >= insn.k);
        break;
      case BPF.JSET_K:
        jump((a & insn.k) !== 0);
        break;
      case BPF.RET_K:
        return insn.k >>> 0;
      default:
        throw new Error(`unexpected opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('filter did not return');
}
