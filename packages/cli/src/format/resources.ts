import type { ApiNetwork, ApiVolume } from './api-types.js';
import type { RowOptions } from './containers.js';
import { GoStruct } from './template.js';
import { goTimeString, parseRfc3339, UTC } from './time.js';
import { humanSize, truncateId } from './units.js';

/** `docker volume ls`'s default table. */
export const DEFAULT_VOLUME_TABLE_FORMAT = 'table {{.Driver}}\t{{.Name}}';
/** `docker network ls`'s default table. */
export const DEFAULT_NETWORK_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export const VOLUME_HEADERS: Readonly<Record<string, string>> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

export const NETWORK_HEADERS: Readonly<Record<string, string>> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

function joinLabels(l: Record<string, string> | null | undefined): string {
  if (!l) return '';
  return Object.entries(l).map(([k, v]) => `${k}=${v}`).sort().join(',');
}

/** One `docker volume ls` row. */
export class VolumeContext extends GoStruct {
  readonly goTypeName = '*formatter.volumeContext';

  constructor(private readonly v: ApiVolume) {
    super();
  }
  Name(): string {
    return this.v.Name;
  }
  Driver(): string {
    return this.v.Driver;
  }
  Scope(): string {
    return this.v.Scope ?? '';
  }
  Mountpoint(): string {
    return this.v.Mountpoint ?? '';
  }
  Labels(): string {
    return joinLabels(this.v.Labels);
  }
  Label(name: string): string {
    return this.v.Labels?.[name] ?? '';
  }
  Links(): string {
    return this.v.UsageData ? String(this.v.UsageData.RefCount) : 'N/A';
  }
  Size(): string {
    return this.v.UsageData ? humanSize(this.v.UsageData.Size) : 'N/A';
  }
  Group(): string {
    return 'N/A';
  }
  Availability(): string {
    return 'N/A';
  }
  Status(): string {
    return 'N/A';
  }
}

/** One `docker network ls` row. */
export class NetworkContext extends GoStruct {
  readonly goTypeName = '*network.networkContext';

  constructor(
    private readonly n: ApiNetwork,
    private readonly o: RowOptions,
  ) {
    super();
  }
  ID(): string {
    return this.o.trunc ? truncateId(this.n.Id) : this.n.Id;
  }
  Name(): string {
    return this.n.Name;
  }
  Driver(): string {
    return this.n.Driver ?? '';
  }
  Scope(): string {
    return this.n.Scope ?? '';
  }
  IPv4(): string {
    return String(this.n.EnableIPv4 ?? false);
  }
  IPv6(): string {
    return String(this.n.EnableIPv6 ?? false);
  }
  Internal(): string {
    return String(this.n.Internal ?? false);
  }
  Labels(): string {
    return joinLabels(this.n.Labels);
  }
  Label(name: string): string {
    return this.n.Labels?.[name] ?? '';
  }
  CreatedAt(): string {
    if (!this.n.Created) return '0001-01-01 00:00:00 +0000 UTC';
    const [ms, ns] = parseRfc3339(this.n.Created);
    return goTimeString(ms, this.o.zone ?? UTC, ns);
  }
}

/** Go `sortorder.NaturalLess`: digit runs compare numerically (`vol2` < `vol10`). */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length < ny.length;
      if (nx !== ny) return nx < ny;
      return x.length > y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

/** Sorts by name as `docker volume ls` / `docker network ls` do (natural order). */
export function sortByNameNatural<T extends { Name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
}
