// `docker stats` JSON from the runtime's cgroup stats, and `docker top` from `ps`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { invalidArgument } from '@tdock/core';
import type { CgroupStats } from '@tdock/runtime';
import type { Json, JsonObject } from '../api/types.js';
import type { ContainerRecord } from './records.js';

const ZERO = '0001-01-01T00:00:00Z';

/**
 * Host CPU time in nanoseconds, as moby's readSystemCPUUsage: the first seven fields of /proc/stat's
 * `cpu` line (user, nice, system, idle, iowait, irq, softirq) in clock ticks of 1/100 s.
 */
export function systemCpuNs(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, v) => a + (Number(v) || 0), 0);
  return ticks * 10_000_000;
}

function readSystemCpuNs(): number {
  try {
    return systemCpuNs(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return 0;
  }
}

/** One interface's counters in the stats API's `networks` shape. */
export interface NetworkStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

/**
 * `networks` from a /proc/<pid>/net/dev text (the counters of the container's own namespace, seen
 * from inside as libnetwork's Sandbox.Statistics reads them), loopback left out.
 */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!name || name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 12) continue;
    out[name] = { rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3], tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11] };
  }
  return out;
}

/** The interfaces of the network namespace `pid` is in, or undefined when unreadable. */
export function networkStatsOf(pid: number): Record<string, NetworkStats> | undefined {
  if (!pid) return undefined;
  try {
    return parseNetDev(fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8'));
  } catch {
    return undefined;
  }
}

function cpuStats(s: CgroupStats | undefined): JsonObject {
  const online = os.availableParallelism();
  return {
    cpu_usage: { total_usage: s?.cpu.usageNs ?? 0, usage_in_kernelmode: s?.cpu.systemNs ?? 0, usage_in_usermode: s?.cpu.userNs ?? 0 },
    system_cpu_usage: s ? readSystemCpuNs() : 0,
    online_cpus: s ? online : 0,
    throttling_data: { periods: s?.cpu.periods ?? 0, throttled_periods: s?.cpu.throttledPeriods ?? 0, throttled_time: s?.cpu.throttledTimeNs ?? 0 },
  };
}

/**
 * One stats object in Docker's shape (API 1.47, cgroup v1 memory fields). `networks` is left out
 * when the container has no interface but loopback (moby's omitempty).
 */
export function statsJson(rec: ContainerRecord, s: CgroupStats | undefined, prev: JsonObject | undefined, pids: number, networks?: Record<string, NetworkStats>): JsonObject {
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  // Per device as the kernel counts them (v1: Read/Write/Sync/Async/Discard/Total; v2: read/write), as moby's statsV1/statsV2.
  const io = s ? (s.io.serviceBytes ?? [{ major: 0, minor: 0, op: 'read', value: s.io.readBytes }, { major: 0, minor: 0, op: 'write', value: s.io.writeBytes }]) : null;
  const ops = s?.io.serviced ?? null;
  return {
    name: rec.Name, id: rec.Id, read: s ? now : ZERO, preread: (prev?.read as string | undefined) ?? ZERO,
    pids_stats: s ? { current: s.pids.current || pids, ...(s.pids.limit !== null ? { limit: s.pids.limit } : {}) } : {},
    blkio_stats: { io_service_bytes_recursive: io as unknown as Json, io_serviced_recursive: ops as unknown as Json, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0, storage_stats: {},
    cpu_stats: cpuStats(s),
    precpu_stats: (prev?.cpu_stats as JsonObject | undefined) ?? cpuStats(undefined),
    memory_stats: s ? { usage: s.memory.usage, ...(s.memory.maxUsage ? { max_usage: s.memory.maxUsage } : {}), stats: s.memory.stat, limit: s.memory.limit ?? os.totalmem() } : {},
    ...(networks && Object.keys(networks).length > 0 ? { networks: networks as unknown as Json } : {}),
  };
}

/** `docker top`: `ps <args>` on the host, keeping the rows of the container's pids (moby daemon/top_unix.go). */
export function topOf(pids: number[], psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  const args = psArgs.trim() ? psArgs.trim().split(/\s+/) : ['-ef'];
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(invalidArgument(`ps: ${err.message}`));
      const lines = stdout.split('\n').filter((l) => l.trim() !== '');
      const titles = lines[0]?.trim().split(/\s+/) ?? [];
      const pidCol = titles.indexOf('PID');
      if (pidCol < 0) return reject(invalidArgument(`Couldn't find PID field in ps output`));
      const want = new Set(pids);
      const procs: string[][] = [];
      for (const line of lines.slice(1)) {
        const fields = line.trim().split(/\s+/);
        if (!want.has(Number(fields[pidCol]))) continue;
        const row = fields.slice(0, titles.length - 1);
        row.push(fields.slice(titles.length - 1).join(' '));
        procs.push(row);
      }
      resolve({ Titles: titles, Processes: procs });
    });
  });
}
