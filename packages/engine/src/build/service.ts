/**
 * `POST /build` and `/build/prune` for the engine: the request's context and query in, the builder's plan run
 * through {@link EngineBuildBackend}, the image committed to the store and tagged, docker's legacy stream out.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buildStageGraph, parseDockerfileStages, runBuild, type BuildArgOptions } from '@tdock/builder';
import { familiarString, invalidArgument, notImplemented, parseNormalizedNamed, referenceString, tagNameOnly } from '@tdock/core';
import type { DockerSeccompProfile, Runtime } from '@tdock/runtime';
import { parseBool, queryValue, queryValues, type Query } from '../api/query.js';
import type { BuildService, ImageService, ProgressSink } from '../api/services.js';
import type { AuthConfig, ContainerConfig } from '../api/types.js';
import type { ContainerNetworking } from '../services/networking.js';
import type { MountOps } from '../store/fs-ops.js';
import type { ImageStore } from '../store/image-store.js';
import { EngineBuildBackend } from './backend.js';
import { BuildCache } from './cache.js';
import { extractContext, prepareContext } from './context.js';
import { BuildLayers } from './layers.js';
import { LegacyStream } from './legacy-stream.js';
import { ensureInitLayer, type BuildContainerHooks, type KeptBuildContainer } from './run-step.js';

/** What the build service is made of (all injected; the store's data root holds `builder/`). */
export interface BuildServiceDeps {
  store: ImageStore;
  runtime: Runtime;
  /** Pulls base images (the image service's pull: progress in docker's words). */
  images: Pick<ImageService, 'pull'>;
  /** Host overlay mounts for COPY/ADD/WORKDIR (`sysMountOps()` in the daemon). */
  mounts: MountOps;
  seccompProfile?: DockerSeccompProfile;
  cgroupVersion?: 1 | 2;
  /** The daemon's networks (RUN steps on the default bridge); without it RUN steps get no network by default. */
  networking?: ContainerNetworking;
  /** Takes the RUN containers the legacy rules keep (`rm=false`, a failing step without `forcerm`) as exited containers. */
  keepContainer?: (c: KeptBuildContainer) => Promise<void>;
  /** Names and events of RUN containers, as dockerd has them (`docker events` shows create ... destroy). */
  containers?: BuildContainerHooks;
  /** Called after an image is built and tagged (e.g. to publish `tag` events). */
  onImage?: (id: string, tags: readonly string[]) => void;
}

/** The resource limits and host settings of RUN containers (moby's build options, in HostConfig words). */
export interface BuildResources {
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  ShmSize?: number;
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
  ExtraHosts?: string[];
}

/** The query of a legacy build, decoded. */
export interface BuildRequest {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target: string;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  /** Where RUN steps without `--network` go: `default` is the daemon's default bridge. */
  network: 'none' | 'host' | 'default';
  platform: string;
  /** `rm` (default true): remove intermediate containers after a successful step. */
  remove: boolean;
  /** `forcerm`: remove them even after a failing step. */
  forceRemove: boolean;
  /** `cachefrom`: images whose steps may be reused (the legacy probe). */
  cacheFrom: string[];
  resources: BuildResources;
}

function jsonParam<T>(q: Query, key: string, fallback: T): T {
  const raw = queryValue(q, key);
  if (!raw) return fallback;
  try {
    return (JSON.parse(raw) ?? fallback) as T;
  } catch {
    throw invalidArgument(`invalid ${key} parameter: ${raw}`);
  }
}

