// IPv4 address arithmetic for IPAM: parsing, CIDRs, overlap, Docker's MAC derivation. Pure.
import { invalidArgument } from '@tdock/core';

/** An IPv4 network: `base` (host bits zero) and prefix length. */
export interface Cidr {
  base: number;
  bits: number;
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad IPv4; undefined when it is not one. */
export function parseIp(s: string): number | undefined {
  const m = IP_RE.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Parses an IPv4 address or throws invalid-argument naming `what`. */
export function mustIp(s: string, what = 'IP address'): number {
  const n = parseIp(s);
  if (n === undefined) throw invalidArgument(`invalid ${what}: ${s}`);
  return n;
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
}

/** Parses `a.b.c.d/n`; with `strict` false the host bits are cleared (as `--bip 10.0.0.1/24` means 10.0.0.0/24). */
export function parseCidr(s: string, strict = false): Cidr {
  const [addr, len, extra] = s.trim().split('/');
  const ip = addr === undefined ? undefined : parseIp(addr);
  const bits = len !== undefined && /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (ip === undefined || extra !== undefined || !(bits >= 0 && bits <= 32)) throw invalidArgument(`invalid CIDR address: ${s}`);
  const base = (ip & maskOf(bits)) >>> 0;
  if (strict && base !== ip) throw invalidArgument(`invalid pool request: ${s} is not a network address (did you mean ${formatCidr({ base, bits })}?)`);
  return { base, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

/** The number of addresses in `c`. */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.bits)) >>> 0) === c.base;
}

/** Whether two networks share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((a.base & maskOf(bits)) >>> 0) === ((b.base & maskOf(bits)) >>> 0);
}

/** The first usable host address (`.1` of a /24): Docker's default gateway. */
export function firstHost(c: Cidr): number {
  return c.bits >= 31 ? c.base : c.base + 1;
}

/** The broadcast address, never handed out. */
export function broadcast(c: Cidr): number {
  return (c.base + cidrSize(c) - 1) >>> 0;
}

/** Docker's MAC for an IPv4 address: 02:42 then the four address bytes. */
export function macFromIp(ip: number): string {
  const bytes = [0x02, 0x42, (ip >>> 24) & 255, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Host routes as CIDRs from `ip -j -4 route show table all` output (the default route excluded). */
export function routesFromIpJson(json: string): Cidr[] {
  const out: Cidr[] = [];
  let routes: Array<{ dst?: string }>;
  try {
    routes = JSON.parse(json || '[]') as Array<{ dst?: string }>;
  } catch {
    return out;
  }
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    const dst = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
    try {
      out.push(parseCidr(dst));
    } catch {
      // not IPv4 or not a network (broadcast/local entries with odd forms)
    }
  }
  return out;
}
