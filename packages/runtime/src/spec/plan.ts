// OCI config.json → the init's plan (pure, except for stat'ing bind sources). The init interprets nothing.
import fs from 'node:fs';
import { TdockError } from '@tdock/core';
import { MS } from '../sys/index.js';
import { capMask } from '../caps/index.js';
import { compileSeccomp } from '../seccomp/index.js';
import type { InitPlan, PlannedMount, PlannedNamespace, RootfsMount } from '../init/plan.cjs';
import type { OciMount, OciSpec } from './types.js';

const FLAG_OPTIONS: Readonly<Record<string, { set?: number; clear?: number }>> = {
  ro: { set: MS.RDONLY }, rw: { clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID }, suid: { clear: MS.NOSUID },
  nodev: { set: MS.NODEV }, dev: { clear: MS.NODEV },
  noexec: { set: MS.NOEXEC }, exec: { clear: MS.NOEXEC },
  sync: { set: MS.SYNCHRONOUS }, async: { clear: MS.SYNCHRONOUS },
  dirsync: { set: MS.DIRSYNC },
  remount: { set: MS.REMOUNT },
  mand: { set: MS.MANDLOCK }, nomand: { clear: MS.MANDLOCK },
  noatime: { set: MS.NOATIME }, atime: { clear: MS.NOATIME },
  nodiratime: { set: MS.NODIRATIME }, diratime: { clear: MS.NODIRATIME },
  relatime: { set: MS.RELATIME }, norelatime: { clear: MS.RELATIME },
  strictatime: { set: MS.STRICTATIME }, nostrictatime: { clear: MS.STRICTATIME },
  nosymfollow: { set: MS.NOSYMFOLLOW }, symfollow: { clear: MS.NOSYMFOLLOW },
  bind: { set: MS.BIND }, rbind: { set: MS.BIND | MS.REC },
};

const PROPAGATION: Readonly<Record<string, number>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Translates one OCI mount to mount(2) terms (runc's parseMountOptions). */
export function planMount(m: OciMount, isFile: (p: string) => boolean = defaultIsFile): PlannedMount {
  if (!m.destination.startsWith('/')) throw new TdockError('invalid-argument', `mount destination ${m.destination} is not absolute`);
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of m.options ?? []) {
    const f = FLAG_OPTIONS[opt];
    if (f) {
      flags = (flags | (f.set ?? 0)) & ~(f.clear ?? 0);
    } else if (PROPAGATION[opt] !== undefined) {
      propagation = PROPAGATION[opt] as number;
    } else {
      data.push(opt);
    }
  }
  const isBind = m.type === 'bind' || (flags & MS.BIND) !== 0;
  const source = m.source ?? m.type ?? 'none';
  if (isBind) {
    const bindFlags = MS.BIND | (flags & MS.REC);
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    return { destination: m.destination, type: 'bind', source, flags: bindFlags, remountFlags: rest, propagation, data: '', sourceIsFile: isFile(source) };
  }
  return { destination: m.destination, type: m.type ?? 'none', source, flags, remountFlags: 0, propagation, data: data.join(','), sourceIsFile: false };
}

function defaultIsFile(p: string): boolean {
  try {
    return !fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Inputs the runtime adds to a spec to make a plan. */
export interface PlanInputs {
  rootfs: RootfsMount;
  merged: string;
  cgroupProcs?: string[];
  /** The seccomp compiler (a caller may pass a caching one). */
  compile?: (config: NonNullable<OciSpec['linux']>['seccomp'] & object) => { program: Buffer; flags: number };
}

/**
 * The init plan for an OCI spec. Throws not-implemented for user namespaces (no route from a Node
 * process, DESIGN §4) and for cgroup-type mounts' absence is documented (they are skipped).
 */
export function specToPlan(spec: OciSpec, inputs: PlanInputs): InitPlan {
  const proc = spec.process;
  if (!proc) throw new TdockError('invalid-argument', 'config.json has no process');
  if (!proc.args || proc.args.length === 0) throw new TdockError('invalid-argument', 'process.args must not be empty');
  const linux = spec.linux ?? {};
  const namespaces: PlannedNamespace[] = [];
  for (const ns of linux.namespaces ?? []) {
    if (ns.type === 'user' || (linux.uidMappings?.length ?? 0) > 0) throw new TdockError('not-implemented', 'user namespaces are not supported yet');
    if (ns.type === 'time') throw new TdockError('not-implemented', 'time namespaces are not supported yet');
    if (ns.type === 'pid') continue; // the shim's job
    if (ns.type === 'mount' && ns.path !== undefined) throw new TdockError('not-implemented', 'joining a mount namespace is not supported');
    namespaces.push(ns.path === undefined ? { type: ns.type } : { type: ns.type, path: ns.path });
  }
  const newUts = namespaces.some((n) => n.type === 'uts' && n.path === undefined);
  if (spec.hostname !== undefined && spec.hostname !== '' && !newUts) throw new TdockError('invalid-argument', 'unable to set hostname without a new UTS namespace');
  const mounts = (spec.mounts ?? []).filter((m) => m.type !== 'cgroup' && m.type !== 'cgroup2').map((m) => planMount(m));
  const caps = proc.capabilities;
  let seccomp: { program: string; flags: number } | undefined;
  if (linux.seccomp) {
    const compiled = (inputs.compile ?? compileSeccomp)(linux.seccomp);
    seccomp = { program: compiled.program.toString('base64'), flags: compiled.flags };
  }
  return {
    rootfs: inputs.rootfs,
    merged: inputs.merged,
    readonlyRootfs: spec.root?.readonly ?? false,
    namespaces,
    ...(spec.hostname ? { hostname: spec.hostname } : {}),
    ...(spec.domainname ? { domainname: spec.domainname } : {}),
    mounts,
    defaultDevices: mounts.some((m) => m.destination === '/dev' && m.type === 'tmpfs'),
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    sysctl: linux.sysctl ?? {},
    cgroupProcs: inputs.cgroupProcs ?? [],
    terminal: proc.terminal ?? false,
    args: proc.args,
    env: proc.env ?? [],
    cwd: proc.cwd,
    uid: proc.user.uid,
    gid: proc.user.gid,
    additionalGids: proc.user.additionalGids ?? [],
    rlimits: (proc.rlimits ?? []).map((r) => ({ type: r.type, soft: String(r.soft), hard: String(r.hard) })),
    ...(proc.oomScoreAdj !== undefined ? { oomScoreAdj: proc.oomScoreAdj } : {}),
    noNewPrivileges: proc.noNewPrivileges ?? false,
    ...(caps
      ? {
        caps: {
          bounding: String(capMask(caps.bounding ?? [])),
          effective: String(capMask(caps.effective ?? [])),
          permitted: String(capMask(caps.permitted ?? [])),
          inheritable: String(capMask(caps.inheritable ?? [])),
          ambient: String(capMask(caps.ambient ?? [])),
        },
      }
      : {}),
    ...(seccomp ? { seccomp: seccomp.program, seccompFlags: seccomp.flags } : {}),
  };
}
