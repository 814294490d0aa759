/**
 * Memory figures of processes from /proc: PSS (smaps_rollup), RSS (status), parents and command
 * names, so a benchmark can sum a daemon with its helpers and shims.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The `Pss:` line of a smaps_rollup text, in kB (0 when absent). */
export function parsePssKb(smapsRollup: string): number {
  const m = /^Pss:\s+(\d+) kB$/m.exec(smapsRollup);
  return m ? Number(m[1]) : 0;
}

/** The `VmRSS:` line of a /proc/<pid>/status text, in kB (0 when absent). */
export function parseRssKb(status: string): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) : 0;
}

/** Parent pid and command name from a /proc/<pid>/stat text (the name may hold spaces and parentheses). */
export function parseStat(stat: string): { ppid: number; comm: string } {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return { ppid: Number(rest[1]), comm: stat.slice(open + 1, close) };
}

/** One process. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

/** Every process readable now. */
export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, comm } = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      out.push({ pid: Number(name), ppid, comm, cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** `root` and every process below it. */
export function descendants(all: ProcInfo[], root: number): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out = all.filter((p) => p.pid === root);
  for (let i = 0; i < out.length; i++) out.push(...(byParent.get(out[i]!.pid) ?? []));
  return out;
}

/** PSS of a process in kB (0 when it is gone). */
export function pssKb(pid: number): number {
  try {
    return parsePssKb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return 0;
  }
}

/** RSS of a process in kB (0 when it is gone). */
export function rssKb(pid: number): number {
  try {
    return parseRssKb(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return 0;
  }
}

/** Summed PSS and RSS (MB, one decimal) and the count of a set of processes. */
export function sumMemory(procs: ProcInfo[]): { pssMb: number; rssMb: number; count: number } {
  const pss = procs.reduce((n, p) => n + pssKb(p.pid), 0);
  const rss = procs.reduce((n, p) => n + rssKb(p.pid), 0);
  return { pssMb: Math.round(pss / 102.4) / 10, rssMb: Math.round(rss / 102.4) / 10, count: procs.length };
}
