// IPAM: subnets from address pools that collide with no host route or other network, and addresses
// inside a network that no endpoint holds. Pure functions over the records; the manager persists.
import { TdockError, invalidArgument } from '@tdock/core';
import { broadcast, contains, firstHost, formatCidr, formatIp, mustIp, overlaps, parseCidr, type Cidr } from './ipv4.js';
import { contains6, formatCidr6, formatIp6, isV6, last6, mustIp6, parseCidr6 } from './ipv6.js';
import type { IpamConfig, NetworkRecord } from './types.js';

/** dockerd's default-address-pools. */
export const DOCKER_DEFAULT_POOLS: ReadonlyArray<{ base: string; size: number }> = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** The first subnet of the pools that overlaps nothing in `taken`. */
export function pickSubnet(pools: ReadonlyArray<{ base: string; size: number }>, taken: Cidr[]): Cidr | undefined {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.bits || pool.size > 30) throw invalidArgument(`invalid address pool size ${pool.size} for ${pool.base}`);
    const step = 2 ** (32 - pool.size);
    const count = 2 ** (pool.size - base.bits);
    for (let i = 0; i < count; i++) {
      const c: Cidr = { base: (base.base + i * step) >>> 0, bits: pool.size };
      if (!taken.some((t) => overlaps(c, t))) return c;
    }
  }
  return undefined;
}

/** The IPv4 subnets every record occupies. */
export function networkSubnets(records: NetworkRecord[]): Cidr[] {
  return records.flatMap((r) => r.IPAM.Config.filter((c) => !isV6(c.Subnet)).map((c) => parseCidr(c.Subnet)));
}

/** A network's IPv4 pool (the first entry) and IPv6 pool (when it has one). */
export function v4Config(n: NetworkRecord): IpamConfig | undefined {
  return n.IPAM.Config.find((c) => !isV6(c.Subnet));
}

/** The IPv6 pool in use: only on a network created with --ipv6 (dockerd keeps but ignores one without). */
export function v6Config(n: NetworkRecord): IpamConfig | undefined {
  return n.EnableIPv6 ? n.IPAM.Config.find((c) => isV6(c.Subnet)) : undefined;
}

/**
 * Validates a user's IPAM config (subnet, ip-range inside it, gateway inside it) and fills in the
 * gateway: Docker's first host address when none is given.
 */
export function normalizeIpamConfig(c: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }): IpamConfig {
  if (!c.Subnet) throw invalidArgument('invalid pool request: a subnet is required when an IP range or gateway is given');
  const subnet = parseCidr(c.Subnet, true);
  const out: IpamConfig = { Subnet: formatCidr(subnet) };
  if (c.IPRange) {
    const range = parseCidr(c.IPRange, true);
    if (range.bits < subnet.bits || !contains(subnet, range.base)) throw invalidArgument(`invalid ip-range ${c.IPRange}: it must be inside subnet ${out.Subnet}`);
    out.IPRange = formatCidr(range);
  }
  const gw = c.Gateway ? mustIp(c.Gateway, 'gateway') : firstHost(subnet);
  if (!contains(subnet, gw)) throw invalidArgument(`no matching subnet for gateway ${c.Gateway ?? ''}`);
  out.Gateway = formatIp(gw);
  if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length) {
    for (const [k, v] of Object.entries(c.AuxiliaryAddresses)) {
      if (!contains(subnet, mustIp(v, `auxiliary address ${k}`))) throw invalidArgument(`no matching subnet for aux-address ${v}`);
    }
    out.AuxiliaryAddresses = { ...c.AuxiliaryAddresses };
  }
  return out;
}

/** The gateway of an IPv6 pool: the one given, else the subnet's `::1`. */
export function gateway6(cfg: IpamConfig): string {
  return cfg.Gateway ?? formatIp6(parseCidr6(cfg.Subnet).base + 1n);
}

/** The IPv6 version of {@link normalizeIpamConfig}: subnet, ip-range and the gateway when given. */
export function normalizeIpamConfig6(c: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }): IpamConfig {
  const subnet = parseCidr6(c.Subnet ?? '', true);
  if (subnet.bits > 126) throw invalidArgument(`invalid pool request: IPv6 subnet ${c.Subnet ?? ''} is too small`);
  const out: IpamConfig = { Subnet: formatCidr6(subnet) };
  if (c.IPRange) {
    const range = parseCidr6(c.IPRange, true);
    if (range.bits < subnet.bits || !contains6(subnet, range.base)) throw invalidArgument(`invalid ip-range ${c.IPRange}: it must be inside subnet ${out.Subnet}`);
    out.IPRange = formatCidr6(range);
  }
  if (c.Gateway) {
    // Kept only when given: dockerd 20.10 shows no IPv6 gateway it chose itself (see gateway6).
    const gw = mustIp6(c.Gateway, 'gateway');
    if (!contains6(subnet, gw)) throw invalidArgument(`no matching subnet for gateway ${c.Gateway}`);
    out.Gateway = formatIp6(gw);
  }
  if (c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length) throw invalidArgument('auxiliary addresses on an IPv6 pool are not supported by tdock');
  return out;
}

