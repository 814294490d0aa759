// The network manager: Docker's network API (NetworkService) over persisted records, plus the calls
// the container lifecycle makes (connectAtCreate, attach at start, detach at stop, release at removal).
import { randomBytes } from 'node:crypto';
import { TdockError, conflict, invalidArgument, notFound } from '@tdock/core';
import type { Filters } from '../api/query.js';
import type { EndpointSettings, JsonObject, NetworkCreateBody } from '../api/types.js';
import type { NetworkService } from '../api/services.js';
import { execRunner } from './host-ops.js';
import { DOCKER_DEFAULT_POOLS, checkStaticIp, networkSubnets, normalizeIpamConfig, normalizeIpamConfig6, pickSubnet } from './ipam.js';
import { isV6, overlaps6, parseCidr6 } from './ipv6.js';
import { firstHost, formatCidr, formatIp, mustIp, overlaps, parseCidr, routesFromIpJson, type Cidr } from './ipv4.js';
import { Plumbing, linkName, lookupFor } from './plumbing.js';
import { NetworkStore } from './store.js';
import type { ContainerRef, EndpointRecord, NetworkManagerOptions, NetworkRecord } from './types.js';
import { attachedEndpoints, endpointView, findNetwork, networkMatches, networkView, parseUntil } from './views.js';
import { attachContainer, clearAttachment, refuseHostNamespace, detachContainer, networkSettings, type NetworkAttachOptions, type NetworkSettings } from './attach.js';
import type { PortRequest } from './ports.js';
import { hostNameservers, hostsFile, resolvConf } from './etc-files.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const newId = (): string => randomBytes(32).toString('hex');

/** Docker's options on the predefined bridge network. */
function defaultBridgeOptions(bridge: string, mtu: number): Record<string, string> {
  return {
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.bridge.enable_icc': 'true',
    'com.docker.network.bridge.enable_ip_masquerade': 'true',
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    'com.docker.network.bridge.name': bridge,
    'com.docker.network.driver.mtu': String(mtu),
  };
}

/** Owns networks, endpoints and their kernel state. Mutations are serialised on one queue. */
export class NetworkManager implements NetworkService {
  readonly store: NetworkStore;
  readonly plumbing: Plumbing;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = Date.now();
  readonly opts: Required<Omit<NetworkManagerOptions, 'bip' | 'hostResolvConf'>> & Pick<NetworkManagerOptions, 'bip' | 'hostResolvConf'>;

