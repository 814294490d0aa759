/**
 * The orchestrator: walks the stage graph, starting each needed stage as soon as the stages it depends on are done
 * (independent stages run concurrently), dispatches each instruction, keys it, reuses cached steps, executes the
 * rest through the {@link BuildBackend}, and assembles the image config with docker's history.
 */
import { posix } from 'node:path';
import { TdockError, type ContainerConfig, type History, type ImageConfig } from '@tdock/core';
import type { BaseImage, BuildBackend, CachedStep, FileSource, LayerRef, ResolvedMount } from './backend.js';
import { BuildArgs, type BuildArgOptions } from './build-args.js';
import { type CacheKey, type CacheKeyParts, type HashFunction, explainCacheMiss, fromCacheKey, sha256Hash, stepCacheKey } from './cache-key.js';
import { beginStage, dispatchInstruction, type StageState, type StepPlan } from './dispatch.js';
import { copyComment, createdBy, nopCmdString } from './history.js';
import { type Dockerfile, type Instruction, labelOptionInstructions, parseDockerfileStages, parseInstruction } from './instructions.js';
import { ShellLex } from './lexer.js';
import { parseDockerfile } from './parser.js';
import { type StageGraph, buildStageGraph, metaArgsScope, resolveFromRef } from './stage-graph.js';

/** Progress of a build, for the API stream and for tests. */
export type BuildEvent =
  | { type: 'step'; stage: number; step: number; total: number; text: string }
  | { type: 'cache-hit'; stage: number; key: string }
  | { type: 'step-done'; stage: number; key: string; cached: boolean; layer?: LayerRef; createdBy: string; imageId?: string }
  | { type: 'cache-miss'; stage: number; key: string; reason?: string; op: StepPlan['kind'] }
  | { type: 'triggers'; stage: number; count: number }
  | { type: 'run-start' | 'run-end'; stage: number; at: number }
  | { type: 'output'; stage: number; chunk: string | Uint8Array }
  | { type: 'warning'; message: string };

export interface BuildOptions {
  dockerfile: string;
  backend: BuildBackend;
  buildArgs?: BuildArgOptions;
  target?: string;
  noCache?: boolean;
  /** Extra meta-arg defaults, e.g. BuildKit's `platformArgs(build, target)`; none for the legacy builder. */
  automaticArgs?: Readonly<Record<string, string>>;
  /** `--pull`: always ask the backend to pull base images. */
  pull?: boolean;
  /** `os/arch[/variant]` for FROM without --platform and for scratch; '' means the backend's default. */
  platform?: string;
  /** `--label`s, added to the final image's config. */
  labels?: Record<string, string>;
  hash?: HashFunction;
  /** Time source for `created` (a fixed clock gives SOURCE_DATE_EPOCH builds). */
  now?: () => Date;
  /** Ask the backend for earlier keys to explain each cache miss. */
  explainMisses?: boolean;
  onEvent?: (e: BuildEvent) => void;
  signal?: AbortSignal;
}

/** The state a finished stage leaves. */
export interface StageResult {
  index: number;
  config: ImageConfig;
  layers: LayerRef[];
  key: string;
  /** The stage's image (its last step's, or its base image's), when the backend commits steps. */
  imageId?: string;
}

export interface BuildResult {
  /** The target stage's image config, ready to be stored. */
  config: ImageConfig;
  layers: LayerRef[];
  /** The target's image ID when the backend commits steps (`commitStep`): the last step's image, or the base's. */
  imageId?: string;
  graph: StageGraph;
  stages: StageResult[];
  warnings: string[];
}

/** A RUN that exited non-zero, worded as docker: `The command '...' returned a non-zero code: N`. */
export class BuildStepError extends TdockError {
  constructor(readonly exitCode: number, readonly command: string, readonly line: number) {
    super('internal', `The command '${command}' returned a non-zero code: ${exitCode}`);
    this.name = 'BuildStepError';
  }
}

const label = (inst: Instruction): string => inst.code;

function splitPlatform(p: string): { architecture: string; os: string; variant?: string } {
  const [os, architecture, variant] = (p || 'linux/amd64').split('/');
  return { os: os || 'linux', architecture: architecture || 'amd64', ...(variant ? { variant } : {}) };
}

