// /etc/hosts and /etc/resolv.conf contents for a container, as Docker writes them.

/** Docker's defaults when the host has no usable nameserver. */
export const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

export interface HostsInput {
  hostname: string;
  domainname?: string;
  /** The container's address on its first network (absent with `--network none` / host). */
  ip?: string;
  /** Aliases of the container on that network, written after the hostname. */
  aliases?: string[];
  /** HostConfig.ExtraHosts (`name:ip`, `host-gateway` already replaced by the caller). */
  extraHosts?: string[];
}

/** The content of the container's /etc/hosts. */
export function hostsFile(h: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const e of h.extraHosts ?? []) {
    const i = e.indexOf(':');
    if (i > 0) lines.push(`${e.slice(i + 1)}\t${e.slice(0, i)}`);
  }
  if (h.ip) {
    const names = [h.domainname ? `${h.hostname}.${h.domainname} ${h.hostname}` : h.hostname, ...(h.aliases ?? []).filter((a) => a !== h.hostname)];
    lines.push(`${h.ip}\t${names.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export interface ResolvInput {
  /** The host's /etc/resolv.conf content ('' when it has none). */
  host: string;
  /** The embedded DNS address on a user-defined network; absent on the default bridge. */
  embeddedDns?: string;
  /** HostConfig.Dns, DnsSearch, DnsOptions. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1';
}

/**
 * The content of the container's /etc/resolv.conf. On a user network the nameserver is the embedded
 * DNS (which forwards the rest); on the default bridge the host's servers minus loopback ones, or
 * Docker's defaults when none is left. search and options lines come from the host unless overridden.
 */
export function resolvConf(r: ResolvInput): string {
  const servers: string[] = [];
  const search: string[] = [];
  const options: string[] = [];
  for (const raw of r.host.split('\n')) {
    const [kw, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (kw === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if ((kw === 'search' || kw === 'domain') && rest.length) search.splice(0, search.length, ...rest);
    else if (kw === 'options') options.push(...rest);
  }
  let ns: string[];
  if (r.dns?.length) ns = r.dns;
  else if (r.embeddedDns) ns = [r.embeddedDns];
  else {
    ns = servers.filter((s) => !isLoopback(s) && !s.includes(':'));
    if (!ns.length) ns = DEFAULT_NAMESERVERS;
  }
  const srch = r.dnsSearch?.length ? r.dnsSearch.filter((s) => s !== '.') : search;
  let opts = r.dnsOptions?.length ? r.dnsOptions : options;
  if (r.embeddedDns && !r.dns?.length && !opts.some((o) => o.startsWith('ndots:'))) opts = [...opts, 'ndots:0'];
  return [
    ...ns.map((s) => `nameserver ${s}`),
    ...(srch.length ? [`search ${srch.join(' ')}`] : []),
    ...(opts.length ? [`options ${opts.join(' ')}`] : []),
  ].join('\n') + '\n';
}

/** The host's non-loopback IPv4 nameservers. */
export function hostNameservers(resolv: string): string[] {
  return resolv.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && !s.startsWith('127.') && !s.includes(':'));
}
