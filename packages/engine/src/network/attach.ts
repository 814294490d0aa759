// Attaching a starting container to its networks (during the runtime's handshake, by the init's host
// pid) and detaching it again. Called by the manager on its serial queue.
import { stat } from 'node:fs/promises';
import { TdockError } from '@tdock/core';
import type { JsonObject } from '../api/types.js';
import { allocateAddress, allocateAddress6 } from './ipam.js';
import { macFromIp, mustIp } from './ipv4.js';
import { choosePorts, portsView, wantedPorts, type PortRequest } from './ports.js';
import { parseRate } from './rate.js';
import type { EndpointRecord, NetworkRecord, PortMapping } from './types.js';
import { attachedEndpoints, endpointView, prefixLen } from './views.js';
import type { NetworkManager } from './manager.js';

/** What the engine passes at start from the container's config. */
export interface NetworkAttachOptions {
  /** ExposedPorts, HostConfig.PortBindings and PublishAllPorts. */
  ports?: PortRequest;
  /** HostConfig.NetworkRate (`10mbit`): limits traffic in and out of the container. */
  networkRate?: string;
  /** Attach only this network (hot-plug by connect on a running container). */
  only?: string;
}

/** Docker's NetworkSettings (the top-level address fields are those on the default bridge). */
export type NetworkSettings = JsonObject;

export async function attachContainer(m: NetworkManager, containerId: string, pid: number, opts: NetworkAttachOptions): Promise<NetworkSettings> {
  const all = m.endpointsOf(containerId);
  const touched = new Set<NetworkRecord>();
  const done: EndpointRecord[] = [];
  if (all.some(({ n }) => n.Driver !== 'host')) await m.opts.checkNamespace(pid);
  try {
    const rate = opts.networkRate ? parseRate(opts.networkRate) : undefined;
    const names = new Set(all.flatMap(({ e }) => (e.attached && e.ifname ? [e.ifname] : [])));
    let routed = all.some(({ n, e }) => e.hostVeth && !n.Internal);
    for (const { n, e } of all) {
      if (e.attached || (opts.only && n.Id !== opts.only)) continue;
      touched.add(n);
      done.push(e);
      if (n.Driver === 'null') {
        await m.plumbing.links.loopbackUp(pid);
      } else if (n.Driver === 'bridge') {
        await m.plumbing.ensureNetwork(n, m.lookupOn(n.Id));
        const a = allocateAddress(n, containerId, e.staticIp);
        let i = 0;
        while (names.has(`eth${i}`)) i++;
        e.ifname = `eth${i}`;
        names.add(e.ifname);
        e.ipv4 = a.ip;
        const a6 = allocateAddress6(n, containerId);
        if (a6) {
          e.ipv6 = a6.ip;
          n.lastIp6 = a6.ip;
        }
        e.mac = e.userMac ?? macFromIp(mustIp(a.ip));
        e.hostVeth = m.plumbing.hostVethName(n, e);
        e.attached = true;
        n.lastIp = a.ip;
        // Durable before the address is live: after a crash here, restore() frees it (no veth exists).
        await m.store.save(n);
        const withRoute = !n.Internal && !routed;
        await m.plumbing.plug(n, e, pid, e.ifname, withRoute);
        routed ||= withRoute;
        if (rate !== undefined) await m.plumbing.limit(n, e, rate);
      }
      e.attached = true;
    }
    if (!all.length) await m.plumbing.links.loopbackUp(pid); // no endpoint recorded: at least a working lo
    const first = all.find(({ n, e }) => n.Driver === 'bridge' && e.attached);
    if (first && opts.ports && !opts.only) {
      const taken = new Set(m.store.all().flatMap((n) => Object.values(n.endpoints)).flatMap((e) => (e.ports ?? []).map((p) => `${p.proto}/${p.hostPort}`)));
      first.e.ports = await choosePorts(wantedPorts(opts.ports), taken);
      touched.add(first.n);
      if (first.e.ports.length && first.e.hostVeth) await m.plumbing.links.hairpinOn(first.e.hostVeth);
    }
    for (const n of touched) await m.store.save(n);
    await m.plumbing.syncRules(m.store.all());
  } catch (err) {
    // undo only what this call did: a failed hot-plug leaves the container's other networks alone
    for (const e of done) {
      await m.plumbing.unplug(e).catch(() => undefined);
      clearAttachment(e);
    }
    for (const n of touched) await m.store.save(n).catch(() => undefined);
    await m.plumbing.syncRules(m.store.all()).catch(() => undefined);
    throw err;
  }
  return networkSettings(m, containerId, opts.ports, pid);
}

export async function detachContainer(m: NetworkManager, containerId: string): Promise<void> {
  let changed = false;
  for (const { n, e } of m.endpointsOf(containerId)) {
    if (!e.attached && !e.hostVeth) continue;
    await m.plumbing.unplug(e);
    clearAttachment(e);
    await m.store.save(n);
    changed = true;
  }
  if (changed) await m.plumbing.syncRules(m.store.all());
}

/** Clears what an attachment set on an endpoint. */
export function clearAttachment(e: EndpointRecord): void {
  for (const k of ['attached', 'ifname', 'ipv4', 'ipv6', 'mac', 'hostVeth', 'ifb', 'ports', 'rateBps'] as const) delete e[k];
}

/**
 * Docker's NetworkSettings for a container from the records: Networks always (also when created),
 * addresses and Ports while attached. `ports` gives the exposed ports that show as unpublished (null).
 */
export function networkSettings(m: NetworkManager, containerId: string, ports?: PortRequest, pid?: number): NetworkSettings {
  const eps = m.endpointsOf(containerId);
  const mappings: PortMapping[] = eps.flatMap(({ e }) => e.ports ?? []);
  const attached = eps.some(({ e }) => e.attached);
  const def = eps.find(({ n }) => n.Name === 'bridge' && n.builtin);
  const networks: Record<string, JsonObject> = {};
  for (const { n, e } of eps) networks[n.Name] = endpointView(n, e);
  const d = def?.e;
  return {
    Bridge: '',
    SandboxID: attached ? containerId : '',
    SandboxKey: attached && pid ? `/proc/${pid}/ns/net` : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: attached ? portsView(ports ?? {}, mappings) : {},
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: d?.attached ? d.endpointId : '',
    Gateway: d?.ipv4 ? (def?.n.IPAM.Config[0]?.Gateway ?? '') : '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: d?.ipv4 ?? '',
    IPPrefixLen: d?.ipv4 && def ? prefixLen(def.n) : 0,
    IPv6Gateway: '',
    MacAddress: d?.mac ?? '',
    Networks: networks,
  };
}

/** A safety net: never configure the daemon's own network namespace as if it were a container's. */
export async function refuseHostNamespace(pid: number): Promise<void> {
  const [theirs, ours] = await Promise.all([stat(`/proc/${pid}/ns/net`), stat('/proc/self/ns/net')]).catch((e: Error) => {
    throw new TdockError('internal', `cannot see the network namespace of pid ${pid}: ${e.message}`, { cause: e });
  });
  if (theirs.ino === ours.ino && theirs.dev === ours.dev) throw new TdockError('internal', `pid ${pid} is in the host's network namespace`);
}

/** Whether any container is attached to `n` (used by callers deciding on cleanup). */
export function inUse(n: NetworkRecord): boolean {
  return attachedEndpoints(n).length > 0;
}
