/**
 * `POST /build` and `/build/prune` for the engine: the request's context and query in, the builder's plan run
 * through {@link EngineBuildBackend}, the image committed to the store and tagged, docker's legacy stream out.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buildStageGraph, parseDockerfileStages, runBuild, type BuildArgOptions } from '@tdock/builder';
import { familiarString, invalidArgument, type ImageConfig, parseNormalizedNamed, referenceString, tagNameOnly } from '@tdock/core';
import type { DockerSeccompProfile, Runtime } from '@tdock/runtime';
import { parseBool, queryValue, queryValues, type Query } from '../api/query.js';
import type { BuildService, ImageService, ProgressSink } from '../api/services.js';
import type { AuthConfig } from '../api/types.js';
import { sha256Digest } from '../store/digest.js';
import type { MountOps } from '../store/fs-ops.js';
import type { ImageStore } from '../store/image-store.js';
import { EngineBuildBackend } from './backend.js';
import { BuildCache } from './cache.js';
import { extractContext, prepareContext } from './context.js';
import { BuildLayers } from './layers.js';
import { LegacyStream } from './legacy-stream.js';
import { ensureInitLayer } from './run-step.js';

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
  /** Called after an image is built and tagged (e.g. to publish `tag` events). */
  onImage?: (id: string, tags: readonly string[]) => void;
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
  network: 'none' | 'host';
  platform: string;
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
  if (mode && !['default', 'bridge', 'none', 'host'].includes(mode)) throw invalidArgument(`network mode ${mode} is not supported for builds`);
  return {
    tags, dockerfile: queryValue(q, 'dockerfile') ?? '',
    buildArgs: jsonParam(q, 'buildargs', {}), labels: jsonParam(q, 'labels', {}), target: queryValue(q, 'target') ?? '',
    noCache: parseBool(queryValue(q, 'nocache')), pull: parseBool(queryValue(q, 'pull')), quiet: parseBool(queryValue(q, 'q')),
    network: mode === 'host' ? 'host' : 'none', platform: queryValue(q, 'platform') ?? '',
  };
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

/**
 * A cached step keeps the time it was first built (docker reuses the cached intermediate image), so a rebuild
 * with nothing changed gives the same image ID: the target stage's history entries take their cache records' times.
 */
async function pinCreated(config: ImageConfig, keys: readonly string[], cache: BuildCache): Promise<void> {
  const history = config.history ?? [];
  const start = history.length - keys.length;
  if (start < 0) return;
  for (let i = 0; i < keys.length; i++) {
    const rec = await cache.get(keys[i]!);
    if (rec) history[start + i]!.created = rec.createdAt;
  }
  const last = history.at(-1)?.created;
  if (last) config.created = last;
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
      try {
        await extractContext(context as Readable & AsyncIterable<Buffer>, ctxDir, signal);
        const { dockerfile } = prepareContext(ctxDir, req.dockerfile);
        const buildArgs: BuildArgOptions = req.buildArgs;
        const graph = buildStageGraph(parseDockerfileStages(dockerfile), { target: req.target || undefined, buildArgs });
        const targetKeys: string[] = [];
        const out = new LegacyStream(progress, req.quiet, graph, (ref) => deps.store.tryResolve(ref)?.id);
        const stream = (text: string): void => {
          if (!req.quiet) progress.stream(text);
        };
        const backend = new EngineBuildBackend({
          store: deps.store, mounts: deps.mounts, cache, layers, initLayer,
          run: {
            runtime: deps.runtime, builderRoot, contextRoot: ctxDir, defaultNetwork: req.network, stream,
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
          onEvent: (e) => {
            if (e.type === 'step-done' && e.stage === graph.target) targetKeys.push(e.key);
            out.event(e);
          }, signal,
        });
        if (epoch === undefined) await pinCreated(result.config, targetKeys, cache);
        await layers.ensure(result.layers);
        const records = result.layers.map((l) => layers.record(l.diffId));
        const configBytes = Buffer.from(JSON.stringify(result.config));
        const id = sha256Digest(configBytes);
        const manifestBytes = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: configBytes.length },
          layers: records.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        }));
        const manifestDigest = sha256Digest(manifestBytes);
        await deps.store.content.writeBytes(configBytes, id);
        await deps.store.content.writeBytes(manifestBytes, manifestDigest);
        const refs = req.tags.map((t) => referenceString(tagNameOnly(parseNormalizedNamed(t))));
        const now = new Date().toISOString();
        const existing = deps.store.metadata.image(id);
        await deps.store.metadata.putImage({
          ...(existing ?? { id, manifestDigest, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json', configSize: configBytes.length, layers: records, loadedAt: now }),
          ...(refs.length ? { lastTagTime: now } : {}),
        }, refs);
        out.finish(id, req.tags);
        deps.onImage?.(id, req.tags);
      } finally {
        layers.release();
        await rm(ctxDir, { recursive: true, force: true }).catch(() => undefined);
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
