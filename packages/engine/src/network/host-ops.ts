// Host-side plumbing with iproute2: bridges, veth pairs into a container's network namespace (by the
// init's host pid), and the configuration inside it through `nsenter --net=/proc/PID/ns/net ip -batch -`.
// Running a separate `ip` process in the target namespace keeps every namespace change out of the
// daemon's own (multi-threaded) Node process (DESIGN §4).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { TdockError } from '@tdock/core';
import type { CommandRunner } from './types.js';

/** The default runner: execFile, stdin fed when given, stderr in the error. */
export function execRunner(): CommandRunner {
  return {
    run(cmd, args, input) {
      return new Promise((resolve, reject) => {
        const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
          if (err) reject(new TdockError('internal', `${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
          else resolve(stdout);
        });
        child.stdin?.on('error', () => undefined); // a command that does not read its stdin
        child.stdin?.end(input ?? '');
      });
    },
  };
}

/** What one interface inside the container gets. */
export interface ContainerIfacePlan {
  /** Name inside the container (eth0, eth1, ...). */
  name: string;
  /** Host-side veth name (at most 15 characters). */
  hostVeth: string;
  mac: string;
  /** `a.b.c.d/len`. */
  address: string;
  /** Default route via this gateway; absent on internal networks or when another interface has it. */
  defaultGateway?: string;
  /** `addr/len` on the network's IPv6 pool, and the IPv6 default route (with `defaultGateway`). */
  address6?: string;
  defaultGateway6?: string;
  bridge: string;
  mtu: number;
}

/** The operations the manager needs from the host; one implementation over iproute2. */
export class HostLinks {
  constructor(private readonly runner: CommandRunner) {}

  async linkExists(name: string): Promise<boolean> {
    try {
      await this.runner.run('ip', ['-j', 'link', 'show', 'dev', name]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Creates (or reuses) a bridge with `gatewayCidr` on it, up, with `route_localnet` for the loopback
   * hairpin. Its MAC is set explicitly: a bridge otherwise takes the lowest MAC of its ports, so the
   * gateway's MAC would change under the containers' ARP caches when a container leaves.
   */
  async ensureBridge(name: string, gatewayCidr: string, mtu: number, mac: string): Promise<void> {
    if (!(await this.linkExists(name))) {
      await this.runner.run('ip', ['-batch', '-'], [
        `link add ${name} address ${mac} type bridge`,
        `link set ${name} mtu ${mtu}`,
        `addr add ${gatewayCidr} dev ${name}`,
        `link set ${name} up`,
      ].join('\n') + '\n');
    } else {
      const out = await this.runner.run('ip', ['-j', '-4', 'addr', 'show', 'dev', name]);
      const addrs = (JSON.parse(out || '[]') as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>)
        .flatMap((l) => l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
      if (!addrs.includes(gatewayCidr)) await this.runner.run('ip', ['addr', 'add', gatewayCidr, 'dev', name]);
      await this.runner.run('ip', ['link', 'set', name, 'up']);
    }
    // Locally originated traffic to 127.0.0.1:PORT is DNATed to a container: allow 127/8 sources on the bridge.
    await writeFile(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1').catch(() => undefined);
  }

  /** Puts an IPv6 gateway address on a bridge (idempotent; no duplicate address detection to wait for). */
  async ensureAddress6(name: string, gatewayCidr: string): Promise<void> {
    await this.runner.run('ip', ['-6', 'addr', 'replace', gatewayCidr, 'dev', name, 'nodad']);
  }

  /** Deletes a link; one that is already gone (its namespace died with its peer) is fine. */
  async deleteLink(name: string): Promise<void> {
    await this.runner.run('ip', ['link', 'delete', name]).catch(() => undefined);
  }

  /**
   * Creates the veth pair with its container end directly inside the namespace of `pid`, puts the host
   * end on the bridge, then configures the container end inside the namespace (MAC, address, lo, route).
   */
  async plugVeth(pid: number, p: ContainerIfacePlan): Promise<void> {
    await this.runner.run('ip', ['-batch', '-'], [
      `link add ${p.hostVeth} mtu ${p.mtu} type veth peer name ${p.name} mtu ${p.mtu} netns ${pid}`,
      `link set ${p.hostVeth} master ${p.bridge}`,
      `link set ${p.hostVeth} up`,
    ].join('\n') + '\n');
    const inside = [
      `link set ${p.name} address ${p.mac}`,
      `addr add ${p.address} dev ${p.name}`,
      'link set lo up',
      `link set ${p.name} up`,
      ...(p.defaultGateway ? [`route replace default via ${p.defaultGateway} dev ${p.name}`] : []),
      // (no -6 in a batch line: the addresses say the family)
      ...(p.address6 ? [`addr add ${p.address6} dev ${p.name} nodad`] : []),
      ...(p.address6 && p.defaultGateway && p.defaultGateway6 ? [`route replace ::/0 via ${p.defaultGateway6} dev ${p.name}`] : []),
    ];
    await this.runner.run('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-batch', '-'], inside.join('\n') + '\n');
  }

  /**
   * Lets the bridge send a frame back out of the port it came in on. A container reaching its own
   * published port through the host's address needs it where br_netfilter is loaded: the DNATed packet
   * is then bridged back to the container's own port instead of being routed.
   */
  async hairpinOn(hostVeth: string): Promise<void> {
    await this.runner.run('ip', ['link', 'set', 'dev', hostVeth, 'type', 'bridge_slave', 'hairpin', 'on']);
  }

  /** Brings loopback up inside the namespace of `pid` (every container with its own network namespace). */
  async loopbackUp(pid: number): Promise<void> {
    await this.runner.run('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up']);
  }

  /** Sets `net.ipv4.ip_forward` to 1. */
  async enableForwarding(): Promise<void> {
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  }
}
