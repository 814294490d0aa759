/**
 * The engine's {@link BuildBackend} for one build: base images from the store (pulled when missing or with
 * `pull`), RUN through the runtime, COPY/ADD/WORKDIR on a host-mounted overlay of the parent, layers through the
 * store's diff, and the persistent cache. One instance per build; its methods are safe to call concurrently.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  BaseImage, BuildBackend, CachedStep, CommitStepRequest, CopyStepRequest, FileSource, LayerRef, RootfsChain, RunStepRequest, SourceHash, SourceHashRequest,
  StepOutcome,
} from '@tdock/builder';
import { notFound, type History, type ImageConfig } from '@tdock/core';
import { resolveChown } from '@tdock/builder';
import type { CacheKeyParts } from '@tdock/builder';
import type { MountOps } from '../store/fs-ops.js';
import type { LayerRecord } from '../store/image-metadata.js';
import { sha256Digest } from '../store/digest.js';
import type { ImageStore } from '../store/image-store.js';
import type { BuildCache } from './cache.js';
import { copyInto, mkdirAllScoped } from './copy.js';
import type { BuildLayers } from './layers.js';
import { runContainer, type KeptBuildContainer, type RunEnv, type RunOutcome } from './run-step.js';
import { excludeMatcher, hashSelection, selectSources } from './sources.js';

/** Everything one build's backend uses. */
export interface BackendDeps {
  store: ImageStore;
  mounts: MountOps;
  cache: BuildCache;
  layers: BuildLayers;
  run: RunEnv;
  /** The shared init layer (mount points for RUN). */
  initLayer: string;
  /** `--cache-from` images (names or IDs); those missing locally are ignored, as docker does. */
  cacheFrom?: readonly string[];
  /** Pulls `ref` into the store, writing progress into the build stream. */
  pull: (ref: string, platform: string, signal: AbortSignal) => Promise<void>;
}

/** `os/arch[/variant]` of an image config. */
function platformOf(c: ImageConfig): string {
  return [c.os || 'linux', c.architecture || 'amd64', ...(c.variant ? [c.variant] : [])].join('/');
}