/** COPY's destination against the working directory (the legacy normalizeDest, trailing `/` kept). */
export function normalizeDest(cwd: string, dest: string): string {
  if (dest.startsWith('/')) return dest;
  const joined = posix.join('/', cwd, dest).replace(/(.)\/$/, '$1');
  return dest.endsWith('/') && !joined.endsWith('/') ? joined + '/' : joined;
}

/** Runs a build. Throws {@link BuildStepError} for a failing RUN and TdockErrors for everything else. */
export async function runBuild(opts: BuildOptions): Promise<BuildResult> {
  const df = parseDockerfileStages(opts.dockerfile);
  const graph = buildStageGraph(df, { target: opts.target, buildArgs: opts.buildArgs, automaticArgs: opts.automaticArgs });
  const run = new BuildRun(df, graph, opts);
  let results: Map<number, StageResult>;
  try {
    results = await run.all();
  } finally {
    run.dispose();
  }
  const warnings = [...df.warnings];
  const unused = run.meta.unusedWarning();
  if (unused) warnings.push(unused);
  for (const w of warnings) opts.onEvent?.({ type: 'warning', message: w });
  const target = results.get(graph.target) as StageResult;
  return {
    config: target.config, layers: target.layers, ...(target.imageId ? { imageId: target.imageId } : {}), graph, warnings,
    stages: graph.needed.map((i) => results.get(i) as StageResult),
  };
}

class BuildRun {
  readonly meta: BuildArgs;
  private readonly hash: HashFunction;
  private readonly now: () => Date;
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private readonly started = new Map<number, Promise<StageResult>>();
  private readonly done = new Map<number, StageResult>();
  private readonly total: number;
  private stepNo = 0;

  constructor(private readonly df: Dockerfile, private readonly graph: StageGraph, private readonly opts: BuildOptions) {
    this.meta = metaArgsScope(df, opts.buildArgs ?? {}, opts.automaticArgs);
    this.hash = opts.hash ?? sha256Hash;
    this.now = opts.now ?? (() => new Date());
    this.signal = this.controller.signal;
    if (opts.signal?.aborted) this.controller.abort(opts.signal.reason);
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.total = graph.needed.reduce((n, i) => n + 1 + df.stages[i].instructions.length, 0) + df.metaArgs.length +
      Object.keys(opts.labels ?? {}).length;
  }

  private readonly onAbort = (): void => this.controller.abort(this.opts.signal?.reason);

  /** Detaches from the caller's signal. */
  dispose(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  async all(): Promise<Map<number, StageResult>> {
    for (const m of this.df.metaArgs) this.emit({ type: 'step', stage: -1, step: ++this.stepNo, total: this.total, text: m.code });
    const all = this.graph.needed.map((i) => this.stage(i));
    try {
      await Promise.all(all);
    } catch (err) {
      // Stop the stages still running and wait for them, so nothing outlives the failed build.
      this.controller.abort(err);
      await Promise.allSettled(all);
      throw err;
    }
    return this.done;
  }

  private stage(i: number): Promise<StageResult> {
    let p = this.started.get(i);
    if (!p) {
      p = Promise.all(this.graph.nodes[i].stageDeps.map((d) => this.stage(d))).then(() => this.buildStage(i));
      this.started.set(i, p);
    }
    return p;
  }

  private emit(e: BuildEvent): void {
    this.opts.onEvent?.(e);
  }

  private async resolveBase(i: number): Promise<{ image: BaseImage; key: CacheKey; imageId?: string }> {
    const node = this.graph.nodes[i];
    if (node.base.kind === 'stage') {
      const r = this.done.get(node.base.index) as StageResult;
      const image: BaseImage = { ref: `stage-${r.index}`, digest: r.key, config: r.config, layers: r.layers };
      return { image, key: fromCacheKey(this.hash, { ref: image.ref, digest: r.key, platform: '' }), ...(r.imageId ? { imageId: r.imageId } : {}) };
    }
    const platform = node.base.kind === 'image' && node.base.platform !== '' ? node.base.platform : this.opts.platform ?? '';
    if (node.base.kind === 'scratch') {
      const config: ImageConfig = { ...splitPlatform(platform), rootfs: { type: 'layers', diff_ids: [] }, history: [] };
      return { image: { ref: 'scratch', digest: '', config, layers: [] }, key: fromCacheKey(this.hash, { ref: 'scratch', digest: '', platform }) };
    }
    const image = await this.opts.backend.resolveImage({ ref: node.base.ref, platform, pull: this.opts.pull ?? false, signal: this.signal });
    return { image, key: fromCacheKey(this.hash, { ref: image.ref, digest: image.digest, platform }), imageId: image.digest };
  }

  private async buildStage(i: number): Promise<StageResult> {
    const stage = this.df.stages[i];
    this.emit({ type: 'step', stage: i, step: ++this.stepNo, total: this.total, text: stage.code });
    const { image, key, imageId } = await this.resolveBase(i);
    const args = this.meta.clone().resetAllowed();
    const { state, triggers } = beginStage(image.config.config, args, this.df.escapeToken);
    const w = new StageWalk(this, i, state, image, key.key, imageId);
    if (triggers.length > 0) {
      this.emit({ type: 'triggers', stage: i, count: triggers.length });
      for (const t of triggers) {
        const node = parseDockerfile(t).ast.children[0];
        const inst = parseInstruction(node);
        if (inst.kind === 'from') throw new TdockError('invalid-argument', "FROM isn't allowed as an ONBUILD trigger");
        await w.step(inst);
      }
    }
    const extra = i === this.graph.target && this.opts.labels ? labelOptionInstructions(this.opts.labels) : [];
    for (const inst of [...stage.instructions, ...extra]) {
      this.emit({ type: 'step', stage: i, step: ++this.stepNo, total: this.total, text: inst.code });
      await w.step(inst);
    }
    this.meta.mergeReferenced(args);
    const result = w.finish();
    this.done.set(i, result);
    return result;
  }

  /** Shared services for stage walks. */
  get ctx() {
    return { opts: this.opts, hash: this.hash, now: this.now, signal: this.signal, df: this.df, done: this.done, emit: (e: BuildEvent) => this.emit(e) };
  }
}

class StageWalk {
  private readonly history: History[];
  private readonly layers: LayerRef[];
  private readonly image: ImageConfig;

