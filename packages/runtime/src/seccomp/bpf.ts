// A tiny classic-BPF assembler for seccomp filters: instructions with symbolic forward jump
// targets, laid out with trampolines where a conditional jump is longer than its 8-bit offset.

/** Opcodes used by the seccomp compiler (linux/bpf_common.h). */
export const BPF = {
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS
  ALU_AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  JA: 0x05, // BPF_JMP | BPF_JA
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JGT_K: 0x25, // BPF_JMP | BPF_JGT | BPF_K
  JGE_K: 0x35, // BPF_JMP | BPF_JGE | BPF_K
  JSET_K: 0x45, // BPF_JMP | BPF_JSET | BPF_K
  RET_K: 0x06, // BPF_RET | BPF_K
} as const;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** One decoded `struct sock_filter`. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: a label created by {@link Assembler.label}. */
export type Label = { readonly id: number };

/**
 * One program item, kept monomorphic for speed: a label (`label >= 0`, no instruction) or an
 * instruction whose jump targets are label ids (`-1` = none; `ja` set only on BPF_JA).
 */
interface Item {
  label: number;
  code: number;
  k: number;
  jt: number;
  jf: number;
  ja: number;
}

/** Builds a program; every jump goes forward to a label placed later with {@link place}. */
export class Assembler {
  private readonly items: Item[] = [];
  private nextId = 0;

  label(): Label {
    return { id: this.nextId++ };
  }

  place(label: Label): void {
    this.items.push({ label: label.id, code: 0, k: 0, jt: -1, jf: -1, ja: -1 });
  }

  private insn(code: number, k: number, jt = -1, jf = -1, ja = -1): void {
    this.items.push({ label: -1, code, k: k >>> 0, jt, jf, ja });
  }

  /** `A = seccomp_data[offset]` (32-bit load). */
  load(offset: number): void {
    this.insn(BPF.LD_W_ABS, offset);
  }

  and(k: number): void {
    this.insn(BPF.ALU_AND_K, k);
  }

  /** A conditional jump (`JEQ_K`, `JGT_K`, `JGE_K`, `JSET_K`) to `jt` when true, `jf` when false. */
  jump(code: number, k: number, jt: Label, jf: Label): void {
    this.insn(code, k, jt.id, jf.id);
  }

  goto(target: Label): void {
    this.insn(BPF.JA, 0, -1, -1, target.id);
  }

  ret(k: number): void {
    this.insn(BPF.RET_K, k);
  }

  /** Lays the program out and encodes it as `struct sock_filter[]` (8 bytes each, little-endian). */
  assemble(): Buffer {
    const items = this.relax();
    const pos = this.positions(items);
    const count = items.reduce((n, i) => (i.label < 0 ? n + 1 : n), 0);
    const buf = Buffer.alloc(count * 8);
    let pc = 0;
    const off = (id: number): number => {
      const target = pos[id] ?? -1;
      if (target < 0) throw new Error(`BPF label ${id} never placed`);
      const d = target - pc - 1;
      if (d < 0) throw new Error('BPF jumps must go forward');
      return d;
    };
    for (const insn of items) {
      if (insn.label >= 0) continue;
      const at = pc * 8;
      buf.writeUInt16LE(insn.code, at);
      if (insn.ja >= 0) {
        buf.writeUInt32LE(off(insn.ja), at + 4);
      } else {
        buf.writeUInt8(insn.jt >= 0 ? off(insn.jt) : 0, at + 2);
        buf.writeUInt8(insn.jf >= 0 ? off(insn.jf) : 0, at + 3);
        buf.writeUInt32LE(insn.k, at + 4);
      }
      pc++;
    }
    return buf;
  }

  /** Label id -> instruction index. */
  private positions(items: Item[]): Int32Array {
    const pos = new Int32Array(this.nextId).fill(-1);
    let pc = 0;
    for (const item of items) {
      if (item.label >= 0) pos[item.label] = pc;
      else pc++;
    }
    return pos;
  }

  /** Inserts `ja` trampolines after conditional jumps whose targets are out of 8-bit reach. */
  private relax(): Item[] {
    let items = this.items.map((i) => ({ ...i }));
    for (;;) {
      const pos = this.positions(items);
      let out: Item[] | undefined;
      let pc = 0;
      for (let idx = 0; idx < items.length; idx++) {
        const item = items[idx] as Item;
        out?.push(item);
        if (item.label >= 0) continue;
        if (item.jt >= 0 && ((pos[item.jt] as number) - pc - 1 > 255 || (pos[item.jf] as number) - pc - 1 > 255)) {
          if (!out) {
            out = items.slice(0, idx + 1);
          }
          // A conditional jump never falls through, so the trampolines can sit right after it.
          for (const side of ['jt', 'jf'] as const) {
            const target = item[side];
            if ((pos[target] as number) - pc - 1 <= 255) continue;
            const tramp = this.label();
            out.push(
              { label: tramp.id, code: 0, k: 0, jt: -1, jf: -1, ja: -1 },
              { label: -1, code: BPF.JA, k: 0, jt: -1, jf: -1, ja: target },
            );
            item[side] = tramp.id;
          }
        }
        pc++;
      }
      if (!out) return items;
      items = out;
    }
  }
}

/** Decodes a `struct sock_filter[]` buffer. */
export function decodeFilter(program: Buffer): SockFilter[] {
  const out: SockFilter[] = [];
  for (let off = 0; off + 8 <= program.length; off += 8) {
    out.push({
      code: program.readUInt16LE(off),
      jt: program.readUInt8(off + 2),
      jf: program.readUInt8(off + 3),
      k: program.readUInt32LE(off + 4),
    });
  }
  return out;
}