/** Picks the next free IPv6 address of `net` after `net.lastIp6` (the subnet's `::2` first), in its ip-range or subnet. */
export function allocateAddress6(net: NetworkRecord, containerId: string): { ip: string; prefix: number } | undefined {
  const cfg = v6Config(net);
  if (!cfg) return undefined;
  const subnet = parseCidr6(cfg.Subnet);
  const used = new Set<bigint>([subnet.base, mustIp6(gateway6(cfg))]);
  for (const ep of Object.values(net.endpoints)) if (ep.ipv6 && ep.containerId !== containerId) used.add(mustIp6(ep.ipv6));
  const range = cfg.IPRange ? parseCidr6(cfg.IPRange) : subnet;
  const lo = range.base > subnet.base ? range.base : subnet.base + 1n;
  const hi = last6(range);
  const span = hi - lo + 1n;
  const last = net.lastIp6 ? mustIp6(net.lastIp6) : lo - 1n;
  // Sequential like IPv4; a network never holds more endpoints than this bound tries.
  const tries = span < 65536n ? Number(span) : 65536;
  for (let i = 1; i <= tries; i++) {
    const n = lo + ((((last - lo + BigInt(i)) % span) + span) % span);
    if (!used.has(n)) return { ip: formatIp6(n), prefix: subnet.bits };
  }
  throw new TdockError('unavailable', `no available IPv6 addresses on network ${net.Name}`);
}

/** Every address of `net` that is taken: gateway, auxiliary addresses, attached endpoints. */
function usedAddresses(net: NetworkRecord, exceptContainer?: string): Set<number> {
  const used = new Set<number>();
  for (const c of net.IPAM.Config.filter((x) => !isV6(x.Subnet))) {
    if (c.Gateway) used.add(mustIp(c.Gateway));
    for (const a of Object.values(c.AuxiliaryAddresses ?? {})) used.add(mustIp(a));
  }
  for (const ep of Object.values(net.endpoints)) if (ep.ipv4 && ep.containerId !== exceptContainer) used.add(mustIp(ep.ipv4));
  return used;
}

/** Checks a static address: inside the network's subnet; throws invalid-argument otherwise. */
export function checkStaticIp(net: NetworkRecord, ip: string): void {
  const n = mustIp(ip, 'IPv4 address');
  const cfg = v4Config(net);
  if (!cfg) throw invalidArgument(`user specified IP address is supported only when connecting to networks with user configured subnets`);
  if (!contains(parseCidr(cfg.Subnet), n)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${ip}`);
}

/**
 * Picks an address for `containerId` in `net`: its static one when asked (conflict when taken), else
 * the next free one after `net.lastIp` within the ip-range (or subnet), wrapping once.
 */
export function allocateAddress(net: NetworkRecord, containerId: string, staticIp?: string): { ip: string; prefix: number; gateway: string } {
  const cfg = v4Config(net);
  if (!cfg) throw new TdockError('internal', `network ${net.Name} has no IPv4 subnet`);
  const subnet = parseCidr(cfg.Subnet);
  const gateway = cfg.Gateway ?? formatIp(firstHost(subnet));
  const used = usedAddresses(net, containerId);
  if (staticIp) {
    checkStaticIp(net, staticIp);
    const n = mustIp(staticIp);
    if (used.has(n) || n === subnet.base || n === broadcast(subnet)) throw new TdockError('conflict', `Address already in use: ${staticIp}`);
    return { ip: formatIp(n), prefix: subnet.bits, gateway };
  }
  const range = cfg.IPRange ? parseCidr(cfg.IPRange) : subnet;
  const lo = Math.max(range.base, subnet.base + 1);
  const hi = Math.min(broadcast(range), broadcast(subnet) - 1);
  const last = net.lastIp ? mustIp(net.lastIp) : lo - 1;
  const span = hi - lo + 1;
  for (let i = 1; i <= span; i++) {
    const n = lo + ((((last - lo + i) % span) + span) % span);
    if (!used.has(n)) return { ip: formatIp(n), prefix: subnet.bits, gateway };
  }
  throw new TdockError('unavailable', `no available IPv4 addresses on network ${net.Name}`);
}
