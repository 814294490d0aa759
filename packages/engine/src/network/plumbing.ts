// The kernel side of the manager: bridges, veths, tc, the nftables table, the embedded DNS servers.
// Everything here is derived from the records, so it can be rebuilt after a daemon restart.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EmbeddedDns, type NameLookup } from './dns.js';
import { HostLinks } from './host-ops.js';
import { applyRules, renderRules, renderRules6, type RuleBridge } from './nft.js';
import { applyRate } from './rate.js';
import { gateway6, v4Config, v6Config } from './ipam.js';
import { macFromIp, mustIp } from './ipv4.js';
import { attachedEndpoints, dnsNames, prefixLen } from './views.js';
import type { CommandRunner, EndpointRecord, NetworkRecord } from './types.js';

/** Names and switches the plumbing needs (resolved from NetworkManagerOptions). */
export interface PlumbingConfig {
  linkPrefix: string;
  nftTable: string;
  mtu: number;
  ipMasq: boolean;
  ipForward: boolean;
  dnsPort: number;
  /** Upstream resolvers for names the embedded DNS does not know; empty = never forward. */
  upstream: string[];
  warn: (message: string) => void;
}

/** `<prefix><tag><hash>` cut to IFNAMSIZ-1 (15) characters. */
export function linkName(prefix: string, tag: string, key: string): string {
  const room = 15 - prefix.length - tag.length;
  return `${prefix}${tag}${createHash('sha256').update(key).digest('hex').slice(0, room)}`;
}

export class Plumbing {
  readonly links: HostLinks;
  private readonly dns = new Map<string, EmbeddedDns>();
  /** Bridges made or checked by this process (skips three `ip` runs per container start). */
  private readonly ready = new Set<string>();
  /** The ruleset last applied by this process; an unchanged one is not sent to nft again. */
  private applied: string | undefined;
  private applied6: string | undefined;

  constructor(private readonly runner: CommandRunner, private readonly cfg: PlumbingConfig) {
    this.links = new HostLinks(runner);
  }

  mtuOf(n: NetworkRecord): number {
    const v = Number(n.Options['com.docker.network.driver.mtu']);
    return Number.isInteger(v) && v >= 68 ? v : this.cfg.mtu;
  }

  /** Creates the bridge of `n` when missing, and starts its DNS server on user networks. */
  async ensureNetwork(n: NetworkRecord, lookup: NameLookup): Promise<void> {
    const cfg = v4Config(n);
    if (!n.bridge || !cfg?.Gateway) return;
    if (!this.ready.has(n.bridge)) {
      await this.links.ensureBridge(n.bridge, `${cfg.Gateway}/${prefixLen(n)}`, this.mtuOf(n), macFromIp(mustIp(cfg.Gateway)));
      const v6 = v6Config(n);
      if (v6) await this.links.ensureAddress6(n.bridge, `${gateway6(v6)}/${v6.Subnet.split('/')[1] ?? '64'}`);
    }
    this.ready.add(n.bridge);
    if (!n.builtin && !this.dns.has(n.Id)) {
      try {
        this.dns.set(n.Id, await EmbeddedDns.listen({ address: cfg.Gateway, port: this.cfg.dnsPort, lookup, upstream: this.cfg.upstream }));
      } catch (e) {
        this.cfg.warn(`embedded DNS for network ${n.Name} on ${cfg.Gateway}:${this.cfg.dnsPort} did not start: ${(e as Error).message}`);
      }
    }
  }

  /** The host-side veth name of an endpoint (stable, so a leftover can be found). */
  hostVethName(n: NetworkRecord, e: EndpointRecord): string {
    return linkName(this.cfg.linkPrefix, 'v', `${e.containerId}/${n.Id}`);
  }

  /** Plugs one endpoint into the namespace of `pid` as interface `ifname`. */
  async plug(n: NetworkRecord, e: EndpointRecord, pid: number, ifname: string, withDefaultRoute: boolean): Promise<void> {
    const cfg = v4Config(n);
    const v6 = v6Config(n);
    const hostVeth = this.hostVethName(n, e);
    e.hostVeth = hostVeth;
    const plan = {
      name: ifname, hostVeth, mac: e.mac ?? '', address: `${e.ipv4 ?? ''}/${prefixLen(n)}`,
      ...(withDefaultRoute && cfg?.Gateway ? { defaultGateway: cfg.Gateway } : {}),
      ...(e.ipv6 && v6 ? { address6: `${e.ipv6}/${v6.Subnet.split('/')[1] ?? '64'}`, defaultGateway6: gateway6(v6) } : {}),
      bridge: n.bridge ?? '', mtu: this.mtuOf(n),
    };
    try {
      await this.links.plugVeth(pid, plan);
    } catch (err) {
      if (!(await this.links.linkExists(plan.bridge))) {
        // the bridge was deleted behind our back: make it again
        await this.links.ensureBridge(plan.bridge, `${cfg?.Gateway ?? ''}/${prefixLen(n)}`, this.mtuOf(n), macFromIp(mustIp(cfg?.Gateway ?? '')));
      } else if (!(await this.links.linkExists(hostVeth))) {
        throw err;
      }
      // a leftover host veth (a container that died while we were down, or a half-done attempt)
      await this.links.deleteLink(hostVeth);
      await this.links.plugVeth(pid, plan);
    }
  }

