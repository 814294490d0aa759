// The v2 device filter (eBPF) run by a small interpreter over device accesses, against the rules
// Docker sends: deny everything, then allow the standard character devices.
import assert from 'node:assert/strict';
import { TdockError } from '@tdock/core';
import { BPF_DEVCG, deviceFilterProgram, emulateDeviceRules, type LinuxDeviceCgroup } from '../src/cgroups/index.js';

/** Runs a device filter: returns R0 (1 allow, 0 deny). Only the instructions the generator uses. */
function runDeviceFilter(program: Buffer, type: 'b' | 'c', major: number, minor: number, access: string): number {
  const acc = [...access].reduce((n, ch) => n | ({ r: BPF_DEVCG.ACC_READ, w: BPF_DEVCG.ACC_WRITE, m: BPF_DEVCG.ACC_MKNOD } as Record<string, number>)[ch]!, 0);
  const ctx = Buffer.alloc(12);
  ctx.writeUInt32LE(((acc << 16) | (type === 'b' ? BPF_DEVCG.DEV_BLOCK : BPF_DEVCG.DEV_CHAR)) >>> 0, 0);
  ctx.writeUInt32LE(major, 4);
  ctx.writeUInt32LE(minor, 8);
  const r = new Array<bigint>(11).fill(0n);
  for (let pc = 0, steps = 0; steps < 10000; steps++) {
    if (pc * 8 >= program.length) throw new Error(`pc ${pc} out of program`);
    const code = program.readUInt8(pc * 8);
    const regs = program.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = program.readInt16LE(pc * 8 + 2);
    const imm = program.readInt32LE(pc * 8 + 4);
    const u32 = (v: bigint): bigint => v & 0xffffffffn;
    pc++;
    switch (code) {
      case 0x61:
        assert.equal(src, 1, 'loads only from the context');
        r[dst] = BigInt(ctx.readUInt32LE(off));
        break;
      case 0x54:
        r[dst] = u32(r[dst]! & u32(BigInt(imm)));
        break;
      case 0x74:
        r[dst] = u32(r[dst]!) >> BigInt(imm);
        break;
      case 0xb4:
        r[dst] = u32(BigInt(imm));
        break;
      case 0xbc:
        r[dst] = u32(r[src]!);
        break;
      case 0x55:
        if (r[dst] !== BigInt.asUintN(64, BigInt(imm))) pc += off;
        break;
      case 0x5d:
        if (r[dst] !== r[src]) pc += off;
        break;
      case 0x95:
        return Number(r[0]);
      default:
        throw new Error(`unexpected opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error('no exit');
}

// What Docker puts in linux.resources.devices for a default container.
const DOCKER_RULES: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
];

describe('cgroup v2 device filter (eBPF)', () => {
  const program = deviceFilterProgram(DOCKER_RULES);

  it("allows Docker's standard devices and mknod, and nothing else", () => {
    const table: Array<[type: 'b' | 'c', major: number, minor: number, access: string, allowed: number]> = [
      ['c', 1, 3, 'rw', 1], // /dev/null
      ['c', 1, 5, 'r', 1], // /dev/zero
      ['c', 1, 8, 'rwm', 1], // /dev/random
      ['c', 5, 0, 'rw', 1], // /dev/tty
      ['c', 5, 2, 'rw', 1], // /dev/ptmx
      ['c', 136, 7, 'rw', 1], // a pty slave
      ['c', 10, 229, 'rw', 0], // /dev/fuse
      ['b', 8, 0, 'r', 0], // /dev/sda
      ['b', 8, 0, 'm', 1], // mknod of a block device is allowed, opening it is not
      ['c', 4, 1, 'w', 0], // a host tty
      ['c', 4, 1, 'm', 1],
      ['c', 4, 1, 'rm', 0], // every requested bit must be granted
      ['c', 1, 1, 'r', 0], // /dev/mem
    ];
    for (const [type, major, minor, access, allowed] of table) {
      assert.equal(runDeviceFilter(program, type, major, minor, access), allowed, `${type} ${major}:${minor} ${access}`);
    }
  });

  it('folds rules like the v1 controller', () => {
    assert.deepEqual(emulateDeviceRules([]), { defaultAllow: true, exceptions: [] });
    const set = emulateDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'w' },
      { allow: false, type: 'c', major: 1, minor: 3, access: 'r' },
    ]);
    assert.deepEqual(set, { defaultAllow: false, exceptions: [{ type: 'c', major: 1, minor: 3, access: BPF_DEVCG.ACC_WRITE }] });
    const open = deviceFilterProgram([{ allow: true, access: 'rwm' }, { allow: false, type: 'b', major: 8, minor: -1, access: 'rw' }]);
    assert.equal(runDeviceFilter(open, 'b', 8, 1, 'r'), 0);
    assert.equal(runDeviceFilter(open, 'b', 8, 1, 'm'), 1);
    assert.equal(runDeviceFilter(open, 'c', 1, 1, 'rw'), 1);
  });

  it('rejects malformed rules', () => {
    assert.throws(() => deviceFilterProgram([{ allow: true, type: 'x', access: 'r' }]), TdockError);
    assert.throws(() => deviceFilterProgram([{ allow: true, type: 'c', access: 'rx' }]), TdockError);
  });
});
