// Published ports: HostConfig.PortBindings (+ PublishAllPorts over ExposedPorts) into concrete
// mappings with host ports chosen, and back into NetworkSettings.Ports (what `docker port` reads).
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { TdockError, invalidArgument } from '@tdock/core';
import type { PortMapping } from './types.js';

/** What the engine passes from the container's config. */
export interface PortRequest {
  PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  ExposedPorts?: Record<string, unknown>;
  PublishAllPorts?: boolean;
}

/** A binding before a host port is chosen: `hostPorts` empty means any free port. */
interface Wanted { proto: 'tcp' | 'udp'; containerPort: number; hostIp: string; hostPorts: [number, number] | undefined }

function parseKey(key: string): { proto: 'tcp' | 'udp'; port: number } {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!/^\d+$/.test(p ?? '') || port < 1 || port > 65535) throw invalidArgument(`invalid container port: ${key}`);
  if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`unsupported protocol ${proto} in ${key} (tcp and udp are)`);
  return { proto, port };
}

function parseHostPorts(s: string | undefined): [number, number] | undefined {
  if (!s) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = Number(m?.[1]);
  const hi = m?.[2] ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw invalidArgument(`invalid host port: ${s}`);
  return [lo, hi];
}

/** The bindings a container asks for, in a stable order. */
export function wantedPorts(req: PortRequest): Wanted[] {
  const out: Wanted[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(req.PortBindings ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const { proto, port } = parseKey(key);
    seen.add(`${port}/${proto}`);
    for (const b of list ?? [{}]) out.push({ proto, containerPort: port, hostIp: b.HostIp ?? '', hostPorts: parseHostPorts(b.HostPort) });
  }
  if (req.PublishAllPorts) {
    for (const key of Object.keys(req.ExposedPorts ?? {}).sort()) {
      const { proto, port } = parseKey(key);
      if (!seen.has(`${port}/${proto}`)) out.push({ proto, containerPort: port, hostIp: '', hostPorts: undefined });
    }
  }
  return out;
}

/** Whether `port` can be bound now on `hostIp` (nobody else listens there). */
async function bindable(proto: 'tcp' | 'udp', hostIp: string, port: number): Promise<boolean> {
  const host = hostIp || '0.0.0.0';
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
    } else {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
    }
  });
}

/** A random free port chosen by the kernel from its ephemeral range. */
async function ephemeral(proto: 'tcp' | 'udp', hostIp: string): Promise<number> {
  const host = hostIp || '0.0.0.0';
  return new Promise((resolve, reject) => {
    if (proto === 'tcp') {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen({ host, port: 0, exclusive: true }, () => { const p = (srv.address() as AddressInfo).port; srv.close(() => resolve(p)); });
    } else {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind({ address: host, port: 0, exclusive: true }, () => { const p = s.address().port; s.close(() => resolve(p)); });
    }
  });
}

/**
 * Chooses host ports: a fixed one must be free of other mappings and of host listeners (conflict
 * otherwise, as Docker's "port is already allocated"); a range takes its first free port; none takes
 * an ephemeral port from the kernel.
 * `taken` holds `proto/port` of every mapping already applied.
 */
export async function choosePorts(wanted: Wanted[], taken: Set<string>): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  for (const w of wanted) {
    let hostPort: number | undefined;
    if (!w.hostPorts) {
      for (let i = 0; i < 20 && hostPort === undefined; i++) {
        const p = await ephemeral(w.proto, w.hostIp);
        if (!taken.has(`${w.proto}/${p}`)) hostPort = p;
      }
    } else {
      for (let p = w.hostPorts[0]; p <= w.hostPorts[1] && hostPort === undefined; p++) {
        if (!taken.has(`${w.proto}/${p}`) && (await bindable(w.proto, w.hostIp, p))) hostPort = p;
      }
    }
    if (hostPort === undefined) {
      const what = w.hostPorts ? `${w.hostIp || '0.0.0.0'}:${w.hostPorts[0]}` : 'a random port';
      throw new TdockError('conflict', `driver failed programming external connectivity: Bind for ${what} failed: port is already allocated`);
    }
    taken.add(`${w.proto}/${hostPort}`);
    out.push({ proto: w.proto, containerPort: w.containerPort, hostIp: w.hostIp, hostPort });
  }
  return out;
}

/** NetworkSettings.Ports: every exposed or bound port, null when unpublished. */
export function portsView(req: PortRequest, mappings: PortMapping[]): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const view: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of [...Object.keys(req.ExposedPorts ?? {}), ...Object.keys(req.PortBindings ?? {})]) {
    const { proto, port } = parseKey(key);
    view[`${port}/${proto}`] ??= null;
  }
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.proto}`;
    (view[key] ??= []).push({ HostIp: m.hostIp || '0.0.0.0', HostPort: String(m.hostPort) });
  }
  return view;
}
