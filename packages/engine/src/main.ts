import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { TDOCK_VERSION, TdockError } from '@tdock/core';
import { buildApp } from './api/app.js';
import { createEventHub } from './api/events-hub.js';
import { listenOn, parseHost, type HostAddress, type TlsFiles } from './api/serve.js';
import { createServices } from './services/index.js';
import { NetworkManager, type ContainerLookup } from './network/index.js';

/** Where the daemon writes and what it reads; injected so tests can run it in-process. */
export interface DaemonIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the daemon should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<string>;
}

const USAGE = `
Usage:  tdockd [OPTIONS]

A self-sufficient runtime for containers, Docker Engine API compatible.

Options:
      --bip string                  Specify default-bridge IP (e.g. 10.222.36.1/24)
  -b, --bridge string               Name of the default bridge (default "tdock0")
      --config-file string          Daemon configuration file (default "/etc/tdock/daemon.json")
      --cgroup-parent string        Parent cgroup for all containers (default "tdock")
      --data-root string            Root directory of persistent tdock state (default "/var/lib/tdock")
      --default-address-pool pool   Default address pool for new networks (base=10.222.0.0/16,size=24)
      --dns-forward                 Forward names the embedded DNS does not know to the host's resolvers (default true)
      --exec-root string            Root directory for execution state files (shim sockets) (default "/run/tdock")
  -H, --host list                   Daemon socket(s) to connect to (default unix:///var/run/tdock.sock)
      --insecure-tcp                Allow tcp:// hosts without TLS (anyone who can connect is root)
      --link-prefix string          Prefix of the links tdockd creates (default "tdk")
      --shim-pool int               Pre-started shim+init pairs kept ready for new containers (default 2)
  -l, --log-level string            Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --nft-table string            The nftables table for NAT and published ports (default "tdock")
  -p, --pidfile string              Path to use for daemon PID file (default "/var/run/tdockd.pid")
      --tlscacert string            Trust certs signed only by this CA
      --tlscert string              Path to TLS certificate file
      --tlskey string               Path to TLS key file
      --tlsverify                   Use TLS and verify the remote
  -v, --version                     Print version information and quit
  -h, --help                        Print usage
`;

/** The daemon's settings after flags and the config file are merged (flags win). */
export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  pidfile: string;
  logLevel: string;
  configFile: string;
  tlsverify: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  insecureTcp: boolean;
  /** Shim sockets (short: unix socket paths stop at 107 bytes). */
  execRoot: string;
  /** The containers' parent cgroup. */
  cgroupParent: string;
  /** The default bridge (dockerd's `--bridge`), its address (`--bip`), the pool user networks take subnets from. */
  bridge: string;
  bip?: string;
  defaultAddressPool?: string;
  /** Our nftables table, and the prefix of every link we make (injected by tests, DESIGN §9). */
  nftTable: string;
  linkPrefix: string;
  /** Forward names the embedded DNS does not know to the host's resolvers. */
  dnsForward: boolean;
  /** Pre-started shim+init pairs waiting for a container (takes Node start-up off `docker run`). */
  shimPool: number;
}

const VALUE_FLAGS: Record<string, keyof DaemonConfig> = {
  '-H': 'hosts', '--host': 'hosts', '--data-root': 'dataRoot', '-p': 'pidfile', '--pidfile': 'pidfile',
  '-l': 'logLevel', '--log-level': 'logLevel', '--config-file': 'configFile',
  '--tlscacert': 'tlscacert', '--tlscert': 'tlscert', '--tlskey': 'tlskey',
  '--exec-root': 'execRoot', '--cgroup-parent': 'cgroupParent',
  '-b': 'bridge', '--bridge': 'bridge', '--bip': 'bip', '--default-address-pool': 'defaultAddressPool',
  '--nft-table': 'nftTable', '--link-prefix': 'linkPrefix', '--shim-pool': 'shimPool',
};
const BOOL_FLAGS: Record<string, keyof DaemonConfig> = { '--tlsverify': 'tlsverify', '--insecure-tcp': 'insecureTcp', '--dns-forward': 'dnsForward' };
/** daemon.json keys (dockerd's names) → settings. */
const FILE_KEYS: Record<string, keyof DaemonConfig> = {
  hosts: 'hosts', 'data-root': 'dataRoot', pidfile: 'pidfile', 'log-level': 'logLevel', tlsverify: 'tlsverify',
  tlscacert: 'tlscacert', tlscert: 'tlscert', tlskey: 'tlskey', 'insecure-tcp': 'insecureTcp',
  'exec-root': 'execRoot', 'cgroup-parent': 'cgroupParent',
  bridge: 'bridge', bip: 'bip', 'nft-table': 'nftTable', 'link-prefix': 'linkPrefix', 'dns-forward': 'dnsForward', 'shim-pool': 'shimPool',
};

