// Shared helpers for the cgroup drivers: plain fs with typed errors, file parsers, conversions.
import fs from 'node:fs';
import { TdockError } from '@tdock/core';
import { loadAttachDeviceFilter } from './device-filter-load.js';
import type { CgroupFs } from './types.js';

/** The real filesystem. */
export const nodeCgroupFs: CgroupFs = {
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  writeFile: (p, data) => fs.writeFileSync(p, data),
  exists: (p) => fs.existsSync(p),
  mkdir: (p) => fs.mkdirSync(p),
  rmdir: (p) => fs.rmdirSync(p),
  realpath: (p) => fs.realpathSync(p),
  attachDeviceFilter: loadAttachDeviceFilter,
};

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Writes a cgroup file, turning the kernel's refusal into a TdockError that names file and value. */
export function writeCg(cfs: CgroupFs, file: string, value: string): void {
  try {
    cfs.writeFile(file, value);
  } catch (err) {
    const code = errCode(err);
    const what = `cgroup: write ${JSON.stringify(value)} to ${file}: ${code ?? String(err)}`;
    if (code === 'ENOENT') throw new TdockError('not-implemented', `${what} (controller or file not available)`, { cause: err });
    if (code === 'EINVAL' || code === 'ERANGE' || code === 'EBUSY') throw new TdockError('invalid-argument', what, { cause: err });
    throw new TdockError('internal', what, { cause: err });
  }
}

/** Reads a cgroup file, trimmed; undefined when it does not exist. */
export function readCg(cfs: CgroupFs, file: string): string | undefined {
  try {
    return cfs.readFile(file).trim();
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw new TdockError('internal', `cgroup: read ${file}: ${String(err)}`, { cause: err });
  }
}

/** A number from a cgroup file (`max` and absent read as null). */
export function readNum(cfs: CgroupFs, file: string): number | null {
  const text = readCg(cfs, file);
  if (text === undefined || text === '' || text === 'max') return null;
  const n = Number(text.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

/** A flat-keyed file (`key value` per line, as memory.stat or cpu.stat). */
export function readKeyed(cfs: CgroupFs, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readCg(cfs, file) ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** `cgroup.procs` as numbers. */
export function readPids(cfs: CgroupFs, file: string): number[] {
  return (readCg(cfs, file) ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** Blocks the thread for `ms` (sync callers only: the freezer wait loops). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Removes a directory, retrying while the kernel still sees tasks leaving (EBUSY). */
export function rmdirRetry(cfs: CgroupFs, dir: string, attempts = 50): void {
  for (let i = 0; ; i++) {
    try {
      cfs.rmdir(dir);
      return;
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= attempts) {
        throw new TdockError(code === 'EBUSY' ? 'conflict' : 'internal', `cgroup: remove ${dir}: ${code ?? String(err)}`, { cause: err });
      }
      sleepSync(10);
    }
  }
}

/** Validates a relative cgroup path (`tdock/<id>`): no `..`, no empty parts; leading `/` dropped. */
export function normalizeCgroupPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..')) {
    throw new TdockError('invalid-argument', `invalid cgroup path ${JSON.stringify(path)}`);
  }
  return parts.join('/');
}

/** runc's cpu.shares -> cpu.weight conversion (quadratic fit through min, default, max). */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return Math.ceil(10 ** exponent);
}

/** runc's blkio weight (10..1000) -> io.weight (1..10000). */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * runc's OCI memory+swap -> v2 `memory.swap.max` (swap alone). -1 means `max`, 0 unset.
 * @throws TdockError invalid-argument in runc's words.
 */
export function memorySwapToV2(swap: number, memory: number): number {
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === -1) return swap;
  if (memory === 0) throw new TdockError('invalid-argument', 'unable to set swap limit without memory limit');
  if (memory < 0) throw new TdockError('invalid-argument', `invalid memory value: ${memory}`);
  if (swap < memory) throw new TdockError('invalid-argument', 'memory+swap limit should be >= memory limit');
  return swap - memory;
}

/** A limit as cgroupfs spells it: negative means unlimited (`max` on v2, `-1` on v1). */
export function limitString(n: number, version: 1 | 2): string {
  if (n < 0) return version === 2 ? 'max' : '-1';
  return String(n);
}

/** Polls `read` every `intervalMs` and calls `listener` when the value grows. */
export function pollCounter(read: () => number, listener: (n: number) => void, intervalMs: number): () => void {
  let last = read();
  const timer = setInterval(() => {
    let now: number;
    try {
      now = read();
    } catch {
      return;
    }
    if (now > last) {
      last = now;
      listener(now);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
