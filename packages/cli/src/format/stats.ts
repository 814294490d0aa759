import { GoStruct } from './template.js';
import { bytesSize, humanSizeWithPrecision, truncateId } from './units.js';

/** `docker stats`'s default table (docker/cli `container/formatter_stats.go`, Linux). */
export const DEFAULT_STATS_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export const STATS_HEADERS: Readonly<Record<string, string>> = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

/** The parts of an Engine API stats sample (`GET /containers/{id}/stats`) the table uses. */
export interface ApiStats {
  id?: string;
  name?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

/** One computed row (docker's `StatsEntry`). */
export interface StatsEntry {
  /** What the user asked for (name or ID), shown by `{{.Container}}`. */
  container: string;
  /** The API's name, with its leading slash. */
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  /** No sample in time (or an error): the row shows `--`. */
  isInvalid: boolean;
}

/** CPU % as docker computes it: container delta over system delta, times online CPUs. */
export function cpuPercent(v: ApiStats): number {
  const cpuDelta = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (v.cpu_stats?.system_cpu_usage ?? 0) - (v.precpu_stats?.system_cpu_usage ?? 0);
  let online = v.cpu_stats?.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Memory without the inactive file cache (cgroup v1 `total_inactive_file`, v2 `inactive_file`). */
export function memUsageNoCache(m: NonNullable<ApiStats['memory_stats']>): number {
  const usage = m.usage ?? 0;
  const v1 = m.stats?.['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = m.stats?.['inactive_file'] ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

/** Turns one API sample into a row, as docker's `collect` does on Linux. */
export function statsEntry(container: string, v: ApiStats): StatsEntry {
  const mem = memUsageNoCache(v.memory_stats ?? {});
  const limit = v.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op[0]?.toLowerCase();
    if (op === 'r') read += e.value;
    else if (op === 'w') write += e.value;
  }
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpuPercentage: cpuPercent(v),
    memory: mem,
    memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (mem / limit) * 100 : 0,
    networkRx: rx,
    networkTx: tx,
    blockRead: read,
    blockWrite: write,
    pidsCurrent: v.pids_stats?.current ?? 0,
    isInvalid: false,
  };
}

const pct = (x: number): string => `${x.toFixed(2)}%`;

/** One `docker stats` row. */
export class StatsContext extends GoStruct {
  readonly goTypeName = '*container.statsContext';

  constructor(
    private readonly s: StatsEntry,
    private readonly trunc: boolean,
  ) {
    super();
  }
  Container(): string {
    return this.s.container;
  }
  Name(): string {
    return this.s.name.length > 1 ? this.s.name.slice(1) : '--';
  }
  ID(): string {
    return this.trunc ? truncateId(this.s.id) : this.s.id;
  }
  CPUPerc(): string {
    return this.s.isInvalid ? '--' : pct(this.s.cpuPercentage);
  }
  MemUsage(): string {
    return this.s.isInvalid ? '-- / --' : `${bytesSize(this.s.memory)} / ${bytesSize(this.s.memoryLimit)}`;
  }
  MemPerc(): string {
    return this.s.isInvalid ? '--' : pct(this.s.memoryPercentage);
  }
  NetIO(): string {
    return this.s.isInvalid ? '--' : `${humanSizeWithPrecision(this.s.networkRx, 3)} / ${humanSizeWithPrecision(this.s.networkTx, 3)}`;
  }
  BlockIO(): string {
    return this.s.isInvalid ? '--' : `${humanSizeWithPrecision(this.s.blockRead, 3)} / ${humanSizeWithPrecision(this.s.blockWrite, 3)}`;
  }
  PIDs(): string {
    return this.s.isInvalid ? '--' : String(this.s.pidsCurrent);
  }
}
