// Small helpers of the Runtime: socket names, config reading, shim errors, waiting for a pid.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TdockError, type ErrorKind } from '@tdock/core';
import type { LinuxResources } from '../cgroups/index.js';

/** The shim socket name for an id: a Docker id's first 12 hex digits, short ids as they are, else a hash. */
export function socketName(id: string): string {
  if (/^[0-9a-f]{64}$/.test(id)) return `${id.slice(0, 12)}.sock`;
  if (id.length <= 32) return `${id}.sock`;
  return `${createHash('sha256').update(id).digest('hex').slice(0, 16)}.sock`;
}

/** `base` with `extra` applied: a variable in `extra` replaces the one of the same name. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) out.set(e.split('=', 1)[0] as string, e);
  return [...out.values()];
}

export function readConfig(bundle: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  } catch (err) {
    throw new TdockError('invalid-argument', `cannot read ${bundle}/config.json: ${(err as Error).message}`, { cause: err });
  }
}

export function shimError(e: unknown): TdockError {
  const err = e as { kind?: ErrorKind; message?: string; step?: string };
  const out = new TdockError(err.kind ?? 'internal', err.message ?? 'container create failed');
  if (err.step !== undefined) Object.assign(out, { step: err.step });
  return out;
}

export function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-2000).trim() || '(empty)';
  } catch {
    return '(none)';
  }
}

/**
 * Waits until `pid` is gone, SIGKILLing it after `ms`. Polls at 1, 2, 4, 8, 16, then every 20 ms: a
 * shim told to shut down exits within a few ms, and a fixed 20 ms step cost every delete that much.
 */
export async function waitGone(pid: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let step = 1; ; step = Math.min(step * 2, 20)) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > until) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
      return;
    }
    await new Promise((r) => setTimeout(r, step));
  }
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or undefined when it is gone. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/**
 * Device rules with the pty devices appended, as runc appends its AllowedDevices to every container's
 * list: `/dev/pts/*` (136:*) and `/dev/ptmx` (5:2), so a terminal opened in the container's own devpts
 * (by the init, an exec, or a program such as `script`) works under a deny-all rule set.
 */
export function withPtyDevices(resources: LinuxResources): LinuxResources {
  if (!resources.devices || resources.devices.length === 0) return resources;
  return {
    ...resources,
    devices: [
      ...resources.devices,
      { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
    ],
  };
}
