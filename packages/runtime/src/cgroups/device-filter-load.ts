// Puts the v2 device filter (device-filter.ts) into the kernel: load it, attach it to the cgroup's
// directory with BPF_F_ALLOW_MULTI, then detach the programs that were attached there before, as
// runc's loadAttachCgroupDeviceFilter does (opencontainers/cgroups devices/ebpf_linux.go). Between
// the attach and the detach both programs run and each must allow, so an update never opens more
// than either rule set grants. Removing the cgroup directory releases its programs.
import { TdockError, type ErrorKind } from '@tdock/core';
import * as sys from '../sys/index.js';
import { BPF_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE } from './device-filter.js';

/** The license string runc passes with the device filter (the generator came from crun, relicensed). */
export const DEVICE_FILTER_LICENSE = 'Apache';

function kindOf(err: unknown): ErrorKind {
  if (err instanceof sys.BpfLoadError && err.log !== '') return 'internal'; // the verifier refused our program
  if (err instanceof sys.SysError) {
    if (err.code === 'ENOSYS' || err.code === 'EOPNOTSUPP') return 'not-implemented';
    if (err.code === 'EPERM') return 'forbidden';
    if (err.code === 'ENOENT') return 'not-found';
  }
  return 'internal';
}

/**
 * Loads `program` (`struct bpf_insn[]`, BPF_PROG_TYPE_CGROUP_DEVICE) and makes it the one device
 * filter of the cgroup v2 directory `dir`, replacing what was attached before.
 * @throws TdockError naming the directory and the bpf(2) step that failed (the verifier's log
 *   included when the load was refused).
 */
export function loadAttachDeviceFilter(dir: string, program: Buffer): void {
  const fds: number[] = [];
  try {
    const dirFd = sys.open(dir, sys.O.RDONLY | sys.O.DIRECTORY | sys.O.CLOEXEC);
    fds.push(dirFd);
    const old: number[] = [];
    for (const id of sys.bpfProgQuery(dirFd, BPF_CGROUP_DEVICE)) {
      try {
        const fd = sys.bpfProgGetFdById(id);
        fds.push(fd);
        old.push(fd);
      } catch (err) {
        // Gone meanwhile, or (as runc notes) hidden from us by an LSM: another program can only
        // add restrictions, so leaving it is safe.
        if (err instanceof sys.SysError && ['ENOENT', 'EPERM', 'EACCES'].includes(err.code)) continue;
        throw err;
      }
    }
    const prog = sys.bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: program, license: DEVICE_FILTER_LICENSE, name: 'tdock_devices' });
    fds.push(prog);
    sys.bpfProgAttach(dirFd, prog, BPF_CGROUP_DEVICE, sys.BPF_F_ALLOW_MULTI);
    for (const fd of old) sys.bpfProgDetach(dirFd, fd, BPF_CGROUP_DEVICE);
  } catch (err) {
    const what = err instanceof Error ? err.message : String(err);
    throw new TdockError(kindOf(err), `cgroup: device filter for ${dir}: ${what}`, { cause: err });
  } finally {
    for (const fd of fds.reverse()) sys.raw.close(fd);
  }
}
