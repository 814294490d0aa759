// The seam between containers and the networking service (DESIGN §8). `NetworkManager` (src/network)
// fits it as is; without one, containers get `none`, `host`, `container:<id>`, and `bridge`/`default`
// degrade to a private namespace with loopback only (see networks.ts).
import type { EndpointSettings, JsonObject } from '../api/types.js';

/** What the container service asks of the networking service. */
export interface ContainerNetworking {
  /** Records the create-time endpoints (throws not-found for an unknown network). */
  connectAtCreate(c: { id: string; name: string; labels?: Record<string, string> }, networkMode: string | undefined, endpoints?: Record<string, EndpointSettings | null>): Promise<void>;
  /** /etc/hosts and resolv.conf contents for the container. */
  containerFiles(containerId: string, o: { hostname: string; domainname?: string; extraHosts?: string[]; dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[] }): { hosts: string; resolvConf: string };
  /** Plugs the endpoints into the namespace of the init (pid), during the runtime's handshake. */
  attach(containerId: string, pid: number, opts?: { ports?: { PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>; ExposedPorts?: Record<string, unknown>; PublishAllPorts?: boolean }; networkRate?: string }): Promise<JsonObject>;
  /** At exit (or a failed start). */
  detach(containerId: string): Promise<void>;
  /** At removal. */
  release(containerId: string): Promise<void>;
  rename(containerId: string, name: string): Promise<void>;
  /** `NetworkSettings.Networks` (also for created containers). */
  containerNetworks(containerId: string): Record<string, JsonObject>;
  /** Docker's NetworkSettings of a container. */
  settings(containerId: string): JsonObject;
}

/** Whether a network mode is handled by the networking service (everything but none/host/container:). */
export function usesNetworking(mode: string | undefined): boolean {
  const m = mode ?? '';
  return m !== 'none' && m !== 'host' && !m.startsWith('container:');
}
