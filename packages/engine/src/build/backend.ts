/**
 * The engine's {@link BuildBackend} for one build: base images from the store (pulled when missing or with
 * `pull`), RUN through the runtime, COPY/ADD/WORKDIR on a host-mounted overlay of the parent, layers through the
 * store's diff, and the persistent cache. One instance per build; its methods are safe to call concurrently.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  BaseImage, BuildBackend, CachedStep, CopyStepRequest, FileSource, LayerRef, RootfsChain, RunStepRequest, SourceHash, SourceHashRequest, StepOutcome,
} from '@tdock/builder';
import { resolveChown } from '@tdock/builder';
import type { CacheKeyParts } from '@tdock/builder';
import type { MountOps } from '../store/fs-ops.js';
import type { ImageStore } from '../store/image-store.js';
import type { BuildCache } from './cache.js';
import { copyInto, mkdirAllScoped } from './copy.js';
import type { BuildLayers } from './layers.js';
import { runContainer, type RunEnv } from './run-step.js';
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
  /** Pulls `ref` into the store, writing progress into the build stream. */
  pull: (ref: string, platform: string, signal: AbortSignal) => Promise<void>;
}

export class EngineBuildBackend implements BuildBackend {
  constructor(private readonly d: BackendDeps) {}

  private scratch(): string {
    return join(this.d.run.builderRoot, 'tmp');
  }

  async resolveImage(req: { ref: string; platform: string; pull: boolean; signal: AbortSignal }): Promise<BaseImage> {
    let rec = this.d.store.tryResolve(req.ref);
    if (!rec || req.pull) {
      await this.d.pull(req.ref, req.platform, req.signal);
      rec = this.d.store.resolve(req.ref);
    }
    this.d.layers.add(rec.layers);
    const config = await this.d.store.config(rec.id);
    return { ref: req.ref, digest: rec.id, config, layers: rec.layers.map((l) => ({ diffId: l.diffId, size: l.size })) };
  }

  /** Prepares a writable snapshot on `parent`, runs `fn` on it, and turns its upper into the step's layer. */
  private async withUpper(parent: RootfsChain, signal: AbortSignal, fn: (rootfs: { lowers: string[]; upper: string; work: string; type: 'overlay' }) => Promise<number>): Promise<StepOutcome> {
    const top = await this.d.layers.ensure(parent);
    const key = `build-${randomBytes(8).toString('hex')}`;
    const m = await this.d.store.snapshots.prepare(key, top);
    try {
      const exitCode = await fn({ type: 'overlay', lowers: m.lowers, upper: m.upper!, work: m.work! });
      if (exitCode !== 0) return { exitCode };
      const layer = await this.d.layers.commit(m.upper!, parent, signal);
      return { exitCode: 0, ...(layer ? { layer } : {}) };
    } finally {
      await this.d.store.snapshots.removeActive(key);
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
      return 0;
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
    return this.withUpper(req.parent, req.signal, (rootfs) => runContainer(req, rootfs, this.d.initLayer, this.d.run));
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
    return { ...(rec.layer ? { layer: { diffId: rec.layer.diffId, size: rec.layer.size } as LayerRef } : {}), createdBy: rec.createdBy, parts: rec.parts };
  }

  async cacheStore(key: string, step: CachedStep): Promise<void> {
    const layer = step.layer ? this.d.layers.record(step.layer.diffId) : undefined;
    await this.d.cache.put(key, { ...(layer ? { layer } : {}), createdBy: step.createdBy, parts: step.parts, parent: step.parts.parent, createdAt: new Date().toISOString() });
  }

  async cacheSiblings(parentKey: string): Promise<CacheKeyParts[]> {
    return this.d.cache.siblings(parentKey);
  }
}