  constructor(
    private readonly run: BuildRun, private readonly index: number, private readonly state: StageState, base: BaseImage, private key: string,
    private imageId: string | undefined,
  ) {
    this.history = [...(base.config.history ?? [])];
    this.layers = [...base.layers];
    this.image = base.config;
  }

  private async source(from: string): Promise<{ source: FileSource; fromKey: string }> {
    const { df, done, opts, signal } = this.run.ctx;
    if (from === '') return { source: { kind: 'context' }, fromKey: '' };
    const env = this.run.meta.allMeta();
    const value = new ShellLex({ escapeToken: df.escapeToken }).processWord(from, { get: (k) => env.get(k) });
    const r = resolveFromRef(value, this.index, df.stages);
    if (r.kind === 'stage') {
      const s = done.get(r.index) as StageResult;
      return { source: { kind: 'rootfs', layers: s.layers, stage: r.index }, fromKey: s.key };
    }
    const image = await opts.backend.resolveImage({ ref: r.ref, platform: opts.platform ?? '', pull: opts.pull ?? false, signal });
    return { source: { kind: 'image', image }, fromKey: image.digest };
  }

  async step(inst: Instruction): Promise<void> {
    const { opts, hash, signal, emit } = this.run.ctx;
    signal.throwIfAborted();
    const backend = opts.backend;
    const plan: StepPlan = dispatchInstruction(this.state, inst);
    let recorded: string;
    let extra: { contentDigest?: string; fromKey?: string } = {};
    let copySource: FileSource | undefined;
    if (plan.kind === 'copy') {
      const { source, fromKey } = await this.source(plan.from);
      copySource = source;
      const h = await backend.hashSources({
        cmdName: plan.cmdName, source, sources: plan.sources, contents: plan.contents, excludes: plan.excludes, checksum: plan.checksum, signal,
      });
      extra = { contentDigest: h.digest, fromKey };
      recorded = createdBy(nopCmdString(plan.shell, copyComment(plan.cmdName, plan.chown, h.historyHash, plan.dest)));
    } else {
      recorded = plan.createdBy;
    }
    const key = stepCacheKey(hash, this.key, plan, this.state.config, label(inst), extra);
    let cached: CachedStep | undefined;
    if (!opts.noCache) {
      cached = await backend.cacheLookup(key.key);
      if (!cached && backend.cacheFromLookup) {
        cached = await backend.cacheFromLookup({ layers: [...this.layers], history: [...this.history], createdBy: recorded, signal });
        if (cached) await backend.cacheStore(key.key, { ...cached, parts: key.parts, created: cached.created ?? this.run.ctx.now().toISOString() });
      }
    }
    let layer: LayerRef | undefined;
    let created: string;
    if (cached) {
      created = cached.created ?? this.run.ctx.now().toISOString();
      emit({ type: 'cache-hit', stage: this.index, key: key.key });
      layer = cached.layer;
    } else {
      let reason: string | undefined;
      if (opts.explainMisses && backend.cacheSiblings) {
        const siblings: CacheKeyParts[] = await backend.cacheSiblings(this.key);
        reason = explainCacheMiss(key.parts, siblings);
      }
      emit({ type: 'cache-miss', stage: this.index, key: key.key, reason, op: plan.kind });
      layer = await this.execute(plan, inst, copySource);
      created = this.run.ctx.now().toISOString();
      await backend.cacheStore(key.key, { layer, createdBy: recorded, parts: key.parts, created });
    }
    if (layer) this.layers.push(layer);
    this.history.push({
      created, created_by: recorded,
      ...(this.state.maintainer ? { author: this.state.maintainer } : {}), ...(layer ? {} : { empty_layer: true }),
    });
    this.key = key.key;
    if (backend.commitStep) {
      this.imageId = await backend.commitStep({ stage: this.index, key: key.key, parent: this.imageId, config: this.snapshot(), layers: [...this.layers], signal });
    }
    emit({ type: 'step-done', stage: this.index, key: key.key, cached: cached !== undefined, layer, createdBy: recorded, ...(this.imageId ? { imageId: this.imageId } : {}) });
  }