  async limit(n: NetworkRecord, e: EndpointRecord, bps: number): Promise<void> {
    if (!e.hostVeth) return;
    e.ifb = linkName(this.cfg.linkPrefix, 'i', `${e.containerId}/${n.Id}`);
    await this.links.deleteLink(e.ifb);
    await applyRate(this.runner, e.hostVeth, e.ifb, bps, this.mtuOf(n));
    e.rateBps = bps;
  }

  /** Removes the host side of an endpoint (the container side goes with it). */
  async unplug(e: EndpointRecord): Promise<void> {
    if (e.ifb) await this.links.deleteLink(e.ifb);
    if (e.hostVeth) await this.links.deleteLink(e.hostVeth);
  }

  /** Deletes a network's bridge and stops its DNS server. */
  async dropNetwork(n: NetworkRecord): Promise<void> {
    await this.stopDns(n.Id);
    if (n.bridge) {
      this.ready.delete(n.bridge);
      await this.links.deleteLink(n.bridge);
    }
  }

  async stopDns(id: string): Promise<void> {
    const s = this.dns.get(id);
    this.dns.delete(id);
    await s?.close();
  }

  /** Rebuilds the nftables table from the records; turns forwarding on when a routed network is in use. */
  async syncRules(all: NetworkRecord[]): Promise<void> {
    const bridges: RuleBridge[] = [];
    for (const n of all) {
      const cfg = v4Config(n);
      if (!n.bridge || !cfg) continue;
      const live = attachedEndpoints(n);
      if (!live.length) continue;
      bridges.push({
        bridge: n.bridge, subnet: cfg.Subnet, internal: n.Internal,
        masquerade: n.Options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
        ports: live.flatMap((e) => (e.ports ?? []).map((p) => ({ ...p, containerIp: e.ipv4 ?? '' }))),
      });
    }
    const rules = renderRules(this.cfg.nftTable, bridges, { ipMasq: this.cfg.ipMasq });
    if (rules !== this.applied) {
      this.applied = undefined;
      await applyRules(this.runner, this.cfg.nftTable, rules);
      this.applied = rules;
    }
    const v6 = new Set(all.filter((n) => n.bridge && v6Config(n)).map((n) => n.bridge ?? ''));
    const rules6 = renderRules6(this.cfg.nftTable, bridges, v6);
    if (rules6 !== this.applied6) {
      this.applied6 = undefined;
      await applyRules(this.runner, this.cfg.nftTable, rules6, 'ip6');
      this.applied6 = rules6;
    }
    if (this.cfg.ipForward && bridges.some((b) => !b.internal)) {
      const cur = await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8').catch(() => '');
      if (cur.trim() !== '1') await this.links.enableForwarding().catch((e: Error) => this.cfg.warn(`could not enable IP forwarding: ${e.message}`));
    }
  }

  /** Stops every DNS server (the kernel state stays for live-restore). */
  async close(): Promise<void> {
    for (const id of [...this.dns.keys()]) await this.stopDns(id);
  }
}

/**
 * The name → addresses function of one network's DNS server, over the live records. A query from a
 * container (found by its source address on this network) also sees the names on its other user
 * networks, as Docker's resolver does; anyone else sees this network's names only.
 */
export function lookupFor(id: string, all: () => NetworkRecord[]): NameLookup {
  return (name, source) => {
    const nets = all();
    const here = nets.find((n) => n.Id === id);
    if (!here) return undefined;
    const asker = source ? attachedEndpoints(here).find((e) => e.ipv4 === source)?.containerId : undefined;
    const scope = asker ? nets.filter((n) => !n.builtin && n.endpoints[asker]?.attached) : [here];
    const ips = scope.flatMap((n) => attachedEndpoints(n).filter((e) => e.ipv4 && dnsNames(n, e).some((d) => d.toLowerCase() === name)).flatMap((e) => [e.ipv4 ?? '', ...(e.ipv6 ? [e.ipv6] : [])]));
    return ips.length ? [...new Set(ips)] : undefined;
  };
}
