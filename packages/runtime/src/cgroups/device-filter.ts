// cgroup v2 device access control: the eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) that plays the
// role of v1's devices.allow/devices.deny, generated like runc's devicefilter.go (after crun's
// ebpf.c). The rules first go through a small emulator of v1's semantics so the program's
// first-match order does not matter: every emitted rule has the action opposite to the default.
import { TdockError } from '@tdock/core';
import type { LinuxDeviceCgroup } from './types.js';

/** `BPF_DEVCG_DEV_*` and `BPF_DEVCG_ACC_*` (linux/bpf.h). */
export const BPF_DEVCG = { DEV_BLOCK: 1, DEV_CHAR: 2, ACC_MKNOD: 1, ACC_READ: 2, ACC_WRITE: 4 } as const;
/** `BPF_PROG_TYPE_CGROUP_DEVICE` and `BPF_CGROUP_DEVICE` for bpf(BPF_PROG_LOAD / BPF_PROG_ATTACH). */
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;

/** A normalised rule: type `b` or `c`, -1 for a wildcard number, access as ACC_* bits. */
export interface DeviceRule {
  type: 'b' | 'c';
  major: number;
  minor: number;
  access: number;
}

/** The effective rule set: a default and the exceptions to it. */
export interface DeviceRuleSet {
  defaultAllow: boolean;
  exceptions: DeviceRule[];
}

const ALL_ACCESS = BPF_DEVCG.ACC_MKNOD | BPF_DEVCG.ACC_READ | BPF_DEVCG.ACC_WRITE;

function accessBits(access: string | undefined): number {
  let bits = 0;
  for (const ch of access ?? 'rwm') {
    if (ch === 'r') bits |= BPF_DEVCG.ACC_READ;
    else if (ch === 'w') bits |= BPF_DEVCG.ACC_WRITE;
    else if (ch === 'm') bits |= BPF_DEVCG.ACC_MKNOD;
    else throw new TdockError('invalid-argument', `invalid device access ${JSON.stringify(access)}`);
  }
  return bits;
}

/**
 * Folds OCI device rules the way the v1 devices controller would: an `a` rule resets to allow-all
 * or deny-all; a rule with the default's action removes access from a matching exception; a rule
 * with the other action adds one.
 */
export function emulateDeviceRules(rules: readonly LinuxDeviceCgroup[]): DeviceRuleSet {
  let defaultAllow = true; // a new v1 cgroup allows everything
  let exceptions: DeviceRule[] = [];
  for (const r of rules) {
    const type = r.type ?? 'a';
    if (type === 'a') {
      defaultAllow = r.allow;
      exceptions = [];
      continue;
    }
    if (type !== 'b' && type !== 'c') throw new TdockError('invalid-argument', `invalid device type ${JSON.stringify(type)}`);
    const rule: DeviceRule = { type, major: r.major ?? -1, minor: r.minor ?? -1, access: accessBits(r.access) };
    const same = exceptions.find((e) => e.type === rule.type && e.major === rule.major && e.minor === rule.minor);
    if (r.allow === defaultAllow) {
      if (same) same.access &= ~rule.access;
      exceptions = exceptions.filter((e) => e.access !== 0);
    } else if (same) {
      same.access |= rule.access;
    } else {
      exceptions.push(rule);
    }
  }
  return { defaultAllow, exceptions };
}

// eBPF encoding: u8 code, u8 (src << 4 | dst), s16 off, s32 imm.
const LDX_MEM_W = 0x61;
const ALU32_AND_K = 0x54;
const ALU32_RSH_K = 0x74;
const ALU32_MOV_K = 0xb4;
const ALU32_MOV_X = 0xbc;
const JMP_JNE_K = 0x55;
const JMP_JNE_X = 0x5d;
const JMP_EXIT = 0x95;

/**
 * The device filter program as `struct bpf_insn[]` bytes (8 per instruction, little-endian),
 * license "Apache". Load with bpf(BPF_PROG_LOAD, prog_type 15) and attach to the container's
 * cgroup directory fd with bpf(BPF_PROG_ATTACH, attach_type 6, BPF_F_ALLOW_MULTI).
 * Reads `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }` from R1.
 */
export function deviceFilterProgram(rules: readonly LinuxDeviceCgroup[]): Buffer {
  const { defaultAllow, exceptions } = emulateDeviceRules(rules);
  const insns: Array<[number, number, number, number, number]> = []; // code, dst, src, off, imm
  const emit = (code: number, dst: number, src: number, off: number, imm: number): void => {
    insns.push([code, dst, src, off, imm]);
  };
  emit(LDX_MEM_W, 2, 1, 0, 0); // R2 = access_type
  emit(ALU32_AND_K, 2, 0, 0, 0xffff); // R2 = type
  emit(LDX_MEM_W, 3, 1, 0, 0);
  emit(ALU32_RSH_K, 3, 0, 0, 16); // R3 = access
  emit(LDX_MEM_W, 4, 1, 4, 0); // R4 = major
  emit(LDX_MEM_W, 5, 1, 8, 0); // R5 = minor
  for (const rule of exceptions) {
    const block: Array<[number, number, number, number, number]> = [];
    block.push([JMP_JNE_K, 2, 0, 0, rule.type === 'b' ? BPF_DEVCG.DEV_BLOCK : BPF_DEVCG.DEV_CHAR]);
    if (rule.access !== ALL_ACCESS) {
      // Every requested bit must be granted: (access & granted) == access.
      block.push([ALU32_MOV_X, 1, 3, 0, 0], [ALU32_AND_K, 1, 0, 0, rule.access], [JMP_JNE_X, 1, 3, 0, 0]);
    }
    if (rule.major >= 0) block.push([JMP_JNE_K, 4, 0, 0, rule.major | 0]);
    if (rule.minor >= 0) block.push([JMP_JNE_K, 5, 0, 0, rule.minor | 0]);
    block.push([ALU32_MOV_K, 0, 0, 0, defaultAllow ? 0 : 1], [JMP_EXIT, 0, 0, 0, 0]);
    // Every "no match" jump goes to the first instruction after this block.
    block.forEach((ins, i) => {
      if (ins[0] === JMP_JNE_K || ins[0] === JMP_JNE_X) ins[3] = block.length - i - 1;
    });
    insns.push(...block);
  }
  emit(ALU32_MOV_K, 0, 0, 0, defaultAllow ? 1 : 0);
  emit(JMP_EXIT, 0, 0, 0, 0);
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, dst, src, off, imm], i) => {
    buf.writeUInt8(code, i * 8);
    buf.writeUInt8(((src & 0xf) << 4) | (dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(off, i * 8 + 2);
    buf.writeInt32LE(imm | 0, i * 8 + 4);
  });
  return buf;
}
