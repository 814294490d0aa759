/**
 * Two engines side by side for the daemon benchmarks: tdockd (temporary roots from the kit) and
 * Debian's dockerd (the kit's reference daemon), a kit registry on loopback they both pull from,
 * and the same docker CLI pointed at each. Containers run with `--network none`.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  DOCKERD_PATHS, run, startDockerd, startRegistry, startTdockd, tdockdArgs, tempRoots,
  type DaemonHandle, type DockerdHandle, type RegistryHandle, type RunResult, type TempRoots,
} from '@tdock/testkit';
import { descendants, processes, sumMemory, type ProcInfo } from './memory.js';

/** The docker CLI both engines are driven with. */
export const DOCKER_CLI = '/usr/local/bin/docker';

/** One engine: its handle and a docker CLI environment pointed at it. */
export interface Engine {
  label: string;
  daemon: DaemonHandle;
  /** The engine's data root (images, containers). */
  dataRoot: string;
  env: NodeJS.ProcessEnv;
  /** Runs the docker CLI against this engine; rejects with its stderr on a non-zero exit. */
  docker(args: string[]): Promise<RunResult>;
  /** Runs another client (e.g. the tdock CLI) with this engine's environment. */
  client(cmd: string, args: string[]): Promise<RunResult>;
  /** Summed memory of the engine's processes (daemon, helpers, shims; container payloads excluded). */
  memory(): { pssMb: number; rssMb: number; count: number };
}

/** Both engines and the registry. */
export interface Pair {
  roots: TempRoots;
  registry: RegistryHandle;
  tdockd: Engine;
  dockerd: Engine;
  stop(): Promise<void>;
}

function cliEnv(host: string, configDir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: host, TDOCK_HOST: host, DOCKER_CONFIG: configDir };
}

/** Process names of container payloads, left out of an engine's memory. */
const PAYLOADS = new Set(['sleep', 'sh', 'true']);

function engine(label: string, daemon: DaemonHandle, dataRoot: string, configDir: string, members: (all: ProcInfo[]) => ProcInfo[]): Engine {
  const env = cliEnv(daemon.dockerHost, configDir);
  return {
    label, daemon, dataRoot, env,
    docker: (args) => run(DOCKER_CLI, args, { env }),
    client: (cmd, args) => run(cmd, args, { env }),
    memory: () => sumMemory(members(processes()).filter((p) => !PAYLOADS.has(p.comm))),
  };
}

/** Flags tdockd accepts beyond the kit's defaults, read from its --help (older builds lack some). */
async function tdockdExtraArgs(roots: TempRoots): Promise<string[]> {
  return [...tdockdArgs(roots), '--log-level', 'warn'];
}

/** Why the docker CLI the engines are driven with cannot run here, or undefined. */
export function cliMissing(): string | undefined {
  return existsSync(DOCKER_CLI) ? undefined : `${DOCKER_CLI} is missing`;
}

/** Why the pair cannot start here, or undefined. */
export function pairMissing(): string | undefined {
  if (!DOCKERD_PATHS.some((p) => existsSync(p))) return 'dockerd is not installed';
  if (!existsSync(DOCKER_CLI)) return `${DOCKER_CLI} is missing`;
  return undefined;
}

