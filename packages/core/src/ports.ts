import { invalidArgument } from './errors.js';

/** One host binding of a container port, as the Engine API's PortBinding ("" means any/random). */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** A parsed `-p` spec: exposed ports ("80/tcp") and their host bindings. */
export interface PortSpecs {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function parseRange(text: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw invalidArgument(`invalid ${what}: ${text || spec}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start < 0 || end > 65535 || end < start) throw invalidArgument(`invalid ${what}: ${text}`);
  return [start, end];
}

/**
 * Parses one port spec as docker's nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`,
 * with ranges (`8000-8001:80-81`), IPv6 in brackets, and a host range for a single container port.
 */
export function parsePortSpec(spec: string): { port: string; binding: PortBinding }[] {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!PROTOCOLS.has(proto)) throw invalidArgument(`invalid proto: ${proto}`);
  }
  let ip = '';
  let hostPart = '';
  let containerPart: string;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    ip = v6[1]!;
    const parts = v6[2]!.split(':');
    if (parts.length !== 2) throw invalidArgument(`invalid port format: ${spec}`);
    [hostPart, containerPart] = parts as [string, string];
  } else {
    const parts = rest.split(':');
    if (parts.length === 1) containerPart = parts[0]!;
    else if (parts.length === 2) [hostPart, containerPart] = parts as [string, string];
    else if (parts.length === 3) [ip, hostPart, containerPart] = parts as [string, string, string];
    else throw invalidArgument(`invalid port format: ${spec}`);
  }
  if (ip && !/^[0-9.]+$/.test(ip) && !ip.includes(':')) throw invalidArgument(`invalid IP address: ${ip}`);
  if (!containerPart) throw invalidArgument(`no port specified: ${spec}<empty>`);
  const [cStart, cEnd] = parseRange(containerPart, 'containerPort', spec);
  let hStart = 0;
  let hEnd = 0;
  if (hostPart) [hStart, hEnd] = parseRange(hostPart, 'hostPort', spec);
  const cCount = cEnd - cStart;
  const hCount = hEnd - hStart;
  if (hostPart && cCount !== hCount && !(cCount === 0 && hCount > 0)) {
    throw invalidArgument(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }
  const out: { port: string; binding: PortBinding }[] = [];
  for (let i = 0; i <= cCount; i++) {
    let hostPort = '';
    if (hostPart) hostPort = cCount === 0 && hCount > 0 ? `${hStart}-${hEnd}` : String(hStart + i);
    out.push({ port: `${cStart + i}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } });
  }
  return out;
}

/** Parses many `-p` specs into ExposedPorts and PortBindings (docker's nat.ParsePortSpecs). */
export function parsePortSpecs(specs: string[]): PortSpecs {
  const result: PortSpecs = { exposed: {}, bindings: {} };
  for (const spec of specs) {
    for (const { port, binding } of parsePortSpec(spec)) {
      result.exposed[port] = {};
      (result.bindings[port] ??= []).push(binding);
    }
  }
  return result;
}
