import { invalidArgument } from '@tdock/core';
import type { VariableLookup } from './interpolate.js';
import type { YamlMap, YamlValue } from './types.js';

/** Helpers that coerce interpolated YAML values (often strings after `${}`) to the model's types. */

export function isMap(v: YamlValue | undefined): v is YamlMap {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

export function asMap(v: YamlValue | undefined): YamlMap {
  return isMap(v) ? v : {};
}

export function optString(v: YamlValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function optBool(v: YamlValue | undefined, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', 'y', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'n', 'off', '0', ''].includes(s)) return false;
  throw invalidArgument(`${path}: invalid boolean "${String(v)}"`);
}

export function optNumber(v: YamlValue | undefined, path: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n)) throw invalidArgument(`${path}: invalid number "${String(v)}"`);
  return n;
}

export function optInt(v: YamlValue | undefined, path: string): number | undefined {
  const n = optNumber(v, path);
  if (n !== undefined && !Number.isInteger(n)) throw invalidArgument(`${path}: must be an integer, got "${String(v)}"`);
  return n;
}

/** A string or a list of strings as a list. */
export function stringList(v: YamlValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null).map((x) => String(x));
  return [String(v)];
}

/** Scalar map values as strings (`null` → ''), or a `K=V` list as a map (`K` alone → ''). */
export function stringMap(v: YamlValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = '';
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) out[k] = x === null ? '' : typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  return out;
}

/**
 * `environment:`-style mapping: `K=V` or `{K: V}`; a key without a value (`- K`, `K:`, `K: null`) is taken
 * from `lookup` and dropped when unset there.
 */
export function environmentMap(v: YamlValue | undefined, lookup: VariableLookup): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, val: string | null): void => {
    if (val !== null) out[k] = val;
    else {
      const env = lookup(k);
      if (env !== undefined) out[k] = env;
    }
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      put(eq < 0 ? s : s.slice(0, eq), eq < 0 ? null : s.slice(eq + 1));
    }
  } else if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) put(k, x === null ? null : typeof x === 'object' ? JSON.stringify(x) : String(x));
  }
  return out;
}
