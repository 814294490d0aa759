import { invalidArgument } from '@tdock/core';
import type { PortConfig, YamlValue } from './types.js';

function parseRange(s: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw invalidArgument(`invalid ${what} port "${s}" in port spec "${spec}"`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) throw invalidArgument(`invalid ${what} port range "${s}" in port spec "${spec}"`);
  return [a, b];
}

/**
 * Parses the short port syntax `[[IP:]HOST:]CONTAINER[/PROTOCOL]` (IPv6 hosts bare or in brackets) into
 * one entry per container port. Equal-length host and container ranges pair up; a host range with a
 * single container port stays a range in `published` (the engine picks one).
 */
export function parsePortString(spec: string): PortConfig[] {
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw invalidArgument(`invalid proto: ${protocol}`);
  }
  let hostIp: string | undefined;
  let hostPart: string | undefined;
  let containerPart: string;
  const parts = rest.split(':');
  containerPart = parts.pop()!;
  if (parts.length > 0) hostPart = parts.pop()!;
  if (parts.length > 0) {
    hostIp = parts.join(':');
    if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
  }
  if (hostIp === '') hostIp = undefined;
  if (hostPart === '') hostPart = undefined;
  containerPart = containerPart.trim();
  const [cStart, cEnd] = parseRange(containerPart, 'container', spec);
  const out: PortConfig[] = [];
  const base = (target: number, published?: string): PortConfig => ({
    target,
    ...(published !== undefined ? { published } : {}),
    ...(hostIp !== undefined ? { host_ip: hostIp } : {}),
    protocol,
    mode: 'ingress',
  });
  if (hostPart === undefined) {
    for (let p = cStart; p <= cEnd; p++) out.push(base(p));
    return out;
  }
  const [hStart, hEnd] = parseRange(hostPart, 'host', spec);
  if (cStart === cEnd) return [base(cStart, hStart === hEnd ? String(hStart) : `${hStart}-${hEnd}`)];
  if (hEnd - hStart !== cEnd - cStart) {
    throw invalidArgument(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }
  for (let i = 0; i <= cEnd - cStart; i++) out.push(base(cStart + i, String(hStart + i)));
  return out;
}

/** Parses one `ports:` entry: a number, a short-syntax string or a long-syntax mapping. */
export function parsePortEntry(v: YamlValue): PortConfig[] {
  if (typeof v === 'number') return parsePortString(String(v));
  if (typeof v === 'string') return parsePortString(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const target = Number(v['target']);
    if (!Number.isInteger(target)) throw invalidArgument(`invalid port target "${String(v['target'])}"`);
    const p: PortConfig = { target, protocol: String(v['protocol'] ?? 'tcp'), mode: String(v['mode'] ?? 'ingress') };
    if (v['published'] !== undefined && v['published'] !== null && v['published'] !== '') p.published = String(v['published']);
    if (v['host_ip'] !== undefined && v['host_ip'] !== null) p.host_ip = String(v['host_ip']);
    if (v['name'] !== undefined) p.name = String(v['name']);
    if (v['app_protocol'] !== undefined) p.app_protocol = String(v['app_protocol']);
    return [p];
  }
  throw invalidArgument(`invalid port ${JSON.stringify(v)}`);
}

/** The merge key of a port (spec 13-merge.md: `{ip, target, published, protocol}`). */
export function portKey(p: PortConfig): string {
  return `${p.host_ip ?? ''}|${p.target}|${p.published ?? ''}|${p.protocol}`;
}

/** The `expose:` entry normalised to `port[/proto]` strings, ranges expanded. */
export function parseExpose(v: YamlValue): string[] {
  const s = String(v);
  const [range, proto] = s.split('/');
  const [a, b] = parseRange(range!, 'exposed', s);
  const out: string[] = [];
  for (let p = a; p <= b; p++) out.push(proto ? `${p}/${proto}` : String(p));
  return out;
}
