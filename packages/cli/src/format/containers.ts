import { familiarString, parseNormalizedNamed, trimReference, withTag } from '@tdock/core';
import type { ApiContainerSummary, ApiPort } from './api-types.js';
import { GoStruct } from './template.js';
import { goTimeString, UTC, type TimeZone } from './time.js';
import { ellipsis, humanDuration, humanSizeWithPrecision, truncateId } from './units.js';

/** `docker ps`'s default table (docker/cli `formatter/container.go`). */
export const DEFAULT_CONTAINER_TABLE_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** Header names by field for container tables. */
export const CONTAINER_HEADERS: Readonly<Record<string, string>> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

/** Rendering settings shared by the row contexts. */
export interface RowOptions {
  /** Truncate IDs, commands and mounts (false with `--no-trunc`). */
  trunc: boolean;
  /** "Now" for relative times, in ms (injected clock). */
  nowMs: number;
  /** Zone for `CreatedAt`; UTC by default. */
  zone?: TimeZone;
}

function ipKey(ip: string | undefined): string {
  if (!ip) return '0';
  if (ip.includes(':')) return `2${ip}`;
  return `1${ip.split('.').map((o) => o.padStart(3, '0')).join('.')}`;
}

function comparePorts(a: ApiPort, b: ApiPort): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ia = ipKey(a.IP);
  const ib = ipKey(b.IP);
  if (ia !== ib) return ia < ib ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

const joinHostPort = (ip: string, port: string): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0]!;
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0]!;
    type = parts[1]!;
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/**
 * docker's `DisplayablePorts`: `0.0.0.0:8080->80/tcp, 9000-9001/udp`; consecutive ports with the same
 * address and type merge into ranges, host mappings to a different port are listed last.
 */
export function displayablePorts(input: readonly ApiPort[]): string {
  const ports = [...input].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of ports) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

const ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/** Go's `strconv.Quote`: double quotes, C escapes, `\xNN` for other control bytes, printable Unicode kept. */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/\p{C}/u.test(c)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** One `docker ps` row, fields as docker's `ContainerContext` methods. */
export class ContainerContext extends GoStruct {
  readonly goTypeName = '*formatter.ContainerContext';

  constructor(
    private readonly c: ApiContainerSummary,
    private readonly o: RowOptions,
  ) {
    super();
  }

  ID(): string {
    return this.o.trunc ? truncateId(this.c.Id) : this.c.Id;
  }

  Names(): string {
    const names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.o.trunc) return names.find((n) => !n.includes('/')) ?? '';
    return names.join(',');
  }

  Image(): string {
    const image = this.c.Image ?? '';
    if (image === '') return '<no image>';
    if (!this.o.trunc) return image;
    const trunc = truncateId(this.c.ImageID ?? '');
    if (trunc === truncateId(image)) return trunc;
    try {
      let ref = parseNormalizedNamed(image);
      if (ref.digest !== undefined) ref = ref.tag !== undefined ? withTag(trimReference(ref), ref.tag) : trimReference(ref);
      return familiarString(ref);
    } catch {
      return image;
    }
  }

  Command(): string {
    const cmd = this.c.Command ?? '';
    return goQuote(this.o.trunc ? ellipsis(cmd, 20) : cmd);
  }

  CreatedAt(): string {
    return goTimeString(this.c.Created * 1000, this.o.zone ?? UTC);
  }

  RunningFor(): string {
    return `${humanDuration(this.o.nowMs - this.c.Created * 1000)} ago`;
  }

  /** The image platform (`{"architecture":..,"os":..}` in JSON, `linux/amd64` printed), or null. */
  Platform(): { architecture: string; os: string; variant?: string; toString(): string } | null {
    const p = this.c.ImageManifestDescriptor?.platform;
    if (!p) return null;
    return { ...p, toString: () => [p.os, p.architecture, p.variant].filter(Boolean).join('/') };
  }

  Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }

  State(): string {
    return this.c.State ?? '';
  }

  Status(): string {
    return this.c.Status ?? '';
  }

  Size(): string {
    const srw = humanSizeWithPrecision(this.c.SizeRw ?? 0, 3);
    const sv = humanSizeWithPrecision(this.c.SizeRootFs ?? 0, 3);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${sv})` : srw;
  }

  Labels(): string {
    const l = this.c.Labels;
    if (!l) return '';
    return Object.entries(l).map(([k, v]) => `${k}=${v}`).sort().join(',');
  }

  Label(name: string): string {
    return this.c.Labels?.[name] ?? '';
  }

  Mounts(): string {
    return (this.c.Mounts ?? []).map((m) => {
      const name = m.Name ? m.Name : (m.Source ?? '');
      return this.o.trunc ? ellipsis(name, 15) : name;
    }).join(',');
  }

  LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }

  Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).join(',');
  }
}

/** `Up 5 minutes`-style status text for a running container started at `startedMs`. */
export function upStatus(startedMs: number, nowMs: number): string {
  return `Up ${humanDuration(nowMs - startedMs)}`;
}

/** `Exited (0) 3 days ago`-style status text. */
export function exitedStatus(code: number, finishedMs: number, nowMs: number): string {
  return `Exited (${code}) ${humanDuration(nowMs - finishedMs)} ago`;
}
