// The network model as persisted under `<dataRoot>/networks/` and the options the manager is built with.
import type { Cidr } from './ipv4.js';

/** One IPAM pool entry of a network (Docker's `IPAM.Config[]`). */
export interface IpamConfig {
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** A published port as applied (kept in the endpoint so rules can be rebuilt after a restart). */
export interface PortMapping {
  proto: 'tcp' | 'udp';
  containerPort: number;
  /** '' means every local address (Docker shows `0.0.0.0`). */
  hostIp: string;
  hostPort: number;
}

/** A container's membership in a network; exists from connect (or create) until disconnect or removal. */
export interface EndpointRecord {
  containerId: string;
  /** The container's name without the leading slash. */
  containerName: string;
  endpointId: string;
  aliases: string[];
  links: string[];
  /** A static address asked for with `--ip` (IPAMConfig.IPv4Address). */
  staticIp?: string;
  /** Order of connection: the lowest is the container's first interface (eth0). */
  seq: number;
  /** True between attach (container start) and detach (stop). */
  attached?: boolean;
  /** The interface name inside the container while attached (eth0, eth1, ...). */
  ifname?: string;
  /** Set while attached (between attach and detach). */
  ipv4?: string;
  /** The address on the network's IPv6 pool while attached (networks created with --ipv6). */
  ipv6?: string;
  mac?: string;
  /** A MAC asked for with `--mac-address` (EndpointSettings.MacAddress), used instead of Docker's derived one. */
  userMac?: string;
  /** Host-side interface names while attached. */
  hostVeth?: string;
  ifb?: string;
  ports?: PortMapping[];
  /** Bits per second of the bandwidth limit applied while attached. */
  rateBps?: number;
  /** Extra names the embedded DNS answers with (compose service name, short id). */
  dnsNames?: string[];
}

/** A network as stored: Docker's inspect fields plus our own (lower-case) bookkeeping. */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** `bridge`, `host`, `none` are predefined and cannot be removed. */
  builtin: boolean;
  /** The Linux bridge for driver `bridge`. */
  bridge?: string;
  /** The last address handed out, so freed addresses are reused last (as Docker's allocator does). */
  lastIp?: string;
  /** The same for the IPv6 pool. */
  lastIp6?: string;
  endpoints: Record<string, EndpointRecord>;
}

/** A container as the engine knows it. */
export interface ContainerRef {
  id: string;
  /** Name without the leading slash. */
  name: string;
  /** The init's host pid when the container is running. */
  pid?: number;
  labels?: Record<string, string>;
}

/** Finds a container by name, id or id prefix; throws not-found `No such container: x`. */
export interface ContainerLookup {
  resolve(nameOrId: string): Promise<ContainerRef>;
}

/** Runs a host command (ip, nft, tc, nsenter, sysctl writes go through {@link HostOps} instead). */
export interface CommandRunner {
  /** Resolves with stdout; rejects with the command's stderr in the message on a non-zero exit. */
  run(cmd: string, args: string[], input?: string): Promise<string>;
}

/** Options of the network manager; every name is injected so test suites can run in parallel (DESIGN §9). */
export interface NetworkManagerOptions {
  /** The daemon's data root; networks live in `<dataRoot>/networks/`. */
  dataRoot: string;
  containers: ContainerLookup;
  /** The default bridge (default `tdock0`). */
  bridgeName?: string;
  /** Prefix of every veth, ifb and user bridge (default `tdk`, at most 7 characters). */
  linkPrefix?: string;
  /** The nftables table (family ip) holding every rule of ours (default `tdock`). */
  nftTable?: string;
  /** The default bridge's address and prefix, like dockerd's `--bip` (e.g. `10.222.36.1/24`). */
  bip?: string;
  /** Pools user networks (and the default bridge without `bip`) take subnets from, like `default-address-pools`. */
  defaultAddressPools?: Array<{ base: string; size: number }>;
  /** MTU of bridges and veths (default 1500). */
  mtu?: number;
  /** Masquerade traffic leaving non-internal networks (default true). */
  ipMasq?: boolean;
  /** Turn on net.ipv4.ip_forward when a non-internal network is in use (default true). */
  ipForward?: boolean;
  /** Forward names the embedded DNS does not know to the host's resolvers (default false; never in tests). */
  dnsForward?: boolean;
  /** The host's resolv.conf content (read by main.ts; default: none, so Docker's defaults apply). */
  hostResolvConf?: string;
  /** Host routes to avoid when picking subnets (default: read with `ip -j -4 route show table all`). */
  hostRoutes?: () => Promise<Cidr[]>;
  /** Host commands (default: execFile). */
  runner?: CommandRunner;
  /** Port the embedded DNS listens on at each user network's gateway (default 53). */
  dnsPort?: number;
  /**
   * Checked before a container's namespace is configured (default: refuse a pid that shares the
   * daemon's own network namespace). Tests with a recording runner replace it.
   */
  checkNamespace?: (pid: number) => Promise<void>;
  /** Where warnings go (default: nowhere). */
  warn?: (message: string) => void;
}