  private async execute(plan: StepPlan, inst: Instruction, copySource: FileSource | undefined): Promise<LayerRef | undefined> {
    const { opts, signal, emit } = this.run.ctx;
    const backend = opts.backend;
    const parent = [...this.layers];
    switch (plan.kind) {
      case 'config':
        return undefined;
      case 'workdir':
        return (await backend.makeDir({ parent, path: plan.path, signal })).layer;
      case 'run': {
        const mounts: ResolvedMount[] = [];
        for (const m of plan.mounts) {
          const fromSource = m.type === 'bind' || m.from !== '' ? (await this.source(m.from)).source : undefined;
          mounts.push({ ...m, fromSource });
        }
        signal.throwIfAborted();
        emit({ type: 'run-start', stage: this.index, at: Date.now() });
        const out = await backend.runStep({
          parent, ...(this.imageId ? { parentImage: this.imageId } : {}), config: structuredClone(this.state.config), argv: plan.argv, env: plan.env, user: plan.user, cwd: plan.cwd, mounts, network: plan.network, security: plan.security,
          files: plan.files, output: (chunk) => emit({ type: 'output', stage: this.index, chunk }), signal,
        });
        emit({ type: 'run-end', stage: this.index, at: Date.now() });
        if (out.exitCode !== 0) throw new BuildStepError(out.exitCode, plan.argv.join(' '), inst.startLine);
        return out.layer;
      }
      case 'copy': {
        const out = await backend.copyFiles({
          parent, cmdName: plan.cmdName, source: copySource ?? { kind: 'context' }, sources: plan.sources, contents: plan.contents,
          dest: normalizeDest(plan.cwd, plan.dest), chown: plan.chown, chmod: plan.chmod, link: plan.link, checksum: plan.checksum,
          unpack: plan.unpack, keepGitDir: plan.keepGitDir, excludes: plan.excludes, preserveOwnership: plan.preserveOwnership, signal,
        });
        return out.layer;
      }
    }
  }

  /** The stage's image config as it stands. */
  private snapshot(): ImageConfig {
    const config: ContainerConfig = structuredClone(this.state.config);
    return {
      architecture: this.image.architecture, os: this.image.os, ...(this.image.variant ? { variant: this.image.variant } : {}),
      ...(this.state.maintainer ? { author: this.state.maintainer } : {}),
      created: this.history.length > 0 ? this.history[this.history.length - 1].created : this.run.ctx.now().toISOString(),
      config, rootfs: { type: 'layers', diff_ids: this.layers.map((l) => l.diffId) }, history: [...this.history],
    };
  }

  finish(): StageResult {
    return { index: this.index, config: this.snapshot(), layers: [...this.layers], key: this.key, ...(this.imageId ? { imageId: this.imageId } : {}) };
  }
}
