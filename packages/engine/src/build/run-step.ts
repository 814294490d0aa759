/**
 * RUN through the runtime: a container over an overlay of the parent chain (plus a small init layer holding the
 * mount points, so they never land in the step's layer), Docker's default confinement from specconv, network none
 * unless `host` was asked for, output streamed as it arrives, killed when the build is cancelled.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { TdockError } from '@tdock/core';
import type { ResolvedMount, RunStepRequest } from '@tdock/builder';
import { resolveUserFrom, type DockerSeccompProfile, type OciSpec, type Runtime } from '@tdock/runtime';
import { hostsFile } from '../network/etc-files.js';
import type { ContainerConfig, HostConfig } from '../api/types.js';
import type { ContainerNetworking } from '../services/networking.js';
import { toOciSpec, type OciMount } from '../specconv/index.js';
import type { Mount } from '../store/snapshots.js';
import { resolveInScope } from './scope.js';
import type { BuildResources } from './service.js';

/** What running a step needs from the daemon. */
export interface RunEnv {
  /** The daemon's networks: RUN steps on the default bridge (`networkmode=default`) connect through it. */
  networking?: ContainerNetworking;
  /** HostConfig fields of every RUN container: `--memory`, `--cpu-shares`, `--add-host`... */
  resources?: BuildResources;
  /** `rm` (default true): remove the container of a successful RUN ("Removing intermediate container"). */
  remove?: boolean;
  /** `forcerm`: remove the container of a failing RUN too. */
  forceRemove?: boolean;
  /**
   * Registers a RUN container the legacy builder keeps (`rm=false`, or a failing step without `forcerm`) as an
   * exited container of the daemon, owning the step's snapshot (`rootfs`, active key = the container ID). Without
   * it the container is removed like any other.
   */
  keepContainer?: (c: KeptBuildContainer) => Promise<void>;
  /** The daemon's side of each RUN container, as dockerd has it for its build containers. */
  containers?: BuildContainerHooks;
  runtime: Runtime;
  seccompProfile?: DockerSeccompProfile;
  cgroupVersion?: 1 | 2;
  /** `<dataRoot>/builder`: init layer, cache mounts and bundles live here. */
  builderRoot: string;
  /** The extracted build context (bind mounts without `from`). */
  contextRoot: string;
  /** `networkmode`: where `RUN` without `--network` goes (`default` is the bridge when networking is given). */
  defaultNetwork: 'none' | 'host' | 'default';
  /** Writes build output (`{"stream"}`). */
  stream: (text: string) => void;
}

/**
 * What the daemon does for a RUN container while it lives, as dockerd does for its build containers (they go
 * through its ordinary create, attach, start and rm): a random name reserved in the daemon's name index (kept
 * by the container if it stays), and the `create`, `attach`, `start`, `die` and `destroy` events.
 */
export interface BuildContainerHooks {
  /** Reserves a random name for the container `id`; returns it without the leading `/`. */
  reserveName(id: string): string;
  releaseName(name: string): void;
  event(action: string, id: string, attributes: Record<string, string>): void;
}

/** A RUN container that stays after its step, as dockerd's legacy builder leaves it (`docker ps -a`, `docker rm`). */
export interface KeptBuildContainer {
  id: string;
  /** The name reserved while it ran (`BuildContainerHooks.reserveName`); a random one when absent. */
  name?: string;
  /** The image the step ran on (`sha256:<hex>`; '' for scratch): the container's Image and Config.Image. */
  image: string;
  /** Config as moby's dispatchRun creates the container: the stage's, with the step's Cmd and Env, no Entrypoint. */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The step's writable snapshot (lowers without the build's init layer). */
  rootfs: Mount;
  exitCode: number;
  /** Set when the process never started (dockerd leaves the container `created` with the error). */
  error?: string;
  /** A container docker creates only to commit a metadata or WORKDIR step: `created`, never started. */
  neverStarted?: boolean;
  startedAt: number;
  finishedAt: number;
}