/** Parses tdockd's flags (`--flag value`, `--flag=value`, repeatable `-H`) over the config file's settings. */
export function parseDaemonArgs(argv: string[], readFile: (p: string) => string | undefined = readOptional): DaemonConfig {
  const flags: Partial<Record<keyof DaemonConfig, unknown>> = {};
  const hosts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (BOOL_FLAGS[arg]) {
      flags[BOOL_FLAGS[arg]] = inline === undefined ? true : !['false', '0'].includes(inline);
      continue;
    }
    const key = VALUE_FLAGS[arg];
    if (!key) throw new TdockError('invalid-argument', `unknown flag: ${arg}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new TdockError('invalid-argument', `flag needs an argument: ${arg}`);
    if (key === 'hosts') hosts.push(value);
    else flags[key] = value;
  }
  if (hosts.length) flags.hosts = hosts;
  const configFile = (flags.configFile as string | undefined) ?? '/etc/tdock/daemon.json';
  const text = readFile(configFile);
  if (text === undefined && flags.configFile !== undefined) throw new TdockError('invalid-argument', `unable to configure the daemon: open ${configFile}: no such file or directory`);
  const fromFile: Partial<Record<keyof DaemonConfig, unknown>> = {};
  if (text !== undefined && text.trim() !== '') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new TdockError('invalid-argument', `unable to configure the daemon with file ${configFile}: ${(err as Error).message}`);
    }
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      const key = FILE_KEYS[k];
      if (key && flags[key] !== undefined) throw new TdockError('invalid-argument', `unable to configure the daemon: the following directives are specified both as a flag and in the configuration file: ${k}`);
      if (key) fromFile[key] = v;
    }
  }
  const pick = <T>(k: keyof DaemonConfig, d: T): T => (flags[k] ?? fromFile[k] ?? d) as T;
  const opt = (k: keyof DaemonConfig): Record<string, string> => {
    const v = pick<string | undefined>(k, undefined);
    return v === undefined ? {} : { [k]: v };
  };
  return {
    hosts: pick<string[]>('hosts', ['unix:///var/run/tdock.sock']),
    dataRoot: path.resolve(pick('dataRoot', '/var/lib/tdock')),
    pidfile: pick('pidfile', '/var/run/tdockd.pid'),
    logLevel: pick('logLevel', 'info'),
    configFile,
    tlsverify: pick('tlsverify', false),
    insecureTcp: pick('insecureTcp', false),
    execRoot: path.resolve(pick('execRoot', '/run/tdock')),
    cgroupParent: pick('cgroupParent', 'tdock'),
    bridge: pick('bridge', 'tdock0'),
    nftTable: pick('nftTable', 'tdock'),
    linkPrefix: pick('linkPrefix', 'tdk'),
    dnsForward: pick('dnsForward', true),
    shimPool: shimPoolSize(pick<unknown>('shimPool', 2)),
    ...opt('bip'),
    ...opt('defaultAddressPool'),
    ...opt('tlscacert'),
    ...opt('tlscert'),
    ...opt('tlskey'),
  };
}

function shimPoolSize(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new TdockError('invalid-argument', `invalid --shim-pool value: ${String(v)} (0 to 64)`);
  return n;
}

/** dockerd's `--default-address-pool base=10.10.0.0/16,size=24`. */
export function parseAddressPool(text: string): { base: string; size: number } {
  const fields = Object.fromEntries(text.split(',').map((kv) => kv.split('=') as [string, string]));
  const size = Number(fields.size);
  if (!fields.base || !Number.isInteger(size) || size < 1 || size > 32) throw new TdockError('invalid-argument', `invalid default address pool: ${text}`);
  return { base: fields.base, size };
}

function readOptional(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function tlsFor(cfg: DaemonConfig, hosts: HostAddress[], warn: (m: string) => void): TlsFiles | undefined {
  if (!hosts.some((h) => h.kind === 'tcp')) return undefined;
  if (cfg.tlscert && cfg.tlskey && (!cfg.tlsverify || cfg.tlscacert)) {
    return { verify: cfg.tlsverify, cert: cfg.tlscert, key: cfg.tlskey, ...(cfg.tlscacert ? { ca: cfg.tlscacert } : {}) };
  }
  if (!cfg.insecureTcp) throw new TdockError('invalid-argument', 'tcp:// hosts need --tlsverify --tlscacert --tlscert --tlskey (or --insecure-tcp to accept the risk)');
  warn('WARNING: API is accessible on tcp WITHOUT TLS: anyone who can reach it has root on this host (--insecure-tcp)');
  return undefined;
}

/** Writes the pid file; an existing one naming a live process is an error. */
function writePidfile(file: string): void {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new TdockError('conflict', `pid file found, ensure tdockd is not running or delete ${file}`);
      } catch (err) {
        if (err instanceof TdockError) throw err;
      }
    }
  } catch (err) {
    if (err instanceof TdockError) throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${process.pid}`);
}

