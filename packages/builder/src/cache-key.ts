/**
 * Cache keys, after BuildKit's CacheMap: a step's key is a versioned hash of its parent's key and its normalised
 * instruction (after expansion, with the build args in scope), plus the resolved base digest for FROM and the
 * digest of the selected files' content and mode (never mtime) for COPY/ADD. Keys keep their parts so that a miss
 * can be explained. The hash function is a parameter; {@link sha256Hash} is the default.
 */
import { createHash } from 'node:crypto';
import type { ContainerConfig } from '@tdock/core';
import type { StepPlan } from './dispatch.js';

/** Bumped whenever the normalisation changes, so old keys never match. */
export const CACHE_KEY_VERSION = 1;

/** Hashes a string to a digest string (`sha256:<hex>`). */
export type HashFunction = (data: string) => string;

export const sha256Hash: HashFunction = (data) => 'sha256:' + createHash('sha256').update(data, 'utf8').digest('hex');

/** What a key is made of. */
export interface CacheKeyParts {
  version: number;
  /** The parent step's key; '' for FROM. */
  parent: string;
  op: 'from' | 'config' | 'workdir' | 'run' | 'copy';
  /** Canonical JSON of the normalised instruction and the config it leaves. */
  instruction: string;
  /** FROM: the resolved image digest ('' for scratch). */
  baseDigest?: string;
  /** COPY/ADD: digest of the selected files (content and mode). */
  contentDigest?: string;
  /** A human label for explanations (`RUN echo hi`). */
  label: string;
}

export interface CacheKey {
  key: string;
  parts: CacheKeyParts;
}

/** JSON with object keys sorted, so equal values always serialise equally. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(rec[k])).join(',') + '}';
}

function keyOf(hash: HashFunction, parts: CacheKeyParts): CacheKey {
  const { label: _label, ...hashed } = parts;
  return { key: hash(canonicalJson(hashed)), parts };
}

/** The key of a stage's FROM: the resolved base (digest and platform). */
export function fromCacheKey(hash: HashFunction, base: { ref: string; digest: string; platform: string }): CacheKey {
  return keyOf(hash, {
    version: CACHE_KEY_VERSION, parent: '', op: 'from', instruction: canonicalJson({ platform: base.platform }),
    baseDigest: base.digest, label: `FROM ${base.ref}`,
  });
}

/**
 * The key of one step. `config` is the image config after the step. For COPY/ADD, `contentDigest` is the context
 * hasher's digest of the selected files and `fromKey` the key of the `--from` stage (or the image digest).
 */
export function stepCacheKey(
  hash: HashFunction, parent: string, plan: StepPlan, config: ContainerConfig, label: string,
  extra: { contentDigest?: string; fromKey?: string } = {},
): CacheKey {
  let normalised: unknown;
  switch (plan.kind) {
    case 'config':
    case 'workdir':
      normalised = { plan, config };
      break;
    case 'run':
      normalised = {
        cmd: plan.cacheCmd, env: config.Env ?? [], user: plan.user, cwd: plan.cwd, mounts: plan.mounts, network: plan.network,
        security: plan.security, files: plan.files, config,
      };
      break;
    case 'copy': {
      const { shell: _shell, from: _from, ...rest } = plan;
      normalised = { ...rest, from: extra.fromKey ?? '', config };
      break;
    }
  }
  return keyOf(hash, {
    version: CACHE_KEY_VERSION, parent, op: plan.kind, instruction: canonicalJson(normalised),
    contentDigest: extra.contentDigest, label,
  });
}

function firstDifference(a: string, b: string): string {
  let x: unknown;
  let y: unknown;
  try {
    x = JSON.parse(a);
    y = JSON.parse(b);
  } catch {
    return '';
  }
  const walk = (p: unknown, q: unknown, path: string): string | undefined => {
    if (canonicalJson(p) === canonicalJson(q)) return undefined;
    if (p && q && typeof p === 'object' && typeof q === 'object' && !Array.isArray(p) && !Array.isArray(q)) {
      const pr = p as Record<string, unknown>;
      const qr = q as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(pr), ...Object.keys(qr)])].sort()) {
        const d = walk(pr[k], qr[k], path ? `${path}.${k}` : k);
        if (d) return d;
      }
    }
    return `${path || 'value'}: ${canonicalJson(q)} -> ${canonicalJson(p)}`;
  };
  return walk(x, y, '') ?? '';
}

/**
 * Explains why `current` missed, given the parts of keys stored earlier (for example the previous build's):
 * a changed parent, base digest, instruction (with the first differing field) or file content.
 */
export function explainCacheMiss(current: CacheKeyParts, previous: readonly CacheKeyParts[]): string {
  const head = `${current.label}: cache miss`;
  if (current.op === 'from') {
    const same = previous.find((p) => p.op === 'from' && p.label === current.label);
    if (!same) return `${head}: base image not built before`;
    if (same.baseDigest !== current.baseDigest) return `${head}: base image changed (${same.baseDigest || 'scratch'} -> ${current.baseDigest || 'scratch'})`;
    return `${head}: base platform changed (${firstDifference(current.instruction, same.instruction)})`;
  }
  const siblings = previous.filter((p) => p.parent === current.parent);
  if (siblings.length === 0) return `${head}: a previous step changed`;
  const sameInstruction = siblings.find((p) => p.instruction === current.instruction);
  if (sameInstruction) {
    return `${head}: files changed (${sameInstruction.contentDigest ?? 'none'} -> ${current.contentDigest ?? 'none'})`;
  }
  const sameOp = siblings.find((p) => p.op === current.op) ?? siblings[0];
  if (sameOp.op !== current.op) return `${head}: instruction changed (was ${sameOp.label})`;
  return `${head}: instruction changed (${firstDifference(current.instruction, sameOp.instruction)})`;
}

/** One selected file as a context hasher sees it: everything that matters, and never the mtime. */
export interface SourceEntry {
  /** Slash-separated path relative to the copy source. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission and special bits (`0o755`, setuid...). */
  mode: number;
  uid: number;
  gid: number;
  /** Content digest of a regular file. */
  digest?: string;
  /** Target of a symlink. */
  target?: string;
}

/**
 * The digest of a COPY/ADD selection for the cache key: entries sorted by path, each with type, mode, owner and
 * content digest (or link target); timestamps are deliberately absent.
 */
export function sourceDigest(hash: HashFunction, entries: readonly SourceEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return hash(sorted.map((e) => canonicalJson({ p: e.path, t: e.type, m: e.mode, u: e.uid, g: e.gid, d: e.digest, l: e.target })).join('\n'));
}
