// Container networking (DESIGN §8): networks, IPAM, veths, published ports, DNS, bandwidth limits.
export { NetworkManager } from './manager.js';
export { networkSettings, type NetworkAttachOptions, type NetworkSettings } from './attach.js';
export { hostsFile, resolvConf, hostNameservers, DEFAULT_NAMESERVERS, type HostsInput, type ResolvInput } from './etc-files.js';
export { parseRate } from './rate.js';
export { DOCKER_DEFAULT_POOLS } from './ipam.js';
export type { PortRequest } from './ports.js';
export type { ContainerLookup, ContainerRef, NetworkManagerOptions, CommandRunner, NetworkRecord, EndpointRecord, PortMapping } from './types.js';