/** Decodes `/build`'s query (moby `newImageBuildOptions`); tags are validated and normalised up front. */
export function parseBuildQuery(q: Query): BuildRequest {
  const tags = queryValues(q, 't').filter((t) => t !== '').map((t) => {
    try {
      return familiarString(tagNameOnly(parseNormalizedNamed(t)));
    } catch {
      throw invalidArgument(`invalid reference format: ${t}`);
    }
  });
  const mode = (queryValue(q, 'networkmode') ?? '').toLowerCase();
  if (mode && !['default', 'bridge', 'none', 'host'].includes(mode)) {
    throw notImplemented(`network mode "${mode}" is not supported for builds (use default, bridge, host or none)`);
  }
  refuseUnsupported(q);
  const forceRemove = parseBool(queryValue(q, 'forcerm'));
  const rmRaw = queryValue(q, 'rm');
  const remove = forceRemove || rmRaw === undefined || rmRaw === '' || parseBool(rmRaw);
  return {
    tags, dockerfile: queryValue(q, 'dockerfile') ?? '',
    buildArgs: jsonParam(q, 'buildargs', {}), labels: jsonParam(q, 'labels', {}), target: queryValue(q, 'target') ?? '',
    noCache: parseBool(queryValue(q, 'nocache')), pull: parseBool(queryValue(q, 'pull')), quiet: parseBool(queryValue(q, 'q')),
    network: mode === 'host' ? 'host' : mode === 'none' ? 'none' : 'default', platform: parsePlatform(queryValue(q, 'platform') ?? ''),
    remove, forceRemove, cacheFrom: jsonParam<unknown[]>(q, 'cachefrom', []).filter((c): c is string => typeof c === 'string' && c !== ''),
    resources: parseResources(q),
  };
}

/** Options of moby's legacy builder that tdockd does not implement: a clear error rather than silence. */
function refuseUnsupported(q: Query): void {
  if (parseBool(queryValue(q, 'squash'))) throw notImplemented('--squash is not supported by tdockd');
  const remote = queryValue(q, 'remote');
  if (remote) throw notImplemented(`remote build contexts are not supported by tdockd (remote=${remote})`);
  const version = queryValue(q, 'version');
  if (version === '2') throw notImplemented('BuildKit builds (version=2) are not supported by tdockd: use DOCKER_BUILDKIT=0');
  if (version && version !== '1') throw invalidArgument(`invalid version "${version}"`);
  const isolation = queryValue(q, 'isolation');
  if (isolation && isolation !== 'default') throw invalidArgument(`unsupported isolation: "${isolation}"`);
  if (queryValues(q, 'securityopt').length > 0) throw invalidArgument('security options are not supported on linux');
  if (queryValue(q, 'cgroupparent')) throw notImplemented('--cgroup-parent is not supported for builds by tdockd');
  const outputs = queryValue(q, 'outputs');
  if (outputs && outputs !== '[]' && outputs !== 'null') throw notImplemented('build outputs are not supported by the legacy builder');
}

/** `os/arch[/variant]`, validated; '' when not given. */
function parsePlatform(p: string): string {
  const v = p.trim().toLowerCase();
  if (!v) return '';
  const parts = v.split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((x) => !/^[a-z0-9._-]+$/.test(x))) throw invalidArgument(`"${p}": unknown operating system or architecture: invalid argument`);
  if (parts.length === 1) return `linux/${parts[0]}`;
  return parts.join('/');
}