/** How a RUN went: the exit code, and the container to keep when the rules keep it. */
export interface RunOutcome {
  exitCode: number;
  keep?: KeptBuildContainer;
  /** The process never started: the step fails with this error (after the container is kept or removed). */
  failure?: Error;
}

/**
 * moby's dispatch: `forcerm` removes every step's container; `rm` (implied by forcerm) removes it after a step
 * that succeeded; otherwise (rm=false, or a failing step without forcerm) it stays.
 */
export function removesContainer(env: Pick<RunEnv, 'remove' | 'forceRemove'>, succeeded: boolean): boolean {
  return env.forceRemove === true || (env.remove !== false && succeeded);
}

/** The directory holding empty mount points (dev, proc, sys), shared by every RUN as the top lower. */
export function ensureInitLayer(builderRoot: string): string {
  const dir = join(builderRoot, 'init');
  for (const d of ['dev', 'proc', 'sys']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
    utimesSync(join(dir, d), 0, 0);
  }
  return dir;
}

function readFirst(dirs: readonly string[], rel: string): string {
  for (const d of dirs) {
    try {
      return readFileSync(join(d, rel), 'utf8');
    } catch {
      // next layer
    }
  }
  return '';
}

function stepMounts(req: RunStepRequest, env: RunEnv, bundle: string): OciMount[] {
  const out: OciMount[] = [];
  for (const f of req.files) {
    const host = join(bundle, 'files', createHash('sha256').update(f.path).digest('hex').slice(0, 16));
    mkdirSync(join(bundle, 'files'), { recursive: true });
    writeFileSync(host, f.data, { mode: f.mode });
    out.push({ destination: f.path, type: 'bind', source: host, options: ['rbind', 'ro', 'rprivate'] });
  }
  for (const m of req.mounts) out.push(...runMount(m, env));
  return out;
}

function runMount(m: ResolvedMount, env: RunEnv): OciMount[] {
  switch (m.type) {
    case 'tmpfs':
      return [{ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.sizeLimit ? [`size=${m.sizeLimit}`] : [])] }];
    case 'cache': {
      const id = createHash('sha256').update(m.cacheId || m.target).digest('hex').slice(0, 32);
      const dir = join(env.builderRoot, 'cache-mounts', id);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      return [{ destination: m.target, type: 'bind', source: dir, options: ['rbind', m.readOnly ? 'ro' : 'rw', 'rprivate'] }];
    }
    case 'bind': {
      if (m.fromSource && m.fromSource.kind !== 'context') throw new TdockError('not-implemented', 'RUN --mount=type=bind,from=<stage or image> is not supported by this builder');
      const source = resolveInScope(env.contextRoot, m.source || '/');
      return [{ destination: m.target, type: 'bind', source, options: ['rbind', m.readOnly ? 'ro' : 'rw', 'rprivate'] }];
    }
    default:
      if (m.required) throw new TdockError('not-implemented', `RUN --mount=type=${m.type} is not supported by this builder`);
      return [];
  }
}

/**
 * Runs `req.argv` over `rootfs` (a prepared snapshot: lowers plus a fresh upper) as container `id`. Output goes to
 * `env.stream` (stderr in red, as moby's stream formatter). Resolves with the exit code, and the container to keep
 * when `rm`/`forcerm` keep it and `env.keepContainer` can take it (the caller then leaves the snapshot to it);
 * the runtime's container is always deleted. A build that is cancelled keeps nothing.
 */