/** containerd's matcher, roughly: same OS and architecture, and the variant when both name one. */
function platformMatches(c: ImageConfig, want: string): boolean {
  const [os, arch, variant] = want.split('/');
  const norm = (a: string | undefined): string => (a === 'x86_64' || a === 'x86-64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a ?? '');
  if ((c.os || 'linux') !== os || norm(c.architecture || 'amd64') !== norm(arch)) return false;
  return !variant || !c.variant || c.variant === variant;
}

/** moby compares history entries with reflect.DeepEqual. */
function sameHistory(a: History, b: History): boolean {
  return (a.created ?? '') === (b.created ?? '') && (a.created_by ?? '') === (b.created_by ?? '') && (a.author ?? '') === (b.author ?? '') &&
    (a.comment ?? '') === (b.comment ?? '') && Boolean(a.empty_layer) === Boolean(b.empty_layer);
}

export class EngineBuildBackend implements BuildBackend {
  constructor(private readonly d: BackendDeps) {}

  private scratch(): string {
    return join(this.d.run.builderRoot, 'tmp');
  }

  async resolveImage(req: { ref: string; platform: string; pull: boolean; signal: AbortSignal }): Promise<BaseImage> {
    let rec = this.d.store.tryResolve(req.ref);
    let config = rec ? await this.d.store.config(rec.id) : undefined;
    if (!rec || !config || req.pull || (req.platform && !platformMatches(config, req.platform))) {
      await this.d.pull(req.ref, req.platform, req.signal);
      rec = this.d.store.resolve(req.ref);
      config = await this.d.store.config(rec.id);
    }
    if (req.platform && !platformMatches(config, req.platform)) {
      // moby's GetImage: the image is there, but not for the platform the build asked for
      throw notFound(`image with reference ${req.ref} was found but its platform (${platformOf(config)}) does not match the specified platform (${req.platform})`);
    }
    this.d.layers.add(rec.layers);
    return { ref: req.ref, digest: rec.id, config, layers: rec.layers.map((l) => ({ diffId: l.diffId, size: l.size })) };
  }

  /** Stores `config` over `layers` as an untagged image with `parent` (unless it exists) and returns its ID. */
  async commitImage(config: ImageConfig, chain: RootfsChain, parent: string | undefined): Promise<string> {
    const configBytes = Buffer.from(JSON.stringify(config));
    const id = sha256Digest(configBytes);
    if (this.d.store.metadata.image(id)) return id;
    const records = chain.map((l) => this.d.layers.record(l.diffId));
    await this.d.layers.ensure(chain);
    const manifestBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: configBytes.length },
      layers: records.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }));
    const manifestDigest = sha256Digest(manifestBytes);
    await this.d.store.content.writeBytes(configBytes, id);
    await this.d.store.content.writeBytes(manifestBytes, manifestDigest);
    const parentOk = parent !== undefined && this.d.store.metadata.image(parent) !== undefined;
    await this.d.store.metadata.putImage({
      id, manifestDigest, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json', configSize: configBytes.length, layers: records,
      loadedAt: new Date().toISOString(), ...(parentOk ? { parent } : {}),
    });
    return id;
  }

  /** Each step's result is an image of its own (docker's intermediate images: `docker images -a`, `history`). */
  async commitStep(req: CommitStepRequest): Promise<string> {
    return this.commitImage(req.config, req.layers, req.parent);
  }

  /**
   * Prepares a writable snapshot `key` on `parent`, runs `fn` on it, and turns its upper into the step's layer. The
   * snapshot is removed afterwards unless `fn` hands it to a container that stays (`keep`, registered once the
   * layer is committed, and also when the step failed).
   */
  private async withUpper(
    parent: RootfsChain, signal: AbortSignal, fn: (rootfs: { lowers: string[]; upper: string; work: string; type: 'overlay' }) => Promise<RunOutcome>,
    key = `build-${randomBytes(8).toString('hex')}`,
  ): Promise<StepOutcome> {
    const top = await this.d.layers.ensure(parent);
    const m = await this.d.store.snapshots.prepare(key, top);
    let keep: KeptBuildContainer | undefined;
    try {
      const out = await fn({ type: 'overlay', lowers: m.lowers, upper: m.upper!, work: m.work! });
      keep = out.keep;
      if (out.failure) throw out.failure;
      if (out.exitCode !== 0) return { exitCode: out.exitCode };
      const layer = await this.d.layers.commit(m.upper!, parent, signal);
      return { exitCode: 0, ...(layer ? { layer } : {}) };
    } finally {
      if (keep && this.d.run.keepContainer) await this.d.run.keepContainer(keep);
      else await this.d.store.snapshots.removeActive(key);
    }
  }

  /** Mounts the overlay on the host for the duration of `fn` (COPY, ADD, WORKDIR). */
  private async mutate(parent: RootfsChain, signal: AbortSignal, fn: (merged: string) => Promise<void>): Promise<StepOutcome> {
    return this.withUpper(parent, signal, async (rootfs) => {
      const merged = await mkdtemp(join(this.scratch(), 'm-'));
      this.d.mounts.mountOverlay(rootfs, merged);
      try {
        await fn(merged);
      } finally {
        this.d.mounts.unmount(merged);
        await rm(merged, { recursive: true, force: true });
      }
      return { exitCode: 0 };
    });
  }

  /** A host directory holding `source`'s files for the duration of `fn`. */
  private async withSource<T>(source: FileSource, fn: (root: string) => Promise<T>): Promise<T> {
    if (source.kind === 'context') return fn(this.d.run.contextRoot);
    const chain = source.kind === 'rootfs' ? source.layers : source.image.layers;
    const lowers = await this.d.layers.lowers(chain);
    const dir = await mkdtemp(join(this.scratch(), 'v-'));
    const empty = join(dir, 'empty');
    const view = join(dir, 'view');
    await mkdir(empty);
    await mkdir(view);
    this.d.mounts.mountOverlay({ lowers: [...lowers, empty] }, view);
    try {
      return await fn(view);
    } finally {
      this.d.mounts.unmount(view);
      await rm(dir, { recursive: true, force: true });
    }
  }

  async runStep(req: RunStepRequest): Promise<StepOutcome> {
    // the container's ID names its snapshot, so a container the legacy rules keep (`--rm=false`) owns it as it is
    const id = randomBytes(32).toString('hex');
    return this.withUpper(req.parent, req.signal, (rootfs) => runContainer(req, rootfs, this.d.initLayer, this.d.run, id), id);
  }

  async copyFiles(req: CopyStepRequest): Promise<StepOutcome> {
    return this.withSource(req.source, (srcRoot) => this.mutate(req.parent, req.signal, async (merged) => {
      const selected = selectSources(srcRoot, req.cmdName, req.sources);
      let owner: { uid: number; gid: number } | undefined = { uid: 0, gid: 0 };
      if (req.chown) {
        const read = (p: string): Promise<string> => readFile(join(merged, p), 'utf8').catch(() => '');
        owner = resolveChown(req.chown, { passwd: await read('etc/passwd'), group: await read('etc/group') });
      } else if (req.preserveOwnership) owner = undefined;
      const chmod = req.chmod ? parseInt(req.chmod, 8) : undefined;
      const ex = excludeMatcher(req.excludes);
      await copyInto(merged, req.cmdName, selected, req.contents, req.dest, {
        ...(owner ? { owner } : {}), ...(chmod !== undefined && Number.isFinite(chmod) ? { chmod } : {}), ...(ex ? { excludes: ex } : {}),
        unpack: req.cmdName === 'ADD' && req.unpack !== false, fsOps: this.d.store.fsOps, scratch: this.scratch(), signal: req.signal,
      });
    }));
  }

  async makeDir(req: { parent: RootfsChain; path: string; signal: AbortSignal }): Promise<StepOutcome> {
    return this.mutate(req.parent, req.signal, async (merged) => {
      mkdirAllScoped(merged, req.path);
    });
  }

  async hashSources(req: SourceHashRequest): Promise<SourceHash> {
    return this.withSource(req.source, async (root) => hashSelection(selectSources(root, req.cmdName, req.sources), req.contents, req.excludes, req.signal));
  }

  async cacheLookup(key: string): Promise<CachedStep | undefined> {
    const rec = await this.d.cache.get(key);
    if (!rec) return undefined;
    if (rec.layer) this.d.layers.add([rec.layer]);
    return {
      ...(rec.layer ? { layer: { diffId: rec.layer.diffId, size: rec.layer.size } as LayerRef } : {}), createdBy: rec.createdBy, parts: rec.parts,
      created: rec.createdAt,
    };
  }

  async cacheStore(key: string, step: CachedStep): Promise<void> {
    const layer = step.layer ? this.d.layers.record(step.layer.diffId) : undefined;
    await this.d.cache.put(key, {
      ...(layer ? { layer } : {}), createdBy: step.createdBy, parts: step.parts, parent: step.parts.parent, createdAt: step.created ?? new Date().toISOString(),
    });
  }

  /** The `--cache-from` images, resolved once per build (missing names are skipped). */
  private cacheSources?: Promise<Array<{ config: ImageConfig; layers: LayerRecord[] }>>;

  /**
   * `--cache-from`, moby's `imageCache.GetCache` for the legacy builder: an image whose history starts with ours
   * (entries equal, times included) and whose layers start with ours, and whose next history entry is this step's
   * `created_by`, gives the step: its layer (unless the entry is empty) and its time.
   */
  async cacheFromLookup(req: { layers: RootfsChain; history: readonly History[]; createdBy: string; signal: AbortSignal }): Promise<CachedStep | undefined> {
    if (!this.d.cacheFrom?.length) return undefined;
    this.cacheSources ??= Promise.all(this.d.cacheFrom.map(async (name) => {
      const rec = this.d.store.tryResolve(name);
      return rec ? [{ config: await this.d.store.config(rec.id), layers: rec.layers }] : [];
    })).then((l) => l.flat());
    const n = req.history.length;
    for (const src of await this.cacheSources) {
      const h = src.config.history ?? [];
      if (h.length <= n || h[n]!.created_by !== req.createdBy) continue;
      if (!req.history.every((e, i) => sameHistory(e, h[i]!))) continue;
      if (src.layers.length < req.layers.length || !req.layers.every((l, i) => l.diffId === src.layers[i]!.diffId)) continue;
      const step = h[n]!;
      let layer: LayerRecord | undefined;
      if (!step.empty_layer) {
        layer = src.layers[req.layers.length];
        if (!layer) continue;
        this.d.layers.add([layer]);
      }
      return {
        ...(layer ? { layer: { diffId: layer.diffId, size: layer.size } } : {}), createdBy: req.createdBy,
        parts: { version: 0, parent: '', op: '', instruction: {} } as unknown as CachedStep['parts'], ...(step.created ? { created: step.created } : {}),
      };
    }
    return undefined;
  }

  async cacheSiblings(parentKey: string): Promise<CacheKeyParts[]> {
    return this.d.cache.siblings(parentKey);
  }
}
