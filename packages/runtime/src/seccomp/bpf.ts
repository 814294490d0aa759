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

type Item =
  | { kind: 'label'; label: Label }
  | { kind: 'insn'; code: number; k: number; jt?: Label; jf?: Label; ja?: Label };

/** Builds a program; every jump goes forward to a label placed later with {@link place}. */
export class Assembler {
  private readonly items: Item[] = [];
  private nextId = 0;

  label(): Label {
    return { id: this.nextId++ };
  }

  place(label: Label): void {
    this.items.push({ kind: 'label', label });
  }

  /** `A = seccomp_data[offset]` (32-bit load). */
  load(offset: number): void {
    this.items.push({ kind: 'insn', code: BPF.LD_W_ABS, k: offset });
  }

  and(k: number): void {
    this.items.push({ kind: 'insn', code: BPF.ALU_AND_K, k: k >>> 0 });
  }

  /** A conditional jump (`JEQ_K`, `JGT_K`, `JGE_K`, `JSET_K`) to `jt` when true, `jf` when false. */
  jump(code: number, k: number, jt: Label, jf: Label): void {
    this.items.push({ kind: 'insn', code, k: k >>> 0, jt, jf });
  }

  goto(target: Label): void {
    this.items.push({ kind: 'insn', code: BPF.JA, k: 0, ja: target });
  }

  ret(k: number): void {
    this.items.push({ kind: 'insn', code: BPF.RET_K, k: k >>> 0 });
  }

  /** Lays the program out and encodes it as `struct sock_filter[]` (8 bytes each, little-endian). */
  assemble(): Buffer {
    const items = this.relax();
    const pos = positions(items);
    const insns = items.filter((i): i is Extract<Item, { kind: 'insn' }> => i.kind === 'insn');
    const buf = Buffer.alloc(insns.length * 8);
    insns.forEach((insn, pc) => {
      const off = (l: Label | undefined): number => {
        if (!l) return 0;
        const target = pos.get(l.id);
        if (target === undefined) throw new Error(`BPF label ${l.id} never placed`);
        const d = target - pc - 1;
        if (d < 0) throw new Error('BPF jumps must go forward');
        return d;
      };
      buf.writeUInt16LE(insn.code, pc * 8);
      if (insn.ja) {
        buf.writeUInt8(0, pc * 8 + 2);
        buf.writeUInt8(0, pc * 8 + 3);
        buf.writeUInt32LE(off(insn.ja), pc * 8 + 4);
      } else {
        buf.writeUInt8(off(insn.jt), pc * 8 + 2);
        buf.writeUInt8(off(insn.jf), pc * 8 + 3);
        buf.writeUInt32LE(insn.k, pc * 8 + 4);
      }
    });
    return buf;
  }

  /** Inserts `ja` trampolines after conditional jumps whose targets are out of 8-bit reach. */
  private relax(): Item[] {
    let items: Item[] = this.items.map((i) => ({ ...i }));
    for (;;) {
      const pos = positions(items);
      let changed = false;
      const out: Item[] = [];
      let pc = 0;
      for (const item of items) {
        out.push(item);
        if (item.kind !== 'insn') continue;
        if (item.jt && item.jf) {
          const far = (l: Label): boolean => (pos.get(l.id) ?? 0) - pc - 1 > 255;
          const fixes: Item[] = [];
          for (const side of ['jt', 'jf'] as const) {
            const target = item[side] as Label;
            if (!far(target)) continue;
            const tramp = this.label();
            fixes.push({ kind: 'label', label: tramp }, { kind: 'insn', code: BPF.JA, k: 0, ja: target });
            item[side] = tramp;
          }
          if (fixes.length > 0) {
            // A conditional jump never falls through, so the trampolines can sit right after it.
            out.push(...fixes);
            changed = true;
          }
        }
        pc++;
      }
      items = out;
      if (!changed) return items;
    }
  }
}

function positions(items: Item[]): Map<number, number> {
  const pos = new Map<number, number>();
  let pc = 0;
  for (const item of items) {
    if (item.kind === 'label') pos.set(item.label.id, pc);
    else pc++;
  }
  return pos;
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
