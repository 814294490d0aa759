// bpf(2) for cgroup programs (the cgroup v2 device filter): load, attach, detach, query, open by id.
// Each attr is a zeroed ATTR_SIZE buffer: the kernel checks that the bytes it does not know are zero,
// and BPF_PROG_QUERY writes `query.revision` (offset 56) back whatever size it is given. Pointer
// fields hold the addresses of Buffers that stay referenced until the call returns. The kernel makes
// every program fd close-on-exec.
import { SYS, SysError, addressOf, lastErrno, raw } from './libc.cjs';

/** bpf(2) commands (linux/bpf.h `enum bpf_cmd`). */
export const BPF_CMD = { PROG_LOAD: 5, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_GET_FD_BY_ID: 13, PROG_QUERY: 16 } as const;
/** BPF_PROG_ATTACH flag: more programs may be attached to the same cgroup (each must allow). */
export const BPF_F_ALLOW_MULTI = 2;

const ATTR_SIZE = 256;
const LOG_SIZE = 64 * 1024;

function bpf(cmd: number, attr: Buffer): number {
  return Number(raw.sysBpf(SYS.bpf, cmd, attr, attr.length));
}

/** A BPF_PROG_LOAD the kernel refused; `log` is the verifier's output ('' when it wrote none). */
export class BpfLoadError extends SysError {
  readonly log: string;

  constructor(errno: number, log: string) {
    super(errno, 'bpf BPF_PROG_LOAD');
    this.name = 'BpfLoadError';
    this.log = log;
    if (log !== '') this.message += `; verifier log:\n${log}`;
  }
}

/** What bpfProgLoad takes: `insns` is `struct bpf_insn[]` (8 bytes each). */
export interface BpfProgram {
  type: number;
  insns: Buffer;
  /** The MODULE_LICENSE-style string (runc's device filter says "Apache"). */
  license: string;
  /** Shown by bpftool; up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
}

/**
 * BPF_PROG_LOAD: returns the program's fd. When the kernel refuses, the load is repeated with a
 * 64 KiB log buffer (log level 1) so that the error carries the verifier's reason.
 * @throws BpfLoadError with the first attempt's errno.
 */
export function bpfProgLoad(prog: BpfProgram): number {
  const license = Buffer.from(`${prog.license}\0`);
  const attr = (log?: Buffer): Buffer => {
    const a = Buffer.alloc(ATTR_SIZE);
    a.writeUInt32LE(prog.type, 0);
    a.writeUInt32LE(Math.floor(prog.insns.length / 8), 4);
    a.writeBigUInt64LE(addressOf(prog.insns), 8);
    a.writeBigUInt64LE(addressOf(license), 16);
    if (log) {
      a.writeUInt32LE(1, 24); // log_level
      a.writeUInt32LE(log.length, 28);
      a.writeBigUInt64LE(addressOf(log), 32);
    }
    if (prog.name) a.write(prog.name.slice(0, 15), 48, 'latin1');
    return a;
  };
  const fd = bpf(BPF_CMD.PROG_LOAD, attr());
  if (fd >= 0) return fd;
  const errno = lastErrno();
  const log = Buffer.alloc(LOG_SIZE);
  const again = bpf(BPF_CMD.PROG_LOAD, attr(log));
  if (again >= 0) return again; // passed the second time (a transient ENOMEM, say)
  const end = log.indexOf(0);
  throw new BpfLoadError(errno, log.toString('utf8', 0, end < 0 ? log.length : end).trim());
}

function attachAttr(targetFd: number, progFd: number, attachType: number, flags: number): Buffer {
  const a = Buffer.alloc(ATTR_SIZE);
  a.writeUInt32LE(targetFd, 0);
  a.writeUInt32LE(progFd, 4);
  a.writeUInt32LE(attachType, 8);
  a.writeUInt32LE(flags, 12);
  return a;
}

/** BPF_PROG_ATTACH of `progFd` to `targetFd` (a cgroup directory fd for cgroup programs). */
export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
  if (bpf(BPF_CMD.PROG_ATTACH, attachAttr(targetFd, progFd, attachType, flags)) < 0) throw new SysError(lastErrno(), 'bpf BPF_PROG_ATTACH');
}

/** BPF_PROG_DETACH of the program `progFd` from `targetFd`. */
export function bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
  if (bpf(BPF_CMD.PROG_DETACH, attachAttr(targetFd, progFd, attachType, 0)) < 0) throw new SysError(lastErrno(), 'bpf BPF_PROG_DETACH');
}

/**
 * BPF_PROG_QUERY: the ids of the programs attached to `targetFd` itself (not inherited ones) for
 * `attachType`, in the order they run.
 */
export function bpfProgQuery(targetFd: number, attachType: number): number[] {
  let count = 64; // a cgroup holds at most 64 programs per attach type
  for (let tries = 0; tries < 10; tries++) {
    const ids = Buffer.alloc(count * 4);
    const a = Buffer.alloc(ATTR_SIZE);
    a.writeUInt32LE(targetFd, 0);
    a.writeUInt32LE(attachType, 4);
    a.writeBigUInt64LE(addressOf(ids), 16);
    a.writeUInt32LE(count, 24);
    const ret = bpf(BPF_CMD.PROG_QUERY, a);
    const got = a.readUInt32LE(24);
    if (ret < 0) {
      const errno = lastErrno();
      if (errno === 28 && got > count) {
        count = got; // ENOSPC: prog_cnt now says how many there are
        continue;
      }
      throw new SysError(errno, 'bpf BPF_PROG_QUERY');
    }
    return Array.from({ length: Math.min(got, count) }, (_, i) => ids.readUInt32LE(i * 4));
  }
  throw new SysError(28, 'bpf BPF_PROG_QUERY (the list kept growing)');
}

/** BPF_PROG_GET_FD_BY_ID: an fd for the loaded program `id`. */
export function bpfProgGetFdById(id: number): number {
  const a = Buffer.alloc(ATTR_SIZE);
  a.writeUInt32LE(id, 0);
  const fd = bpf(BPF_CMD.PROG_GET_FD_BY_ID, a);
  if (fd < 0) throw new SysError(lastErrno(), 'bpf BPF_PROG_GET_FD_BY_ID', String(id));
  return fd;
}
