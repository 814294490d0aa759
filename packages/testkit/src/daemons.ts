// startTdockd() and startDockerd(): spawn a daemon on its own unix socket and roots, wait for
// GET /_ping, and stop it again (SIGTERM, then SIGKILL), cleaning up what it left.
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHttp } from './http.js';
import { killHard, onProcessExit, rmSyncQuiet, spawnOwned, stopChild, TailBuffer } from './proc.js';
import { cgroupsNamed, killProcessesUnder, mountsUnder, removeCgroupTree } from './temp-roots.js';
import { execFileSync } from 'node:child_process';

/** Thrown when a test needs something this machine lacks (turn it into `this.skip()`). */
export class KitSkipError extends Error {
  readonly skip = true;
  constructor(message: string) {
    super(message);
    this.name = 'KitSkipError';
  }
}

/** A running daemon. */
export interface DaemonHandle {
  /** `unix:///path/to/socket` (for DOCKER_HOST or dockerode's socketPath via `socket`). */
  dockerHost: string;
  /** The socket path. */
  socket: string;
  /** The daemon's pid. */
  pid: number;
  /** The last 64 KiB of the daemon's stdout and stderr. */
  logs(): string;
  /** SIGTERM, then SIGKILL after a grace period; then removes what the kit made for it. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link waitForPing}. */
export interface WaitForPingOptions {
  /** Give up after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Abort early (for example: the daemon died); throw from it. */
  check?: () => void;
}

/** Waits until `GET /_ping` on the unix socket answers 200 (body "OK"). */
export async function waitForPing(socket: string, opts: WaitForPingOptions = {}): Promise<void> {
  await waitForHttp('http://localhost/_ping', {
    socketPath: socket, okStatuses: [200], deadlineMs: opts.timeoutMs ?? 30_000, ...(opts.check ? { check: opts.check } : {}),
  });
}

async function startDaemon(name: string, cmd: string, args: string[], socket: string, timeoutMs: number,
  env: NodeJS.ProcessEnv | undefined, afterStop: () => Promise<void>): Promise<DaemonHandle> {
  const { child, unregister } = spawnOwned(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  const tail = new TailBuffer();
  child.stdout?.on('data', (b: Buffer) => tail.push(b));
  child.stderr?.on('data', (b: Buffer) => tail.push(b));
  const died = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopChild(child, 'SIGTERM', 10_000);
    unregister();
    await afterStop();
  };
  try {
    await waitForPing(socket, {
      timeoutMs,
      check: () => { if (died(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode})`); },
    });
  } catch (e) {
    killHard(child);
    await stop();
    throw new Error(`${name} did not answer /_ping on ${socket}: ${e instanceof Error ? e.message : String(e)}\n--- ${name} output ---\n${tail.toString()}`, { cause: e });
  }
  return { dockerHost: `unix://${socket}`, socket, pid: child.pid ?? 0, logs: () => tail.toString(), stop };
}

/** The repository root (this file is packages/testkit/{src,dist/src}/daemons.*). */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes('/dist/') ? join(here, '../../../..') : join(here, '../../..');
}

/** Options of {@link startTdockd}. */
export interface TdockdOptions {
  dataRoot: string;
  /** The API socket (at most 107 bytes). */
  socket: string;
  /** More daemon flags (e.g. the injected names of `tempRoots()`). */
  extraArgs?: string[];
  /** The tdockd entry to run (default `<repo>/packages/engine/bin/tdockd.js`). */
  tdockdPath?: string;
  /** Pid file (default `tdockd.pid` beside the socket). */
  pidfile?: string;
  /** Readiness timeout (default 30 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Spawns `node <repo>/packages/engine/bin/tdockd.js -H unix://SOCKET --data-root ROOT --pidfile
 * FILE ...extraArgs`, waits for GET /_ping → 200, and returns its handle. On failure the error
 * carries the daemon's output.
 */
export async function startTdockd(opts: TdockdOptions): Promise<DaemonHandle> {
  const entry = opts.tdockdPath ?? join(repoRoot(), 'packages/engine/bin/tdockd.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing (build the engine first)`);
  const pidfile = opts.pidfile ?? join(dirname(opts.socket), 'tdockd.pid');
  const args = [entry, '-H', `unix://${opts.socket}`, '--data-root', opts.dataRoot, '--pidfile', pidfile, ...(opts.extraArgs ?? [])];
  return startDaemon('tdockd', process.execPath, args, opts.socket, opts.timeoutMs ?? 30_000, opts.env, async () => undefined);
}

/** Where Debian's docker.io puts dockerd. */
export const DOCKERD_PATHS = ['/usr/sbin/dockerd', '/usr/bin/dockerd'] as const;

/** Options of {@link startDockerd}. */
export interface DockerdOptions {
  extraArgs?: string[];
  /** Readiness timeout (default 60 s). */
  timeoutMs?: number;
}

/** A running reference dockerd; `dataRoot`/`execRoot` are its private temporary roots. */
export interface DockerdHandle extends DaemonHandle {
  dataRoot: string;
  execRoot: string;
  /** The cgroup parent its containers go under (`tdock-dockerd-<id>`). */
  cgroupParent: string;
}

/**
 * Starts Debian's dockerd (docker.io) with its own socket, data root, exec root, pid file and
 * cgroup parent, and no networking set-up (`--bridge=none --iptables=false --ip6tables=false
 * --ip-forward=false --ip-masq=false`). Throws {@link KitSkipError} when dockerd is not installed.
 * stop() stops it (and its containerd), kills what is left under its roots, unmounts and removes them.
 */
export async function startDockerd(opts: DockerdOptions = {}): Promise<DockerdHandle> {
  const bin = DOCKERD_PATHS.find((p) => existsSync(p));
  if (!bin) throw new KitSkipError('dockerd is not installed (apt-get install docker.io)');
  const id = randomBytes(3).toString('hex');
  const dir = await mkdtemp(`/tmp/tdd-${id}-`);
  const dataRoot = join(dir, 'd');
  const execRoot = join(dir, 'x');
  const socket = join(dir, 'docker.sock');
  const pidfile = join(dir, 'dockerd.pid');
  const config = join(dir, 'daemon.json');
  const cgroupParent = `tdock-dockerd-${id}`;
  await writeFile(config, '{}\n');
  const cleanupSync = (): void => {
    const containerdPid = readPid(join(execRoot, 'containerd/containerd.pid'));
    if (containerdPid) { try { process.kill(containerdPid, 'SIGKILL'); } catch { /* gone */ } }
    killProcessesUnder(dir);
    for (const m of mountsUnder(dir)) { try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* gone */ } }
    for (const cg of cgroupsNamed(cgroupParent)) removeCgroupTree(cg);
    rmSyncQuiet(dir);
  };
  const unregister = onProcessExit(cleanupSync);
  const args = [
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
    '-H', `unix://${socket}`, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', pidfile,
    '--config-file', config, '--cgroup-parent', cgroupParent, ...(opts.extraArgs ?? []),
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCKER_')));
  const handle = await startDaemon('dockerd', bin, args, socket, opts.timeoutMs ?? 60_000, env, async () => {
    // dockerd stops its containerd on SIGTERM; make sure, and sweep shims, mounts and cgroups.
    await stopContainerd(execRoot);
    cleanupSync();
    unregister();
    await rm(dir, { recursive: true, force: true });
  });
  return { ...handle, dataRoot, execRoot, cgroupParent };
}

function readPid(file: string): number {
  try { return Number(readFileSync(file, 'utf8').trim()) || 0; } catch { return 0; }
}

async function stopContainerd(execRoot: string): Promise<void> {
  const pid = readPid(join(execRoot, 'containerd/containerd.pid'));
  if (!pid) return;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  for (let i = 0; i < 50; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 100));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

/**
 * The tdockd flags that put everything a daemon creates under a test's own names (DESIGN §9): exec
 * root, cgroup parent, default bridge and its subnet, the user-network pool, the nftables table, the
 * link prefix; and no DNS forwarding off the machine.
 */
export function tdockdArgs(roots: { execRoot: string; cgroupParent: string; bridgeName: string; gateway: string; subnet: string; subnetPool: string; nftTable: string; linkPrefix: string }): string[] {
  const prefix = roots.subnet.split('/')[1] ?? '24';
  return [
    '--exec-root', roots.execRoot, '--cgroup-parent', roots.cgroupParent, '--bridge', roots.bridgeName, '--bip', `${roots.gateway}/${prefix}`,
    '--default-address-pool', `base=${roots.subnetPool},size=24`, '--nft-table', roots.nftTable, '--link-prefix', roots.linkPrefix, '--dns-forward=false',
  ];
}