function defaultStop(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.removeListener('SIGTERM', on);
      process.removeListener('SIGINT', on);
      resolve(sig);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

/** Runs the daemon with argv (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: DaemonIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(USAGE.trimStart());
    return 0;
  }
  if (argv.includes('-v') || argv.includes('--version')) {
    io.stdout.write(`tdockd version ${TDOCK_VERSION}, build unknown\n`);
    return 0;
  }
  let cfg: DaemonConfig;
  try {
    cfg = parseDaemonArgs(argv);
  } catch (err) {
    io.stderr.write(`tdockd: ${(err as Error).message}\nSee 'tdockd --help'.\n`);
    return 125;
  }
  const log = pino({ level: cfg.logLevel, base: { pid: process.pid } }, io.stderr as NodeJS.WritableStream & pino.DestinationStream);
  try {
    const hosts = cfg.hosts.map(parseHost);
    const tls = tlsFor(cfg, hosts, (m) => log.warn(m));
    fs.mkdirSync(cfg.dataRoot, { recursive: true, mode: 0o711 });
    writePidfile(cfg.pidfile);
    const events = createEventHub();
    const buildTime = fs.statSync(fileURLToPath(import.meta.url)).mtime.toISOString();
    // Networking (src/network): it finds containers through the container service made just below.
    let lookup: ContainerLookup['resolve'] = async () => {
      throw new TdockError('unavailable', 'the daemon is starting');
    };
    const networking = new NetworkManager({
      dataRoot: cfg.dataRoot, containers: { resolve: (n) => lookup(n) }, bridgeName: cfg.bridge, nftTable: cfg.nftTable, linkPrefix: cfg.linkPrefix,
      ...(cfg.bip ? { bip: cfg.bip } : {}), ...(cfg.defaultAddressPool ? { defaultAddressPools: [parseAddressPool(cfg.defaultAddressPool)] } : {}),
      dnsForward: cfg.dnsForward, hostResolvConf: readOptional('/etc/resolv.conf') ?? '', warn: (m) => log.warn(m),
    });
    await networking.restore();
    // The engine's services (stores, runtime, live-restore of running containers): services/index.ts.
    const services = await createServices({ dataRoot: cfg.dataRoot, runRoot: cfg.execRoot, cgroupParent: cfg.cgroupParent, logger: log, events, buildTime, networking, shimPool: cfg.shimPool });
    lookup = async (n) => {
      const c = (await services.containers.inspect(n, { size: false })) as { Id: string; Name: string; State: { Pid?: number }; Config: { Labels?: Record<string, string> | null } };
      return { id: c.Id, name: c.Name.replace(/^\//, ''), ...(c.State.Pid ? { pid: c.State.Pid } : {}), ...(c.Config.Labels ? { labels: c.Config.Labels } : {}) };
    };
    const app = buildApp(services, { logger: log });
    const listeners = await listenOn(app, hosts, tls);
    log.info({ hosts: cfg.hosts, dataRoot: cfg.dataRoot }, 'API listen');
    const sig = await (io.stopSignal ?? defaultStop());
    log.info({ signal: sig }, 'shutting down; containers keep running');
    await listeners.close(2000);
    await services.close();
    await networking.close();
    fs.rmSync(cfg.pidfile, { force: true });
    return 0;
  } catch (err) {
    if (readOptional(cfg.pidfile)?.trim() === String(process.pid)) fs.rmSync(cfg.pidfile, { force: true });
    log.error({ err }, 'failed to start daemon');
    io.stderr.write(`tdockd: failed to start daemon: ${(err as Error).message}\n`);
    return 1;
  }
}
