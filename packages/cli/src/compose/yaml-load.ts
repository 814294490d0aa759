import { invalidArgument } from '@tdock/core';
import { isCollection, isScalar, parseDocument, Pair, Scalar, visit, YAMLMap, type Node } from 'yaml';
import type { YamlMap, YamlValue } from './types.js';

const RESET_KEY = '\u0000tdock:reset';
const OVERRIDE_KEY = '\u0000tdock:override';

/** A value tagged `!reset` in an override file: the merge removes the key (spec 13-merge.md §Reset value). */
export class ResetTag {
  constructor(readonly value: YamlValue) {}
  mapValue(f: (v: YamlValue) => YamlValue): ResetTag {
    return new ResetTag(f(this.value));
  }
}

/** A value tagged `!override`: the merge replaces the previous value instead of merging (§Replace value). */
export class OverrideTag {
  constructor(readonly value: YamlValue) {}
  mapValue(f: (v: YamlValue) => YamlValue): OverrideTag {
    return new OverrideTag(f(this.value));
  }
}

/** True when `v` is a `!reset` or `!override` marker. */
export function isMergeTag(v: unknown): v is ResetTag | OverrideTag {
  return v instanceof ResetTag || v instanceof OverrideTag;
}

function restoreTags(v: unknown): YamlValue {
  if (Array.isArray(v)) return v.map(restoreTags);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const rec = v as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === RESET_KEY) return new ResetTag(restoreTags(rec[RESET_KEY])) as unknown as YamlValue;
    if (keys.length === 1 && keys[0] === OVERRIDE_KEY) return new OverrideTag(restoreTags(rec[OVERRIDE_KEY])) as unknown as YamlValue;
    const out: YamlMap = {};
    for (const k of keys) out[k] = restoreTags(rec[k]);
    return out;
  }
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return (v ?? null) as YamlValue;
}

/**
 * Parses one Compose file: YAML 1.2 core schema plus YAML 1.1 `<<` merge keys, anchors and aliases, and the
 * `!reset` / `!override` tags kept as {@link ResetTag} / {@link OverrideTag} values. The top level must be a
 * mapping. Errors name the file and the line.
 */
export function parseComposeYaml(src: string, filename: string): YamlMap {
  const doc = parseDocument(src, { merge: true, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalidArgument(`${filename}: ${doc.errors[0]!.message}`);
  }
  visit(doc, {
    Node(_key, node) {
      const tag = (node as Node).tag;
      if (tag !== '!reset' && tag !== '!override') return undefined;
      (node as Node).tag = undefined;
      if (isScalar(node) && tag === '!reset') (node as Scalar).value = null;
      const wrapper = new YAMLMap();
      wrapper.items.push(new Pair(new Scalar(tag === '!reset' ? RESET_KEY : OVERRIDE_KEY), node));
      return isCollection(node) || isScalar(node) ? wrapper : undefined;
    },
  });
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 10000 });
  } catch (err) {
    throw invalidArgument(`${filename}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (js === null || js === undefined) return {};
  if (typeof js !== 'object' || Array.isArray(js)) throw invalidArgument(`${filename}: top-level object must be a mapping`);
  return restoreTags(js) as YamlMap;
}

/**
 * The tree with markers resolved as if nothing came before: `!reset` keys removed, `!override` unwrapped.
 * Used for validating a single file and for the first file of a merge.
 */
export function stripMergeTags(v: YamlValue): YamlValue {
  const u = v as unknown;
  if (u instanceof OverrideTag) return stripMergeTags(u.value);
  if (Array.isArray(v)) return v.filter((x) => !((x as unknown) instanceof ResetTag)).map(stripMergeTags);
  if (v !== null && typeof v === 'object') {
    const out: YamlMap = {};
    for (const [k, x] of Object.entries(v)) {
      if ((x as unknown) instanceof ResetTag) continue;
      out[k] = stripMergeTags(x);
    }
    return out;
  }
  return v;
}