export async function runContainer(req: RunStepRequest, rootfs: Mount, initLayer: string, env: RunEnv, id: string = randomBytes(32).toString('hex')): Promise<RunOutcome> {
  const bundle = join(env.builderRoot, 'tmp', id.slice(0, 16));
  await mkdir(bundle, { recursive: true });
  let network: string = req.network === 'default' ? env.defaultNetwork : req.network;
  if (network === 'default' && !env.networking) network = 'none';
  const bridged = network === 'default';
  const lowers = rootfs.lowers;
  const res = env.resources ?? {};
  let connected = false;
  const startedAt = Date.now();
  const hooks = env.containers;
  const name = hooks?.reserveName(id);
  const attributes = { ...(req.config?.Labels ?? {}), image: req.parentImage ?? '', ...(name !== undefined ? { name } : {}) };
  const event = (action: string, extra: Record<string, string> = {}): void => hooks?.event(action, id, { ...attributes, ...extra });
  let created = false;
  let stays = false;
  const kept = (exitCode: number, error: string | undefined): KeptBuildContainer => {
    // moby's dispatchRun: the stage's config with the step's Cmd and Env, Entrypoint [""] (reset to none at create), no healthcheck
    const { Entrypoint: _entrypoint, ...stage } = (req.config ?? {}) as ContainerConfig;
    return {
      id, ...(name !== undefined ? { name } : {}), image: req.parentImage ?? '', rootfs,
      config: { ...stage, Hostname: id.slice(0, 12), Cmd: req.argv, Env: req.env, Image: req.parentImage ?? '', Healthcheck: { Test: ['NONE'] } },
      hostConfig: { ...res, NetworkMode: bridged ? 'bridge' : network, LogConfig: { Type: 'none', Config: {} } },
      exitCode, ...(error !== undefined ? { error } : {}), startedAt, finishedAt: Date.now(),
    };
  };
  try {
    const etc = await etcFiles(bundle, id, res, lowers, bridged);
    const spec = toOciSpec({
      id, config: { Cmd: req.argv, Env: req.env, User: req.user, WorkingDir: req.cwd || '/', Hostname: id.slice(0, 12) },
      hostConfig: { ...res, NetworkMode: bridged ? 'bridge' : network },
    }, {
      rootfs: join(bundle, 'rootfs'),
      resolveUser: (user) => {
        const r = resolveUserFrom(user, readFirst(lowers, 'etc/passwd'), readFirst(lowers, 'etc/group'));
        return { uid: r.uid, gid: r.gid, ...(r.additionalGids.length ? { additionalGids: r.additionalGids } : {}) };
      },
      ...(env.seccompProfile ? { seccompProfile: env.seccompProfile } : {}),
      ...(env.cgroupVersion ? { cgroupVersion: env.cgroupVersion } : {}),
    });
    spec.mounts.push(...etc.mounts, ...stepMounts(req, env, bundle));
    req.signal.throwIfAborted();
    const net = env.networking;
    if (bridged && net) {
      await net.connectAtCreate({ id, name: `tdock-build-${id.slice(0, 12)}` }, 'bridge');
      connected = true;
    }
    event('create');
    created = true;
    await env.runtime.create(id, {
      bundle, spec: spec as unknown as OciSpec, rootfs: { ...rootfs, lowers: [initLayer, ...etc.lowers, ...lowers] },
      ...(bridged && net ? {
        network: async (pid: number) => {
          await net.attach(id, pid);
          const files = net.containerFiles(id, { hostname: id.slice(0, 12), ...(res.ExtraHosts ? { extraHosts: res.ExtraHosts } : {}) });
          writeFileSync(etc.hosts, files.hosts);
          writeFileSync(etc.resolvConf, files.resolvConf);
        },
      } : {}),
    });
    const kill = (): void => void env.runtime.kill(id, 'SIGKILL').catch(() => undefined);
    req.signal.addEventListener('abort', kill, { once: true });
    if (req.signal.aborted) kill();
    let exitCode: number | undefined;
    let startError: string | undefined;
    try {
      env.stream(` ---> Running in ${id.slice(0, 12)}\n`);
      const att = await env.runtime.attach(id);
      event('attach');
      const ran = Date.now();
      if (await env.runtime.start(id).then(() => true, () => false)) event('start');
      const dec = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      for (let f = await att.next(); f !== null; f = await att.next()) {
        if ('exit' in f) break;
        const text = dec[f.stream].write(Buffer.from(f.data, 'base64'));
        if (text) env.stream(f.stream === 'stderr' ? `\u001b[91m${text}\u001b[0m` : text);
      }
      att.close();
      const exit = await env.runtime.wait(id);
      event('die', { exitCode: String(exit.exitCode), execDuration: String(Math.max(0, Math.floor((Date.now() - ran) / 1000))) });
      req.signal.throwIfAborted();
      if (exit.error) {
        startError = `failed to run the build step: ${exit.error.step}: ${exit.error.message}`;
        exitCode = exit.exitCode || 127;
      } else exitCode = exit.exitCode;
      const keep = removesContainer(env, exitCode === 0 && startError === undefined) || !env.keepContainer ? undefined : kept(exitCode, startError);
      stays = keep !== undefined;
      return { exitCode, ...(keep ? { keep } : {}), ...(startError !== undefined ? { failure: new TdockError('internal', startError) } : {}) };
    } finally {
      req.signal.removeEventListener('abort', kill);
      await env.runtime.delete(id, { force: true }).catch(() => undefined);
      // moby's containerManager.RemoveAll prints this once the container is gone
      if (exitCode !== undefined && !req.signal.aborted && removesContainer(env, exitCode === 0 && startError === undefined)) env.stream(`Removing intermediate container ${id.slice(0, 12)}\n`);
    }
  } finally {
    if (connected && env.networking) {
      await env.networking.detach(id).catch(() => undefined);
      await env.networking.release(id).catch(() => undefined);
    }
    await rm(bundle, { recursive: true, force: true });
    if (!stays) {
      if (created) event('destroy');
      if (name !== undefined) hooks?.releaseName(name);
    }
  }
}