  constructor(o: NetworkManagerOptions) {
    const runner = o.runner ?? execRunner();
    this.opts = {
      bridgeName: 'tdock0', linkPrefix: 'tdk', nftTable: 'tdock', defaultAddressPools: [...DOCKER_DEFAULT_POOLS], mtu: 1500,
      ipMasq: true, ipForward: true, dnsForward: false, dnsPort: 53, warn: () => undefined, runner, checkNamespace: refuseHostNamespace,
      hostRoutes: async () => routesFromIpJson(await runner.run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']).catch(() => '[]')),
      ...o,
    };
    if (this.opts.linkPrefix.length > 7) throw invalidArgument(`link prefix ${this.opts.linkPrefix} is longer than 7 characters`);
    this.store = new NetworkStore(o.dataRoot);
    const upstream = this.opts.dnsForward ? hostNameservers(o.hostResolvConf ?? '') : [];
    this.plumbing = new Plumbing(runner, { ...this.opts, upstream });
  }

  /** Runs `fn` after every earlier mutation finished. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Loads the records, creates the predefined networks on first start, forgets attachments whose host
   * veth vanished while the daemon was down (the container's namespace died), rebuilds the nftables
   * table and restarts the DNS servers. Call once at daemon start, before serving. With `running`
   * (the engine's view after reconciling with its shims), attachments of containers that are not
   * running are freed too, also those without a veth (host, none).
   */
  restore(running?: (containerId: string) => boolean): Promise<void> {
    return this.serial(async () => {
      await this.store.load();
      await this.ensurePredefined();
      for (const n of this.store.all()) {
        let changed = false;
        for (const e of attachedEndpoints(n)) {
          const dead = running ? !running(e.containerId) : false;
          if (dead || (e.hostVeth && !(await this.plumbing.links.linkExists(e.hostVeth)))) {
            await this.plumbing.unplug(e);
            clearAttachment(e);
            changed = true;
          }
        }
        if (changed) await this.store.save(n);
        if (attachedEndpoints(n).some((e) => e.hostVeth)) await this.plumbing.ensureNetwork(n, this.lookup(n.Id));
      }
      // A daemon without nft (or with a broken table) still starts; the next change tries again.
      await this.plumbing.syncRules(this.store.all()).catch((e: Error) => this.opts.warn(`nftables: ${e.message}`));
    });
  }

  private async ensurePredefined(): Promise<void> {
    const all = this.store.all();
    const base = (Name: string, Driver: string): NetworkRecord => ({
      Name, Id: newId(), Created: new Date().toISOString(), Scope: 'local', Driver, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
      ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {}, builtin: true, endpoints: {},
    });
    if (!all.some((n) => n.Name === 'host')) await this.store.save(base('host', 'host'));
    if (!all.some((n) => n.Name === 'none')) await this.store.save(base('none', 'null'));
    const existing = all.find((n) => n.Name === 'bridge');
    let subnet: Cidr;
    let gateway: number;
    if (this.opts.bip) {
      subnet = parseCidr(this.opts.bip);
      gateway = mustIp(this.opts.bip.split('/')[0] ?? '', 'bip');
      if (gateway === subnet.base) gateway = firstHost(subnet);
    } else if (existing?.IPAM.Config[0]) {
      return;
    } else {
      const taken = [...(await this.opts.hostRoutes()), ...networkSubnets(all.filter((n) => n.Name !== 'bridge'))];
      const picked = pickSubnet(this.opts.defaultAddressPools, taken);
      if (!picked) throw new TdockError('unavailable', 'no subnet in the default address pools is free for the default bridge');
      subnet = picked;
      gateway = firstHost(subnet);
    }
    const cfg = { Subnet: formatCidr(subnet), Gateway: formatIp(gateway) };
    if (existing && existing.IPAM.Config[0]?.Subnet === cfg.Subnet && existing.IPAM.Config[0].Gateway === cfg.Gateway) return;
    if (existing && attachedEndpoints(existing).length) {
      this.opts.warn('the default bridge has running containers: keeping its old subnet');
      return;
    }
    const rec = existing ?? base('bridge', 'bridge');
    rec.IPAM.Config = [cfg];
    rec.bridge = this.opts.bridgeName;
    rec.Options = defaultBridgeOptions(this.opts.bridgeName, this.opts.mtu);
    await this.store.save(rec);
  }

  private lookup(id: string): ReturnType<typeof lookupFor> {
    return lookupFor(id, () => this.store.all());
  }

  find(ref: string): NetworkRecord {
    return findNetwork(this.store.all(), ref);
  }

  async list(filters: Filters): Promise<JsonObject[]> {
    return this.store.all().filter((n) => networkMatches(n, filters)).sort((a, b) => a.Created.localeCompare(b.Created)).map(networkView);
  }

  async inspect(id: string, opts: { verbose: boolean; scope?: string }): Promise<JsonObject> {
    if (opts.scope && opts.scope !== 'local') throw notFound(`network ${id} not found`);
    return networkView(this.find(id));
  }

  create(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    return this.serial(async () => {
      const name = body.Name ?? '';
      if (!NAME_RE.test(name)) throw invalidArgument(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      if (this.store.all().some((n) => n.Name === name)) throw conflict(`network with name ${name} already exists`);
      const driver = body.Driver || 'bridge';
      if (driver === 'host' || driver === 'null') throw new TdockError('forbidden', `only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
      if (body.EnableIPv4 === false) throw invalidArgument('IPv6-only networks are not supported by tdock');
      if (body.ConfigOnly || body.ConfigFrom?.Network) throw invalidArgument('config-only networks are not supported by tdock');
      const taken = networkSubnets(this.store.all());
      const asked = body.IPAM?.Config ?? [];
      let config = asked.filter((c) => !isV6(c.Subnet ?? '')).map((c) => normalizeIpamConfig(c));
      const config6 = asked.filter((c) => isV6(c.Subnet ?? '')).map((c) => normalizeIpamConfig6(c));
      if (config.length > 1) throw invalidArgument('tdock supports one IPv4 subnet per network');
      if (config6.length > 1) throw invalidArgument('tdock supports one IPv6 subnet per network');
      // As dockerd 20.10: an IPv6 pool without --ipv6 is kept in IPAM.Config but not used; --ipv6 without an IPv6 subnet fails, as there is no default IPv6 pool.
      const ipv6 = body.EnableIPv6 === true;
      if (ipv6 && !config6.length) throw new TdockError('forbidden', 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
      for (const c of config) {
        if (taken.some((t) => overlaps(t, parseCidr(c.Subnet)))) throw new TdockError('forbidden', 'invalid pool request: Pool overlaps with other one on this address space');
      }
      const taken6 = this.store.all().filter((n) => n.EnableIPv6).flatMap((n) => n.IPAM.Config.filter((c) => isV6(c.Subnet)).map((c) => parseCidr6(c.Subnet)));
      for (const c of ipv6 ? config6 : []) {
        if (taken6.some((t) => overlaps6(t, parseCidr6(c.Subnet)))) throw new TdockError('forbidden', 'invalid pool request: Pool overlaps with other one on this address space');
      }
      if (!config.length) {
        const picked = pickSubnet(this.opts.defaultAddressPools, [...taken, ...(await this.opts.hostRoutes())]);
        if (!picked) throw new TdockError('forbidden', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
        config = [{ Subnet: formatCidr(picked), Gateway: formatIp(firstHost(picked)) }];
      }
      const id = newId();
      const options = { ...(body.Options ?? {}) };
      const bridge = options['com.docker.network.bridge.name'] || linkName(this.opts.linkPrefix, 'b', id);
      if (bridge.length > 15) throw invalidArgument(`bridge name ${bridge} is longer than 15 characters`);
      const rec: NetworkRecord = {
        Name: name, Id: id, Created: new Date().toISOString(), Scope: 'local', Driver: driver, EnableIPv6: ipv6,
        IPAM: { Driver: body.IPAM?.Driver || 'default', Options: body.IPAM?.Options ?? null, Config: [...config, ...config6] },
        Internal: body.Internal === true, Attachable: body.Attachable === true, Ingress: body.Ingress === true,
        ConfigFrom: { Network: '' }, ConfigOnly: false, Options: options, Labels: { ...(body.Labels ?? {}) },
        builtin: false, bridge, endpoints: {},
      };
      await this.store.save(rec);
      return { Id: id, Warning: '' };
    });
  }

  remove(ref: string): Promise<void> {
    return this.serial(async () => {
      const n = this.find(ref);
      if (n.builtin) throw new TdockError('forbidden', `${n.Name} is a pre-defined network and cannot be removed`);
      const live = attachedEndpoints(n);
      if (live.length) throw conflict(`error while removing network: network ${n.Name} has active endpoints (${live.map((e) => e.containerName).join(', ')})`);
      await this.plumbing.dropNetwork(n);
      await this.store.delete(n.Id);
      await this.plumbing.syncRules(this.store.all());
    });
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    const until = filters.get('until')?.[0];
    const labelFilters = new Map([...filters].filter(([k]) => k === 'label'));
    const notLabels = filters.get('label!') ?? [];
    for (const n of this.store.all()) {
      if (n.builtin || attachedEndpoints(n).length) continue;
      if (until && Date.parse(n.Created) >= parseUntil(until)) continue;
      if (labelFilters.size && !networkMatches(n, labelFilters)) continue;
      if (notLabels.some((l) => networkMatches(n, new Map([['label', [l]]])))) continue;
      try {
        await this.remove(n.Id);
        deleted.push(n.Name);
      } catch {
        // in use meanwhile: keep it
      }
    }
    return { NetworksDeleted: deleted };
  }

  /**
   * Records `container` on network `ref` (Compose connects created containers before they start); a
   * running container (one whose lookup returns a pid) is plugged in at once.
   */
  async connect(ref: string, container: string, endpoint: EndpointSettings | undefined): Promise<void> {
    const c = await this.opts.containers.resolve(container);
    await this.serial(async () => {
      const n = this.find(ref);
      if (n.Driver === 'host' || n.Driver === 'null') {
        throw new TdockError('forbidden', `container cannot be disconnected from host network or connected to host network`);
      }
      const mode = this.endpointsOf(c.id).find(({ n: o }) => o.Driver === 'host' || o.Driver === 'null')?.n;
      if (mode?.Driver === 'null') throw new TdockError('forbidden', 'container cannot be connected to multiple networks with one of the networks in private (none) mode');
      if (mode?.Driver === 'host') throw new TdockError('forbidden', 'container cannot be disconnected from host network or connected to host network');
      await this.record(n, c, endpoint, true);
      if (c.pid === undefined) return;
      try {
        await attachContainer(this, c.id, c.pid, { only: n.Id });
      } catch (err) {
        delete n.endpoints[c.id]; // a failed connect leaves no endpoint behind
        await this.store.save(n);
        throw err;
      }
    });
  }

  async disconnect(ref: string, container: string, force: boolean): Promise<void> {
    let id = container;
    try {
      id = (await this.opts.containers.resolve(container)).id;
    } catch (e) {
      if (!force) throw e;
    }
    await this.serial(async () => {
      const n = this.find(ref);
      const e = n.endpoints[id];
      if (!e) throw new TdockError('forbidden', `container ${container} is not connected to network ${n.Name}`);
      await this.plumbing.unplug(e);
      delete n.endpoints[id];
      await this.store.save(n);
      await this.plumbing.syncRules(this.store.all());
    });
  }

  /** Adds (or with `strict` false, replaces) the endpoint record of `c` on `n`. */
  private async record(n: NetworkRecord, c: ContainerRef, s: EndpointSettings | undefined | null, strict: boolean): Promise<void> {
    if (strict && n.endpoints[c.id]) throw new TdockError('forbidden', `endpoint with name ${c.name} already exists in network ${n.Name}`);
    const staticIp = s?.IPAMConfig?.IPv4Address || undefined;
    if (s?.IPAMConfig?.IPv6Address) throw invalidArgument('a static IPv6 address (--ip6) is not supported by tdock: addresses on an IPv6 pool are handed out in order');
    if (staticIp) {
      if (n.builtin) throw invalidArgument('user specified IP address is supported on user defined networks only');
      checkStaticIp(n, staticIp);
    }
    const aliases = [...new Set(s?.Aliases ?? [])];
    if (aliases.length && n.builtin && strict) throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
    const service = c.labels?.['com.docker.compose.service'];
    n.endpoints[c.id] = {
      containerId: c.id, containerName: c.name.replace(/^\//, ''), endpointId: newId(), seq: this.seq++,
      aliases: n.builtin ? [] : aliases, links: [...(s?.Links ?? [])],
      ...(staticIp ? { staticIp } : {}), ...(service && !n.builtin ? { dnsNames: [service] } : {}),
      ...(typeof s?.MacAddress === 'string' && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(s.MacAddress) ? { userMac: s.MacAddress.toLowerCase() } : {}),
    };
    await this.store.save(n);
  }

  /**
   * The networks of a new container from `HostConfig.NetworkMode` and `NetworkingConfig.EndpointsConfig`:
   * `default`/`bridge`/'' → the default bridge, `host`, `none`, a network name or id; `container:<id>`
   * joins another container's namespace and gets none. Call at container create.
   */
  connectAtCreate(c: ContainerRef, networkMode: string | undefined, endpoints?: Record<string, EndpointSettings | null>): Promise<void> {
    return this.serial(async () => {
      const mode = !networkMode || networkMode === 'default' ? 'bridge' : networkMode;
      if (mode.startsWith('container:')) return;
      const primary = this.find(mode);
      // The docker CLI names the default network `default` in EndpointsConfig as in NetworkMode.
      const cfg = Object.fromEntries(Object.entries(endpoints ?? {}).map(([k, v]) => [k === 'default' ? 'bridge' : k, v]));
      const settingsFor = (n: NetworkRecord): EndpointSettings | null | undefined =>
        cfg[n.Name] ?? cfg[n.Id] ?? Object.entries(cfg).find(([k]) => n.Id.startsWith(k))?.[1];
      await this.record(primary, c, settingsFor(primary), false);
      if (primary.Driver === 'host' || primary.Driver === 'null') return;
      for (const key of Object.keys(cfg)) {
        const n = this.find(key);
        if (n.Id !== primary.Id && !n.endpoints[c.id]) await this.record(n, c, cfg[key], false);
      }
    });
  }

  /** `NetworkSettings.Networks` of a container (created, running or stopped). */
  containerNetworks(containerId: string): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = {};
    for (const n of this.store.all()) {
      const e = n.endpoints[containerId];
      if (e) out[n.Name] = endpointView(n, e);
    }
    return out;
  }

  /** The container's endpoints with their networks, first interface first. */
  endpointsOf(containerId: string): Array<{ n: NetworkRecord; e: EndpointRecord }> {
    return this.store.all().flatMap((n) => (n.endpoints[containerId] ? [{ n, e: n.endpoints[containerId] }] : [])).sort((a, b) => a.e.seq - b.e.seq);
  }

  /**
   * Plugs the container's recorded endpoints into the network namespace of `pid` (the init's host pid,
   * during the runtime's handshake), publishes its ports, applies the bandwidth limit. Returns
   * Docker's NetworkSettings. On failure everything done so far is undone.
   */
  attach(containerId: string, pid: number, opts: NetworkAttachOptions = {}): Promise<NetworkSettings> {
    return this.serial(() => attachContainer(this, containerId, pid, opts));
  }

  /** Removes the container's host veths, rules and addresses (at stop, or when its start failed). */
  detach(containerId: string): Promise<void> {
    return this.serial(() => detachContainer(this, containerId));
  }

  /** Follows a container rename (its DNS name and the endpoint names network inspect shows). */
  rename(containerId: string, name: string): Promise<void> {
    return this.serial(async () => {
      for (const { n, e } of this.endpointsOf(containerId)) {
        e.containerName = name.replace(/^\//, '');
        await this.store.save(n);
      }
    });
  }

  /** Detaches and forgets every endpoint of a removed container. */
  release(containerId: string): Promise<void> {
    return this.serial(async () => {
      await detachContainer(this, containerId);
      for (const { n } of this.endpointsOf(containerId)) {
        delete n.endpoints[containerId];
        await this.store.save(n);
      }
    });
  }

  /** Stops the DNS servers; kernel state stays so running containers keep their network. */
  close(): Promise<void> {
    return this.serial(() => this.plumbing.close());
  }

  /** Removes every bridge, veth and the nftables table of ours (a full teardown; records stay). */
  teardown(): Promise<void> {
    return this.serial(async () => {
      for (const n of this.store.all()) {
        for (const e of Object.values(n.endpoints)) await this.plumbing.unplug(e);
        await this.plumbing.dropNetwork(n);
      }
      await this.plumbing.syncRules([]);
    });
  }

  /** Docker's NetworkSettings of a container for inspect (Networks also before start). */
  settings(containerId: string, ports?: PortRequest): NetworkSettings {
    return networkSettings(this, containerId, ports);
  }

  /**
   * The contents of the container's /etc/hosts and /etc/resolv.conf after attach: its address and
   * aliases on its first network, and the embedded DNS (the gateway) when that is a user network.
   */
  containerFiles(containerId: string, o: { hostname: string; domainname?: string; extraHosts?: string[]; dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[] }): { hosts: string; resolvConf: string } {
    const eps = this.endpointsOf(containerId);
    const first = eps.find(({ e }) => e.ipv4);
    const user = eps.find(({ n, e }) => !n.builtin && e.ipv4);
    const gw = user?.n.IPAM.Config[0]?.Gateway;
    return {
      hosts: hostsFile({ hostname: o.hostname, ...(o.domainname ? { domainname: o.domainname } : {}), ...(first?.e.ipv4 ? { ip: first.e.ipv4 } : {}), aliases: first?.e.aliases ?? [], extraHosts: o.extraHosts ?? [] }),
      resolvConf: resolvConf({ host: this.opts.hostResolvConf ?? '', ...(gw ? { embeddedDns: gw } : {}), ...(o.dns ? { dns: o.dns } : {}), ...(o.dnsSearch ? { dnsSearch: o.dnsSearch } : {}), ...(o.dnsOptions ? { dnsOptions: o.dnsOptions } : {}) }),
    };
  }

  /** The DNS lookup of network `id` (for callers that serve names elsewhere). */
  lookupOn(id: string): ReturnType<typeof lookupFor> {
    return this.lookup(id);
  }
}
