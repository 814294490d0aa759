/**
 * The stage graph: which stage depends on which (`FROM <stage>`, `COPY --from=<stage|index>`,
 * `RUN --mount=from=<stage|index>`), which stages the target needs (unused stages are pruned, as BuildKit does), and
 * topological levels: the stages of one level do not depend on each other and may run concurrently.
 */
import { invalidArgument } from '@tdock/core';
import { BuildArgs, type BuildArgOptions } from './build-args.js';
import { expandFrom } from './dispatch.js';
import type { Dockerfile, Stage } from './instructions.js';
import { ShellLex } from './lexer.js';
import { mountFrom } from './run-mount.js';

/** Where a stage starts. */
export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'image'; ref: string; platform: string }
  | { kind: 'stage'; index: number };

/** One stage in the graph. */
export interface StageNode {
  index: number;
  name: string;
  base: StageBase;
  /** Stages this one needs (base stage and `--from` stages), ascending. */
  stageDeps: number[];
  /** Images named by `COPY --from` or `RUN --mount=from=` (not FROM). */
  imageDeps: string[];
}

export interface StageGraph {
  nodes: StageNode[];
  /** The stage built last (the `--target`, or the last stage). */
  target: number;
  /** Stages the target needs, ascending; the others are skipped. */
  needed: number[];
  /** `needed` grouped by depth: every stage's dependencies are in earlier levels. */
  levels: number[][];
}

/** A reference from `--from` / `from=`: a stage (by name or index) or an image. */
export function resolveFromRef(value: string, current: number, stages: readonly Stage[]): { kind: 'stage'; index: number } | { kind: 'image'; ref: string } {
  const lower = value.toLowerCase();
  const byName = stages.findIndex((s, i) => i < current && s.name !== '' && s.name === lower);
  if (byName >= 0) return { kind: 'stage', index: byName };
  if (/^\d+$/.test(value)) {
    const ix = Number(value);
    if (ix === current) throw invalidArgument(`invalid from flag value ${value}: refers to current build stage`);
    if (ix > current) throw invalidArgument(`invalid from flag value ${value}: index out of bounds`);
    return { kind: 'stage', index: ix };
  }
  return { kind: 'image', ref: value };
}

/**
 * BuildKit's automatic platform args (`BUILDPLATFORM`, `BUILDOS`, `BUILDARCH`, `BUILDVARIANT` and the `TARGET*`
 * ones) for `os/arch[/variant]` platforms. The legacy builder has none; pass them to {@link metaArgsScope} to opt in.
 */
export function platformArgs(buildPlatform: string, targetPlatform: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [prefix, p] of [['BUILD', buildPlatform], ['TARGET', targetPlatform]] as const) {
    const [os = '', arch = '', variant = ''] = p.split('/');
    Object.assign(out, { [`${prefix}PLATFORM`]: p, [`${prefix}OS`]: os, [`${prefix}ARCH`]: arch, [`${prefix}VARIANT`]: variant });
  }
  return out;
}

/** The meta-args scope used to expand FROM lines and `--from` values; `automatic` args act as meta ARG defaults. */
export function metaArgsScope(df: Dockerfile, options: BuildArgOptions, automatic: Readonly<Record<string, string>> = {}): BuildArgs {
  const args = new BuildArgs(options);
  for (const [k, v] of Object.entries(automatic)) args.addMetaArg(k, v);
  const lex = new ShellLex({ escapeToken: df.escapeToken });
  for (const meta of df.metaArgs) {
    for (const a of meta.args) {
      const env = args.allAllowed();
      const get = { get: (k: string) => env.get(k) };
      const key = lex.processWord(a.key, get);
      const value = a.value === undefined ? undefined : lex.processWord(a.value, get);
      args.addArg(key, value);
      args.addMetaArg(key, value);
    }
  }
  return args;
}

/** Builds the graph of `df` for `target` (a stage name; empty for the last stage). */
export function buildStageGraph(
  df: Dockerfile, options: { target?: string; buildArgs?: BuildArgOptions; automaticArgs?: Readonly<Record<string, string>> } = {},
): StageGraph {
  if (df.stages.length === 0) throw invalidArgument('dockerfile contains no stages to build');
  const meta = metaArgsScope(df, options.buildArgs ?? {}, options.automaticArgs);
  const lex = new ShellLex({ escapeToken: df.escapeToken });
  const metaEnv = meta.allMeta();
  const expandMeta = (w: string): string => lex.processWord(w, { get: (k) => metaEnv.get(k) });
  const seen = new Set<string>();
  const nodes: StageNode[] = df.stages.map((stage, i) => {
    if (stage.name !== '') {
      if (seen.has(stage.name)) throw invalidArgument(`${stage.name} stage name already used`);
      seen.add(stage.name);
    }
    const { baseName, platform } = expandFrom(stage.baseName, stage.platform, meta, df.escapeToken);
    const lower = baseName.toLowerCase();
    const baseIx = df.stages.findIndex((s, j) => j < i && s.name !== '' && s.name === lower);
    const base: StageBase = baseIx >= 0 ? { kind: 'stage', index: baseIx }
      : baseName === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: baseName, platform };
    const deps = new Set<number>(base.kind === 'stage' ? [base.index] : []);
    const images = new Set<string>();
    const addRef = (value: string): void => {
      if (value === '') return;
      const r = resolveFromRef(expandMeta(value), i, df.stages);
      if (r.kind === 'stage') deps.add(r.index);
      else images.add(r.ref);
    };
    for (const inst of stage.instructions) {
      if (inst.kind === 'copy') addRef(inst.from);
      if (inst.kind === 'run') for (const spec of inst.mountSpecs) addRef(mountFrom(spec));
    }
    return { index: i, name: stage.name, base, stageDeps: [...deps].sort((a, b) => a - b), imageDeps: [...images].sort() };
  });
  let target = nodes.length - 1;
  if (options.target) {
    target = df.stages.findIndex((s) => s.name === options.target?.toLowerCase());
    if (target < 0) throw invalidArgument(`target stage "${options.target}" could not be found`);
  }
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of nodes[i].stageDeps) visit(d);
  };
  visit(target);
  const depth = new Map<number, number>();
  const sorted = [...needed].sort((a, b) => a - b);
  for (const i of sorted) depth.set(i, Math.max(-1, ...nodes[i].stageDeps.map((d) => depth.get(d) ?? 0)) + 1);
  const levels: number[][] = [];
  for (const i of sorted) (levels[depth.get(i) as number] ??= []).push(i);
  return { nodes, target, needed: sorted, levels };
}