function present(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether `rel` exists in the merged view of `lowers` (newest first): the first layer naming it decides (a whiteout hides it). */
function inRootfs(lowers: readonly string[], rel: string): boolean {
  for (const l of lowers) {
    const st = lstatSync(join(l, rel), { throwIfNoEntry: false });
    if (st) return !(st.isCharacterDevice() && st.rdev === 0);
  }
  return false;
}

/**
 * /etc/hosts and /etc/resolv.conf of a RUN container, bind-mounted over the image's when the container is on the
 * bridge (written again once its address is known) or `--add-host` was given; otherwise the image's own files stay.
 * A file the image lacks gets its mount point in an extra lower (never in the step's layer).
 */
async function etcFiles(bundle: string, id: string, res: BuildResources, lowers: readonly string[], bridged: boolean): Promise<{ mounts: OciMount[]; lowers: string[]; hosts: string; resolvConf: string }> {
  const hosts = join(bundle, 'hosts');
  const resolvConf = join(bundle, 'resolv.conf');
  const out = { mounts: [] as OciMount[], lowers: [] as string[], hosts, resolvConf };
  if (!bridged && !res.ExtraHosts?.length) return out;
  const files: Array<[string, string]> = [['etc/hosts', hosts]];
  writeFileSync(hosts, hostsFile({ hostname: id.slice(0, 12), extraHosts: res.ExtraHosts ?? [] }));
  if (bridged) {
    writeFileSync(resolvConf, '');
    files.push(['etc/resolv.conf', resolvConf]);
  }
  const extra = join(bundle, 'etc-init');
  for (const [rel, host] of files) {
    out.mounts.push({ destination: `/${rel}`, type: 'bind', source: host, options: ['rbind', 'rprivate'] });
    if (!inRootfs(lowers, rel)) {
      await mkdir(join(extra, 'etc'), { recursive: true, mode: 0o755 });
      writeFileSync(join(extra, rel), '');
    }
  }
  if (existsSync(extra)) {
    // the directory shadows the image's /etc in the merged view (and in a copy-up): give it the image's attributes
    const etc = lowers.map((l) => join(l, 'etc')).find(present);
    if (etc) {
      const st = lstatSync(etc);
      if (st.isDirectory()) {
        chownSync(join(extra, 'etc'), st.uid, st.gid);
        chmodSync(join(extra, 'etc'), st.mode & 0o7777);
        utimesSync(join(extra, 'etc'), st.atime, st.mtime);
      }
    }
    out.lowers.push(extra);
  }
  return out;
}
