import { createHash } from 'node:crypto';
import type { ImageConfig } from '@tdock/core';
import type {
  BaseImage, BuildBackend, CachedStep, CacheKeyParts, CopyStepRequest, LayerRef, RunStepRequest, SourceHashRequest, StepOutcome,
} from '../src/index.js';

const h = (s: string): string => 'sha256:' + createHash('sha256').update(s).digest('hex');

/** An in-memory backend: layers are hashes of what produced them; the cache is a map. */
export class FakeBackend implements BuildBackend {
  readonly runs: RunStepRequest[] = [];
  readonly copies: CopyStepRequest[] = [];
  readonly cache = new Map<string, CachedStep>();
  readonly images = new Map<string, BaseImage>();
  /** Content digests of context paths (what the context hasher would compute). */
  readonly context = new Map<string, string>();
  exitCodes = new Map<string, number>();
  /** Set by tests to emulate --cache-from. */
  cacheFromLookup?: BuildBackend['cacheFromLookup'];
  /** Called at the start of each runStep (tests use it to hold steps). */
  onRun?: (req: RunStepRequest) => Promise<void>;

  addImage(ref: string, config: Partial<ImageConfig> = {}): BaseImage {
    const layers: LayerRef[] = [{ diffId: h('layer:' + ref) }];
    const image: BaseImage = {
      ref, digest: h('image:' + ref + JSON.stringify(config)), layers,
      config: {
        architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: [{ created: '2020-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:base in / ' }], ...config,
      },
    };
    this.images.set(ref, image);
    return image;
  }

  readonly resolved: Array<{ ref: string; platform: string; pull: boolean }> = [];

  async resolveImage(req: { ref: string; platform: string; pull: boolean }): Promise<BaseImage> {
    const ref = req.ref;
    this.resolved.push({ ref, platform: req.platform, pull: req.pull });
    const image = this.images.get(ref);
    if (!image) throw new Error(`pull access denied for ${ref}`);
    return image;
  }

  async runStep(req: RunStepRequest): Promise<StepOutcome> {
    this.runs.push(req);
    if (this.onRun) await this.onRun(req);
    const cmd = req.argv.join(' ');
    const exitCode = this.exitCodes.get(cmd) ?? 0;
    req.output(`ran ${cmd}\n`);
    if (cmd.includes('true-noop')) return { exitCode };
    return { exitCode, layer: { diffId: h(JSON.stringify([req.parent, req.argv])) } };
  }

  async copyFiles(req: CopyStepRequest): Promise<StepOutcome> {
    this.copies.push(req);
    return { exitCode: 0, layer: { diffId: h(JSON.stringify([req.parent, req.sources, req.dest, req.source, [...this.context]])) } };
  }

  async makeDir(req: { parent: readonly LayerRef[]; path: string }): Promise<StepOutcome> {
    return { exitCode: 0, layer: { diffId: h(JSON.stringify([req.parent, 'mkdir', req.path])) } };
  }

  async hashSources(req: SourceHashRequest): Promise<{ digest: string; historyHash: string }> {
    const parts = req.sources.map((s) => `${s}=${this.context.get(s) ?? 'none'}`);
    const d = h(JSON.stringify([req.source.kind === 'rootfs' ? req.source.layers : req.source.kind, parts, req.contents]));
    return { digest: d, historyHash: (req.sources.length > 1 ? 'multi:' : 'file:') + d.slice(7) };
  }

  async cacheLookup(key: string): Promise<CachedStep | undefined> {
    return this.cache.get(key);
  }

  async cacheStore(key: string, step: CachedStep): Promise<void> {
    this.cache.set(key, step);
  }

  async cacheSiblings(parentKey: string): Promise<CacheKeyParts[]> {
    return [...this.cache.values()].map((c) => c.parts).filter((p) => p.parent === parentKey || p.op === 'from');
  }
}
