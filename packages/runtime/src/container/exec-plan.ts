// The plan of an exec into a running container, from the container's own plan plus the caller's overrides.
import { TdockError } from '@tdock/core';
import type { ExecPlan, InitPlan } from '../init/plan.cjs';
import { mergeEnv } from './util.js';

/** Options of {@link Runtime.exec}; absent fields come from the container's own process. */
export interface ExecOptions {
  args: string[];
  /** Added to (and overriding) the container's environment. */
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  tty?: boolean;
  stdin?: boolean;
  consoleSize?: { rows: number; cols: number };
  /** All capabilities, no seccomp (Docker's `exec --privileged`). */
  privileged?: boolean;
  /** A name under which the shim remembers the exec's pid and exit ({@link Runtime.execState}). */
  execId?: string;
}

/** The exec plan: the container's process settings (user, caps, seccomp, rlimits, cgroup) with `opts` applied. */
export function execPlan(base: InitPlan, opts: ExecOptions): Omit<ExecPlan, 'pid'> {
  if (opts.args.length === 0) throw new TdockError('invalid-argument', 'exec needs a command');
  const has = (t: string): boolean => base.namespaces.some((n) => n.type === t);
  const namespaces: ExecPlan['namespaces'] = [];
  if (has('ipc')) namespaces.push('ipc');
  if (has('uts')) namespaces.push('uts');
  if (has('network')) namespaces.push('net');
  if (has('cgroup')) namespaces.push('cgroup');
  namespaces.push('mnt');
  return {
    args: opts.args,
    env: mergeEnv(base.env, opts.env ?? []),
    cwd: opts.cwd ?? base.cwd,
    uid: opts.user?.uid ?? base.uid,
    gid: opts.user?.gid ?? base.gid,
    additionalGids: opts.user ? (opts.user.additionalGids ?? []) : base.additionalGids,
    rlimits: base.rlimits,
    noNewPrivileges: base.noNewPrivileges,
    terminal: opts.tty ?? false,
    cgroupProcs: base.cgroupProcs,
    namespaces,
    ...(!opts.privileged && base.caps ? { caps: base.caps } : {}),
    ...(!opts.privileged && base.seccomp !== undefined ? { seccomp: base.seccomp, seccompFlags: base.seccompFlags ?? 1 } : {}),
  };
}