/** Starts the registry, tdockd and dockerd; `pull` lists kit references to pull into both. */
export async function startPair(pull: string[] = []): Promise<Pair> {
  const roots = await tempRoots();
  let registry: RegistryHandle | undefined;
  let td: DaemonHandle | undefined;
  let dd: DockerdHandle | undefined;
  const stop = async (): Promise<void> => {
    await td?.stop().catch(() => undefined);
    await dd?.stop().catch(() => undefined);
    await registry?.stop().catch(() => undefined);
    await roots.cleanup();
  };
  try {
    registry = await startRegistry();
    td = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: await tdockdExtraArgs(roots) });
    dd = await startDockerd();
    const tdPid = td.pid;
    const ddh = dd;
    const tdockd = engine('tdockd', td, roots.dataRoot, path.join(roots.dir, 'cli-t'), (all) => descendants(all, tdPid));
    const dockerd = engine('dockerd', dd, dd.dataRoot, path.join(roots.dir, 'cli-d'), (all) => {
      // containerd is dockerd's child; its shims re-parent away but name the exec root in their arguments.
      const shims = all.filter((p) => p.pid !== ddh.pid && (p.cmdline.includes(ddh.execRoot) || p.cmdline.includes(ddh.dataRoot)));
      const set = new Map<number, ProcInfo>();
      for (const p of [...descendants(all, ddh.pid), ...shims.flatMap((s) => descendants(all, s.pid))]) set.set(p.pid, p);
      return [...set.values()];
    });
    const reg = registry;
    for (const ref of pull) await Promise.all([tdockd, dockerd].map((e) => e.docker(['pull', '-q', `${reg.host}/${ref}`])));
    return { roots, registry, tdockd, dockerd, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** tdockd alone (no dockerd) with its registry, for benchmarks that compare tdockd with itself. */
export interface Solo {
  roots: TempRoots;
  registry: RegistryHandle;
  tdockd: Engine;
  stop(): Promise<void>;
}

/** Starts the registry and tdockd as {@link startPair} does, without dockerd. */
export async function startTdockdOnly(pull: string[] = []): Promise<Solo> {
  const roots = await tempRoots();
  let registry: RegistryHandle | undefined;
  let td: DaemonHandle | undefined;
  const stop = async (): Promise<void> => {
    await td?.stop().catch(() => undefined);
    await registry?.stop().catch(() => undefined);
    await roots.cleanup();
  };
  try {
    registry = await startRegistry();
    td = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: await tdockdExtraArgs(roots) });
    const tdPid = td.pid;
    const tdockd = engine('tdockd', td, roots.dataRoot, path.join(roots.dir, 'cli-t'), (all) => descendants(all, tdPid));
    for (const ref of pull) await tdockd.docker(['pull', '-q', `${registry.host}/${ref}`]);
    return { roots, registry, tdockd, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Removes every container of an engine (force, with volumes). */
export async function removeAllContainers(e: Engine): Promise<void> {
  const ids = (await e.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 50) await e.docker(['rm', '-f', '-v', ...ids.slice(i, i + 50)]);
}

/** A keep-alive GET client over a daemon's unix socket. */
export function socketGetter(socket: string): { get(pathname: string): Promise<{ status: number; body: string }>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    get: (pathname) => new Promise((resolve, reject) => {
      const req = http.request({ socketPath: socket, path: pathname, agent, headers: { Host: 'localhost' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
    close: () => agent.destroy(),
  };
}

/**
 * Whether tdockd can run a container: a fresh tdockd pulls busybox from a kit registry and runs
 * `docker run --rm --network none IMG true`. Returns the reason when it cannot.
 */
export async function probeTdockdRuns(busyboxRef: string): Promise<string | undefined> {
  const roots = await tempRoots();
  let registry: RegistryHandle | undefined;
  let td: DaemonHandle | undefined;
  try {
    registry = await startRegistry();
    td = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: await tdockdExtraArgs(roots) });
    const env = cliEnv(td.dockerHost, path.join(roots.dir, 'cli'));
    const img = `${registry.host}/${busyboxRef}`;
    await run(DOCKER_CLI, ['pull', '-q', img], { env });
    await run(DOCKER_CLI, ['run', '--rm', '--network', 'none', img, 'true'], { env });
    return undefined;
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim() !== '') ?? '';
    return `tdockd cannot run containers yet (${first.slice(0, 160)})`;
  } finally {
    await td?.stop().catch(() => undefined);
    await registry?.stop().catch(() => undefined);
    await roots.cleanup();
  }
}
