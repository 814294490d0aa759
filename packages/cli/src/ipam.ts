// docker/cli network create's createIPAMConfig: subnets, ip-ranges, gateways and aux-addresses
// consolidated per subnet, each range, gateway and address going to the subnet that contains it.
import net from 'node:net';
import { StatusError } from './exit.js';

interface Cidr {
  bits: number;
  network: bigint;
  prefix: number;
}

function ipValue(ip: string): { bits: number; value: bigint } | undefined {
  if (net.isIPv4(ip)) return { bits: 32, value: ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  if (!net.isIPv6(ip)) return undefined;
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipValue(v4[1]!)!.value;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parts = (s: string): string[] => (s ? s.split(':') : []);
  const groups = tail === undefined ? parts(head) : [...parts(head), ...Array<string>(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)];
  return { bits: 128, value: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** Go's net.ParseCIDR, with its error text. */
function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? undefined : ipValue(text.slice(0, slash));
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!ip || !(prefix <= ip.bits)) throw new Error(`invalid CIDR address: ${text}`);
  const mask = ((1n << BigInt(ip.bits)) - 1n) ^ ((1n << BigInt(ip.bits - prefix)) - 1n);
  return { bits: ip.bits, network: ip.value & mask, prefix };
}

/** subnetMatches: whether `data` (an address or a CIDR's address) lies in `subnet`. */
function subnetMatches(subnet: string, data: string): boolean {
  let s: Cidr;
  try {
    s = parseCidr(subnet);
  } catch (err) {
    throw new StatusError(1, `invalid subnet: ${(err as Error).message}`);
  }
  let ip: { bits: number; value: bigint } | undefined;
  if (data.includes('/')) {
    try {
      const c = parseCidr(data);
      ip = { bits: c.bits, value: ipValue(data.slice(0, data.indexOf('/')))!.value };
    } catch (err) {
      throw new StatusError(1, (err as Error).message);
    }
  } else ip = ipValue(data);
  if (!ip || ip.bits !== s.bits) return false;
  const shift = BigInt(s.bits - s.prefix);
  return ip.value >> shift === s.network >> shift;
}

export interface IpamOptions {
  driver: string;
  subnets: string[];
  ipRanges: string[];
  gateways: string[];
  auxAddresses: Record<string, string>;
  driverOpts: Record<string, string>;
}

export interface IpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** createIPAMConfig with docker's errors (exit 1). */
export function createIpamConfig(o: IpamOptions): { Driver: string; Config: IpamConfig[]; Options: Record<string, string> } {
  if (o.subnets.length < o.ipRanges.length || o.subnets.length < o.gateways.length) throw new StatusError(1, 'every ip-range or gateway must have a corresponding subnet');
  const data = new Map<string, IpamConfig>();
  for (const s of o.subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new StatusError(1, 'multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  for (const r of o.ipRanges) {
    let match = false;
    for (const s of o.subnets) {
      try {
        parseCidr(r);
      } catch (err) {
        throw new StatusError(1, (err as Error).message);
      }
      if (!subnetMatches(s, r)) continue;
      const d = data.get(s)!;
      if (d.IPRange) throw new StatusError(1, `cannot configure multiple ranges (${r}, ${d.IPRange}) on the same subnet (${s})`);
      d.IPRange = r;
      match = true;
    }
    if (!match) throw new StatusError(1, `no matching subnet for range ${r}`);
  }
  for (const g of o.gateways) {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, g)) continue;
      const d = data.get(s)!;
      if (d.Gateway) throw new StatusError(1, `cannot configure multiple gateways (${g}, ${d.Gateway}) for the same subnet (${s})`);
      d.Gateway = g;
      match = true;
    }
    if (!match) throw new StatusError(1, `no matching subnet for gateway ${g}`);
  }
  for (const [key, addr] of Object.entries(o.auxAddresses)) {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, addr)) continue;
      data.get(s)!.AuxiliaryAddresses![key] = addr;
      match = true;
    }
    if (!match) throw new StatusError(1, `no matching subnet for aux-address ${addr}`);
  }
  // Go's omitempty: no AuxiliaryAddresses key when there are none.
  const config = [...data.values()].map((c) => (Object.keys(c.AuxiliaryAddresses ?? {}).length ? c : (({ AuxiliaryAddresses: _, ...rest }) => rest)(c)));
  return { Driver: o.driver, Config: config, Options: o.driverOpts };
}
