import { parsePortEntry, portKey } from './ports.js';
import { volumeKey } from './volumes.js';
import { OverrideTag, ResetTag, stripMergeTags } from './yaml-load.js';
import type { YamlMap, YamlValue } from './types.js';

type Rule = 'replace' | 'keyed-map' | 'ports' | 'volumes' | 'by-target' | 'networks' | 'depends_on' | 'logging' | 'build' | 'ulimit' | 'extra_hosts';

/** Special merge rules by path pattern (compose-go `override/merge.go`); anything else merges generically. */
const RULES: [string, Rule][] = [
  ['services.*.command', 'replace'],
  ['services.*.entrypoint', 'replace'],
  ['services.*.healthcheck.test', 'replace'],
  ['services.*.environment', 'keyed-map'],
  ['services.*.labels', 'keyed-map'],
  ['services.*.annotations', 'keyed-map'],
  ['services.*.sysctls', 'keyed-map'],
  ['services.*.deploy.labels', 'keyed-map'],
  ['services.*.build', 'build'],
  ['services.*.build.args', 'keyed-map'],
  ['services.*.build.labels', 'keyed-map'],
  ['services.*.build.extra_hosts', 'extra_hosts'],
  ['services.*.extra_hosts', 'extra_hosts'],
  ['services.*.ports', 'ports'],
  ['services.*.volumes', 'volumes'],
  ['services.*.secrets', 'by-target'],
  ['services.*.configs', 'by-target'],
  ['services.*.networks', 'networks'],
  ['services.*.depends_on', 'depends_on'],
  ['services.*.logging', 'logging'],
  ['services.*.ulimits.*', 'ulimit'],
  ['networks.*.labels', 'keyed-map'],
  ['volumes.*.labels', 'keyed-map'],
];

function ruleFor(path: readonly string[]): Rule | undefined {
  for (const [pattern, rule] of RULES) {
    const parts = pattern.split('.');
    if (parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i])) return rule;
  }
  return undefined;
}

function isMap(v: YamlValue | undefined): v is YamlMap {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** `["K=V", "K2"]` or `{K: V}` as a map (a bare key maps to null). */
export function toKeyedMap(v: YamlValue, sep: RegExp = /=/): YamlMap {
  if (isMap(v)) return v;
  const out: YamlMap = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const m = sep.exec(s);
      if (m) out[s.slice(0, m.index)] = s.slice(m.index + m[0].length);
      else out[s] = null;
    }
  }
  return out;
}

function listToMap(v: YamlValue, value: () => YamlValue): YamlMap {
  if (isMap(v)) return v;
  const out: YamlMap = {};
  if (Array.isArray(v)) for (const k of v) out[String(k)] = value();
  return out;
}

function mergeByKey(base: YamlValue, over: YamlValue, key: (v: YamlValue) => string): YamlValue[] {
  const out: YamlValue[] = Array.isArray(base) ? [...base] : [];
  const index = new Map<string, number>();
  out.forEach((v, i) => index.set(key(v), i));
  for (const v of (Array.isArray(over) ? stripMergeTags(over) : []) as YamlValue[]) {
    const k = key(v);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, out.length);
      out.push(v);
    } else {
      const prev = out[at]!;
      out[at] = isMap(prev) && isMap(v) ? mergeValues(prev, v, []) : v;
    }
  }
  return out;
}

function portsKey(v: YamlValue): string {
  try {
    return parsePortEntry(v).map(portKey).join(',');
  } catch {
    return JSON.stringify(v);
  }
}

function targetKey(v: YamlValue): string {
  if (typeof v === 'string') return v;
  if (isMap(v)) return String(v['target'] ?? v['source']);
  return JSON.stringify(v);
}

function applyRule(rule: Rule, base: YamlValue, over: YamlValue, path: string[]): YamlValue {
  switch (rule) {
    case 'replace':
      return stripMergeTags(over);
    case 'keyed-map':
      return mergeValues(toKeyedMap(base), toKeyedMap(over), path, true);
    case 'extra_hosts':
      return mergeValues(toKeyedMap(base, /[=:]/), toKeyedMap(over, /[=:]/), path, true);
    case 'ports':
      return mergeByKey(base, over, portsKey);
    case 'volumes':
      return mergeByKey(base, over, volumeKey);
    case 'by-target':
      return mergeByKey(base, over, targetKey);
    case 'networks': {
      // A bare `- net` (null) in an override keeps the base file's aliases and addresses.
      const b = listToMap(base, () => null);
      const o = listToMap(over, () => null);
      const merged = mergeValues(b, o, path, true) as YamlMap;
      for (const [k, v] of Object.entries(o)) if (v === null && isMap(b[k])) merged[k] = b[k]!;
      return merged;
    }
    case 'depends_on': {
      const started = (): YamlValue => ({ condition: 'service_started', required: true });
      return mergeValues(listToMap(base, started), listToMap(over, started), path, true);
    }
    case 'build': {
      const asMap = (v: YamlValue): YamlValue => (typeof v === 'string' ? { context: v } : v);
      return mergeValues(asMap(base), asMap(over), path, true);
    }
    case 'logging':
      if (isMap(base) && isMap(over) && over['driver'] !== undefined && base['driver'] !== undefined && over['driver'] !== base['driver']) {
        return stripMergeTags(over);
      }
      return mergeValues(base, over, path, true);
    case 'ulimit':
      return stripMergeTags(over);
  }
}

/**
 * Merges `over` into `base` by the spec's rules (13-merge.md): mappings merge key by key, sequences append,
 * `command`/`entrypoint`/`healthcheck.test` are replaced, ports/volumes/secrets/configs are unique by their
 * key, environment/labels-style lists merge by variable name, `!reset` removes and `!override` replaces.
 */
export function mergeValues(base: YamlValue | undefined, over: YamlValue, path: string[], skipRule = false): YamlValue {
  const o = over as unknown;
  if (o instanceof OverrideTag) return stripMergeTags(o.value);
  if (base === undefined || base === null) return stripMergeTags(over);
  const rule = skipRule ? undefined : ruleFor(path);
  if (rule !== undefined) return applyRule(rule, base, over, path);
  if (isMap(base) && isMap(over)) {
    const out: YamlMap = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if ((v as unknown) instanceof ResetTag) {
        delete out[k];
        continue;
      }
      out[k] = mergeValues(out[k], v, [...path, k]);
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const out = [...base];
    for (const v of stripMergeTags(over) as YamlValue[]) {
      if (typeof v === 'object' || !out.includes(v)) out.push(v);
    }
    return out;
  }
  return stripMergeTags(over);
}

/** Merges several parsed files in order; the first file's own markers are resolved as if alone. */
export function mergeFiles(files: readonly YamlMap[]): YamlMap {
  let acc: YamlMap = {};
  for (const f of files) acc = mergeValues(acc, f, []) as YamlMap;
  return stripMergeTags(acc) as YamlMap;
}
