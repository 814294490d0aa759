// `docker stats` JSON from the runtime's cgroup stats, and `docker top` from `ps`.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { invalidArgument } from '@tdock/core';
import type { CgroupStats } from '@tdock/runtime';
import type { Json, JsonObject } from '../api/types.js';
import type { ContainerRecord } from './records.js';

const ZERO = '0001-01-01T00:00:00Z';

/** Host CPU time in nanoseconds (sum of /proc/stat's first line, as moby's getSystemCPUUsage). */
function systemCpuNs(): number {
  const t = os.cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq, 0);
  return t * 1_000_000;
}

function cpuStats(s: CgroupStats | undefined): JsonObject {
  const online = os.availableParallelism();
  return {
    cpu_usage: { total_usage: s?.cpu.usageNs ?? 0, usage_in_kernelmode: s?.cpu.systemNs ?? 0, usage_in_usermode: s?.cpu.userNs ?? 0 },
    system_cpu_usage: s ? systemCpuNs() : 0,
    online_cpus: s ? online : 0,
    throttling_data: { periods: s?.cpu.periods ?? 0, throttled_periods: s?.cpu.throttledPeriods ?? 0, throttled_time: s?.cpu.throttledTimeNs ?? 0 },
  };
}

/** One stats object in Docker's shape (API 1.47, cgroup v1 memory fields). */
export function statsJson(rec: ContainerRecord, s: CgroupStats | undefined, prev: JsonObject | undefined, pids: number): JsonObject {
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  const io = s ? [{ major: 0, minor: 0, op: 'read', value: s.io.readBytes }, { major: 0, minor: 0, op: 'write', value: s.io.writeBytes }] : null;
  return {
    name: rec.Name, id: rec.Id, read: s ? now : ZERO, preread: (prev?.read as string | undefined) ?? ZERO,
    pids_stats: s ? { current: s.pids.current || pids, ...(s.pids.limit !== null ? { limit: s.pids.limit } : {}) } : {},
    blkio_stats: { io_service_bytes_recursive: io as Json, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0, storage_stats: {},
    cpu_stats: cpuStats(s),
    precpu_stats: (prev?.cpu_stats as JsonObject | undefined) ?? cpuStats(undefined),
    memory_stats: s ? { usage: s.memory.usage, ...(s.memory.maxUsage ? { max_usage: s.memory.maxUsage } : {}), stats: s.memory.stat, limit: s.memory.limit ?? os.totalmem() } : {},
    networks: {},
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
