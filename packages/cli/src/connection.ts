import http from 'node:http';
import type Dockerode from 'dockerode';
import { API_VERSION, invalidArgument } from '@tdock/core';

export const DEFAULT_HOST = 'unix:///var/run/tdock.sock';

/** Where the daemon is: `-H`, then TDOCK_HOST, then DOCKER_HOST, then the default socket. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag || env.TDOCK_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

let unixAgent: http.Agent | undefined;

/**
 * The agent for requests over a unix socket: the global agent's settings plus an empty TLS server
 * name, which spares Node's agent from testing whether the host name "localhost" is an IP address
 * (its first use compiles the IPv6 pattern, about 6 ms of every CLI run).
 */
export function unixSocketAgent(): http.Agent {
  unixAgent ??= new http.Agent({ keepAlive: true, servername: '' } as http.AgentOptions);
  return unixAgent;
}

/** dockerode's options plus docker-modem's `agent`, which its type declarations leave out. */
export type ModemOptions = Dockerode.DockerOptions & { agent?: http.Agent };

/** dockerode's connection options for a host URL (unix:// or tcp://). */
export function modemOptions(host: string): ModemOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length), agent: unixSocketAgent() };
  if (host.startsWith('/')) return { socketPath: host, agent: unixSocketAgent() };
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (!m) throw invalidArgument(`unable to parse docker host \`${host}\``);
  const protocol = m[1] === 'https' ? 'https' : 'http';
  return { host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3] ?? (protocol === 'https' ? 2376 : 2375)), protocol };
}

/** The message docker prints when the daemon does not answer, in tdock's words. */
export function cannotConnectMessage(host: string): string {
  return `Cannot connect to the tdock daemon at ${host}. Is tdockd running?`;
}

/** The lower of the daemon's and our API versions ("1.47"), as the docker CLI negotiates. */
export function negotiateVersion(serverVersion: string | undefined): string {
  if (!serverVersion) return '1.24';
  const [sa = 0, sb = 0] = serverVersion.split('.').map(Number);
  const [ca = 0, cb = 0] = API_VERSION.split('.').map(Number);
  return sa < ca || (sa === ca && sb < cb) ? serverVersion : API_VERSION;
}
