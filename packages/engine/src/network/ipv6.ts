// IPv6 address arithmetic for the IPv6 pool of a user network (`docker network create --ipv6 --subnet
// fd00::/64`): parsing, RFC 5952 formatting, CIDRs, overlap. Addresses are 128-bit bigints. Pure.
import { invalidArgument } from '@tdock/core';

/** An IPv6 network: `base` (host bits zero) and prefix length. */
export interface Cidr6 {
  base: bigint;
  bits: number;
}

const ALL = (1n << 128n) - 1n;

/** Whether `s` is written as an IPv6 address or network (it has a colon). */
export function isV6(s: string): boolean {
  return s.includes(':');
}

/** Parses an IPv6 address (`::` shorthand, an embedded dotted quad at the end); undefined when it is not one. */
export function parseIp6(s: string): bigint | undefined {
  let text = s.trim();
  const quad = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (quad) {
    const b = quad.slice(2).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    text = `${quad[1]}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Parses an IPv6 address or throws invalid-argument naming `what`. */
export function mustIp6(s: string, what = 'IPv6 address'): bigint {
  const n = parseIp6(s);
  if (n === undefined) throw invalidArgument(`invalid ${what}: ${s}`);
  return n;
}

/** RFC 5952: lower case, no leading zeros, the longest run (2+ groups, first on a tie) of zero groups as `::`. */
export function formatIp6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function mask6(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

/** Parses `addr/n`; with `strict` a network address with host bits set is refused. */
export function parseCidr6(s: string, strict = false): Cidr6 {
  const [addr, len, extra] = s.trim().split('/');
  const ip = addr === undefined ? undefined : parseIp6(addr);
  const bits = len !== undefined && /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (ip === undefined || extra !== undefined || !(bits >= 0 && bits <= 128)) throw invalidArgument(`invalid CIDR address: ${s}`);
  const base = ip & mask6(bits);
  if (strict && base !== ip) throw invalidArgument(`invalid pool request: ${s} is not a network address (did you mean ${formatCidr6({ base, bits })}?)`);
  return { base, bits };
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIp6(c.base)}/${c.bits}`;
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask6(c.bits)) === c.base;
}

/** Whether two networks share any address. */
export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const bits = Math.min(a.bits, b.bits);
  return (a.base & mask6(bits)) === (b.base & mask6(bits));
}

/** The last address of `c`. */
export function last6(c: Cidr6): bigint {
  return c.base | (~mask6(c.bits) & ALL);
}
