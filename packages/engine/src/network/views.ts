// Docker-shaped views of the records (network inspect/list, endpoint settings) and list filters. Pure.
import { TdockError, invalidArgument, notFound } from '@tdock/core';
import type { Filters } from '../api/query.js';
import type { JsonObject } from '../api/types.js';
import { gateway6, v6Config } from './ipam.js';
import type { EndpointRecord, NetworkRecord } from './types.js';

/** Endpoints with an interface (attached to a running container). */
export function attachedEndpoints(n: NetworkRecord): EndpointRecord[] {
  return Object.values(n.endpoints).filter((e) => e.attached === true);
}

/** The prefix length of a network's first subnet. */
export function prefixLen(n: NetworkRecord): number {
  return Number(n.IPAM.Config[0]?.Subnet.split('/')[1] ?? 0);
}

/** The prefix length of a network's IPv6 subnet (0 without one). */
export function prefixLen6(n: NetworkRecord): number {
  return Number(n.IPAM.Config.find((c) => c.Subnet.includes(':'))?.Subnet.split('/')[1] ?? 0);
}

/** `GET /networks/{id}` and the list entries. */
export function networkView(n: NetworkRecord): JsonObject {
  const containers: JsonObject = {};
  for (const e of attachedEndpoints(n)) {
    containers[e.containerId] = {
      Name: e.containerName,
      EndpointID: e.endpointId,
      MacAddress: e.mac ?? '',
      IPv4Address: e.ipv4 ? `${e.ipv4}/${prefixLen(n)}` : '',
      IPv6Address: e.ipv6 ? `${e.ipv6}/${prefixLen6(n)}` : '',
    };
  }
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv4: true,
    EnableIPv6: n.EnableIPv6,
    IPAM: { Driver: n.IPAM.Driver, Options: n.IPAM.Options, Config: n.IPAM.Config.map((c) => ({ ...c })) },
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: { ...n.ConfigFrom },
    ConfigOnly: n.ConfigOnly,
    Containers: containers,
    Options: { ...n.Options },
    Labels: { ...n.Labels },
  };
}

/** The DNS names of an endpoint (API 1.45's DNSNames): name, aliases, short id, on user networks only. */
export function dnsNames(n: NetworkRecord, e: EndpointRecord): string[] {
  if (n.builtin) return [];
  return [...new Set([e.containerName, ...e.aliases, ...(e.dnsNames ?? []), e.containerId.slice(0, 12)])];
}

/** `NetworkSettings.Networks.<name>` for a container. */
export function endpointView(n: NetworkRecord, e: EndpointRecord): JsonObject {
  const cfg = n.IPAM.Config[0];
  const v6 = v6Config(n);
  return {
    IPAMConfig: e.staticIp ? { IPv4Address: e.staticIp } : null,
    Links: e.links.length ? [...e.links] : null,
    Aliases: e.aliases.length ? [...e.aliases] : null,
    MacAddress: e.mac ?? '',
    DriverOpts: null,
    NetworkID: n.Id,
    EndpointID: e.attached ? e.endpointId : '',
    Gateway: e.ipv4 ? (cfg?.Gateway ?? '') : '',
    IPAddress: e.ipv4 ?? '',
    IPPrefixLen: e.ipv4 ? prefixLen(n) : 0,
    IPv6Gateway: e.ipv6 && v6 ? gateway6(v6) : '',
    GlobalIPv6Address: e.ipv6 ?? '',
    GlobalIPv6PrefixLen: e.ipv6 ? prefixLen6(n) : 0,
    DNSNames: n.builtin ? null : dnsNames(n, e),
  };
}

/** Go filters.Match: the value equals the source or, as a regular expression, matches inside it. */
function matches(value: string, source: string): boolean {
  if (value === source) return true;
  try {
    return new RegExp(value).test(source);
  } catch {
    return false;
  }
}

const FILTER_KEYS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

/** Whether `n` passes every filter (each key: any of its values). */
export function networkMatches(n: NetworkRecord, filters: Filters): boolean {
  for (const [key, values] of filters) {
    if (!FILTER_KEYS.has(key)) throw new TdockError('invalid-argument', `invalid filter '${key}'`);
    if (!values.length) continue;
    const ok = values.some((v) => {
      switch (key) {
        case 'driver': return n.Driver === v;
        case 'id': return n.Id.startsWith(v) || matches(v, n.Id);
        case 'name': return matches(v, n.Name);
        case 'scope': return v === 'local';
        case 'type':
          if (v !== 'custom' && v !== 'builtin') throw new TdockError('invalid-argument', `invalid filter: 'type'='${v}'`);
          return (v === 'builtin') === n.builtin;
        case 'dangling': {
          const want = v === 'true' || v === '1';
          if (!['true', 'false', '1', '0'].includes(v)) throw new TdockError('invalid-argument', `invalid filter 'dangling=${v}'`);
          return want === (!n.builtin && attachedEndpoints(n).length === 0);
        }
        default: { // label
          const i = v.indexOf('=');
          return i < 0 ? v in n.Labels : n.Labels[v.slice(0, i)] === v.slice(i + 1);
        }
      }
    });
    if (!ok) return false;
  }
  return true;
}

/** Finds a network by full id, exact name, then unique id prefix (Docker's order). */
export function findNetwork(all: NetworkRecord[], ref: string): NetworkRecord {
  const byId = all.find((n) => n.Id === ref);
  if (byId) return byId;
  const byName = all.find((n) => n.Name === ref);
  if (byName) return byName;
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((n) => n.Id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw new TdockError('invalid-argument', `network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
  throw notFound(`network ${ref} not found`);
}

/** A prune `until` value: Unix seconds, a Go-like relative duration (`24h`), or a timestamp. */
export function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const rel = /^(\d+)(h|m|s)$/.exec(v);
  if (rel) return Date.now() - Number(rel[1]) * { h: 3600e3, m: 60e3, s: 1e3 }[rel[2] as 'h' | 'm' | 's'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