function intParam(q: Query, key: string): number | undefined {
  const v = queryValue(q, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw invalidArgument(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  return n === 0 ? undefined : n;
}

/** memory, memswap, cpushares, cpuperiod, cpuquota, cpusetcpus, cpusetmems, shmsize, ulimits and extrahosts. */
function parseResources(q: Query): BuildResources {
  const r: BuildResources = {};
  const num: Array<[string, 'Memory' | 'MemorySwap' | 'CpuShares' | 'CpuPeriod' | 'CpuQuota' | 'ShmSize']> = [
    ['memory', 'Memory'], ['memswap', 'MemorySwap'], ['cpushares', 'CpuShares'], ['cpuperiod', 'CpuPeriod'], ['cpuquota', 'CpuQuota'], ['shmsize', 'ShmSize'],
  ];
  for (const [key, field] of num) {
    const n = intParam(q, key);
    if (n !== undefined) r[field] = n;
  }
  if (r.Memory !== undefined && r.Memory > 0 && r.Memory < 6 * 1024 * 1024) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (r.MemorySwap !== undefined && r.MemorySwap > 0 && r.Memory !== undefined && r.MemorySwap < r.Memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.Memory !== undefined && r.Memory > 0 && r.MemorySwap === undefined) r.MemorySwap = r.Memory * 2;
  const cpus = queryValue(q, 'cpusetcpus');
  if (cpus) r.CpusetCpus = cpus;
  const mems = queryValue(q, 'cpusetmems');
  if (mems) r.CpusetMems = mems;
  const ul = jsonParam<Array<{ Name?: string; Soft?: number; Hard?: number }> | null>(q, 'ulimits', null);
  if (ul?.length) r.Ulimits = ul.map((u) => ({ Name: u.Name ?? '', Soft: u.Soft ?? 0, Hard: u.Hard ?? 0 }));
  // the docker CLI sends one `extrahosts` value per --add-host (older clients: one comma-separated value)
  const hosts = queryValues(q, 'extrahosts').flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean);
  // `name:ip` or `name=ip`; kept as `name:ip`, the form the hosts file writer reads
  const extra = hosts.map((h) => {
    const sep = h.includes('=') ? h.indexOf('=') : h.indexOf(':');
    if (sep <= 0 || sep === h.length - 1) throw invalidArgument(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
    return `${h.slice(0, sep)}:${h.slice(sep + 1)}`;
  });
  if (extra.length) r.ExtraHosts = extra;
  return r;
}

/** The credentials for `ref`'s registry out of an `X-Registry-Config` map. */
export function authFor(ref: string, config: Record<string, AuthConfig> | undefined): AuthConfig | undefined {
  if (!config) return undefined;
  let domain: string;
  try {
    domain = parseNormalizedNamed(ref).domain;
  } catch {
    return undefined;
  }
  const keys = domain === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [domain, `https://${domain}`, `http://${domain}`];
  for (const k of keys) if (config[k]) return config[k];
  return undefined;
}

const silentSink: ProgressSink = { status: () => undefined, progress: () => undefined, stream: () => undefined, aux: () => undefined };

/** Removes what a crashed build left in `tmp` (host mounts first: the m- overlays and the view of each v- directory). */
function clearScratch(tmp: string, mounts: MountOps): void {
  for (const name of readdirSync(tmp)) {
    const abs = join(tmp, name);
    try {
      if (name.startsWith('m-')) mounts.unmount(abs);
      if (name.startsWith('v-')) mounts.unmount(join(abs, 'view'));
      rmSync(abs, { recursive: true, force: true });
    } catch {
      // left for the next start; never fatal
    }
  }
}

/**
 * With `rm=false`, the containers dockerd creates (and never starts) to commit a metadata or WORKDIR step stay, as
 * `created` containers on the step's parent image with Cmd `[<shell>, "#(nop) ", <instruction>]` (moby's
 * `withCmdComment`; WORKDIR's `withCmdCommentString` makes `#(nop) WORKDIR /x` one word). Returns the hook LegacyStream calls for each such step; the records are saved in `pending`.
 */
function keepStepContainer(deps: BuildServiceDeps, req: BuildRequest, pending: Array<Promise<void>>): (c: { parentImage: string; imageId: string; createdBy: string }) => string {
  return ({ parentImage, imageId, createdBy }) => {
    const id = randomBytes(32).toString('hex');
    const at = Date.now();
    const saved = (async () => {
      const config = (await deps.store.config(imageId)).config ?? {};
      const shell = config.Shell?.length ? config.Shell : ['/bin/sh', '-c'];
      const prefix = `${shell.join(' ')} `;
      const rest = createdBy.startsWith(prefix) ? createdBy.slice(prefix.length) : createdBy;
      // withCmdComment gives metadata steps `#(nop) ` and the comment as two words; WORKDIR's withCmdCommentString one
      const nop = /^#\(nop\) {2}(.*)$/s.exec(rest);
      const cmd = [...shell, ...(nop ? ['#(nop) ', nop[1]!] : [rest])];
      const rootfs = await deps.store.prepareRootfs(id, parentImage);
      try {
        await deps.keepContainer!({
          id, image: parentImage, rootfs, exitCode: 0, neverStarted: true, startedAt: at, finishedAt: at,
          config: { ...(config as ContainerConfig), Hostname: id.slice(0, 12), Cmd: cmd, Image: parentImage },
          hostConfig: { ...req.resources, NetworkMode: req.network === 'default' ? 'bridge' : req.network, LogConfig: { Type: 'none', Config: {} } },
        });
      } catch (err) {
        await deps.store.snapshots.removeActive(id);
        throw err;
      }
    })();
    saved.catch(() => undefined); // awaited (and its error reported) before the build ends
    pending.push(saved);
    return id;
  };
}

/** The engine's BuildService. Opening creates `<dataRoot>/builder/` (cache records survive restarts). */
export function createBuildService(deps: BuildServiceDeps): BuildService {
  const builderRoot = join(deps.store.dataRoot, 'builder');
  const tmp = join(builderRoot, 'tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  clearScratch(tmp, deps.mounts);
  const initLayer = ensureInitLayer(builderRoot);
  const cache = new BuildCache(join(builderRoot, 'cache'), deps.store.content);
  mkdirSync(cache.root, { recursive: true });
  const ready = cache.init();
  ready.catch(() => undefined);

  return {
    async build({ context, query, registryConfig, progress, signal }): Promise<void> {
      const req = parseBuildQuery(query);
      await ready;
      const ctxDir = await mkdtemp(join(tmp, 'ctx-'));
      const sde = req.buildArgs.SOURCE_DATE_EPOCH;
      const epoch = sde !== undefined && sde !== null && /^\d+$/.test(sde) ? Number(sde) : undefined;
      const layers = new BuildLayers(deps.store, epoch);
      let entries = Infinity;
      const kept: Array<Promise<void>> = [];
      try {
        entries = await extractContext(context as Readable & AsyncIterable<Buffer>, ctxDir, signal);
        const { dockerfile } = prepareContext(ctxDir, req.dockerfile);
        const buildArgs: BuildArgOptions = req.buildArgs;
        const graph = buildStageGraph(parseDockerfileStages(dockerfile), { target: req.target || undefined, buildArgs });
        const keepStep = !req.remove && deps.keepContainer ? keepStepContainer(deps, req, kept) : undefined;
        const out = new LegacyStream(progress, req.quiet, graph, (ref) => deps.store.tryResolve(ref)?.id, req.remove, keepStep);
        const stream = (text: string): void => {
          if (!req.quiet) progress.stream(text);
        };
        const backend = new EngineBuildBackend({
          store: deps.store, mounts: deps.mounts, cache, layers, initLayer, cacheFrom: req.cacheFrom,
          run: {
            runtime: deps.runtime, builderRoot, contextRoot: ctxDir, defaultNetwork: req.network, stream,
            resources: req.resources, remove: req.remove, forceRemove: req.forceRemove, ...(deps.keepContainer ? { keepContainer: deps.keepContainer } : {}),
            ...(deps.containers ? { containers: deps.containers } : {}),
            ...(deps.networking ? { networking: deps.networking } : {}),
            ...(deps.seccompProfile ? { seccompProfile: deps.seccompProfile } : {}), ...(deps.cgroupVersion ? { cgroupVersion: deps.cgroupVersion } : {}),
          },
          pull: async (ref, platform, sig) => {
            const auth = authFor(ref, registryConfig);
            await deps.images.pull({ fromImage: ref, tag: '', ...(platform ? { platform } : {}), ...(auth ? { auth } : {}), progress: req.quiet ? silentSink : progress, signal: sig });
          },
        });
        const result = await runBuild({
          dockerfile, backend, buildArgs, noCache: req.noCache, pull: req.pull, platform: req.platform, labels: req.labels,
          ...(req.target ? { target: req.target } : {}),
          ...(epoch !== undefined ? { now: () => new Date(epoch * 1000) } : {}),
          onEvent: out.event, signal,
        });
        // the target's last step is the image (docker's final intermediate image); a stage without steps is its base
        // (an image's snapshots exist: commitImage materialises them before storing a new one)
        await Promise.all(kept);
        const id = result.imageId ?? await backend.commitImage(result.config, result.layers, undefined);
        const refs = req.tags.map((t) => referenceString(tagNameOnly(parseNormalizedNamed(t))));
        const now = new Date().toISOString();
        for (const ref of refs) if (deps.store.metadata.resolve(ref) !== id) await deps.store.metadata.tag(ref, id, now);
        out.finish(id, req.tags);
        deps.onImage?.(id, req.tags);
      } finally {
        await Promise.allSettled(kept);
        layers.release();
        // a small context goes in one synchronous call (no thread-pool round trip per file); a large one in the background pool
        if (entries <= 256) {
          try {
            rmSync(ctxDir, { recursive: true, force: true });
          } catch {
            // left for the next start's scratch sweep
          }
        } else await rm(ctxDir, { recursive: true, force: true }).catch(() => undefined);
      }
    },

    async prune(): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
      await ready;
      const removed = await cache.prune();
      await deps.store.collect();
      return { CachesDeleted: removed.map((r) => r.key), SpaceReclaimed: removed.reduce((n, r) => n + r.size, 0) };
    },
  };
}
