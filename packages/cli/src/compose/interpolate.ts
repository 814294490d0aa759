import { invalidArgument } from '@tdock/core';
import type { YamlValue } from './types.js';

/** Looks a variable up; `undefined` means unset (distinct from the empty string). */
export type VariableLookup = (name: string) => string | undefined;

/** Options for {@link interpolate}. */
export interface InterpolateOptions {
  /** Called once per reference to an unset variable that has no default. */
  onWarning?: (message: string) => void;
}

const NAME_START = /[_a-zA-Z]/;
const NAME_CHAR = /[_a-zA-Z0-9]/;

function readName(s: string, i: number): number {
  if (i >= s.length || !NAME_START.test(s[i]!)) return i;
  let j = i + 1;
  while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
  return j;
}

/** Index of the `}` closing a `${` whose body starts at `start`, honouring nested `${...}`. */
function findClose(s: string, start: number): number {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$') {
      i++;
    } else if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function unsetWarning(name: string, opts: InterpolateOptions): string {
  opts.onWarning?.(`The "${name}" variable is not set. Defaulting to a blank string.`);
  return '';
}

function substituteBraced(body: string, whole: string, lookup: VariableLookup, opts: InterpolateOptions): string {
  const end = readName(body, 0);
  if (end === 0) throw invalidArgument(`Invalid template: "${whole}"`);
  const name = body.slice(0, end);
  const rest = body.slice(end);
  const value = lookup(name);
  if (rest === '') return value ?? unsetWarning(name, opts);
  const colon = rest.startsWith(':');
  const op = rest[colon ? 1 : 0];
  const arg = rest.slice(colon ? 2 : 1);
  const missing = colon ? value === undefined || value === '' : value === undefined;
  switch (op) {
    case '-':
      return missing ? interpolate(arg, lookup, opts) : (value as string);
    case '?':
      if (missing) {
        const msg = interpolate(arg, lookup, opts);
        throw invalidArgument(`required variable ${name} is missing a value${msg === '' ? '' : `: ${msg}`}`);
      }
      return value as string;
    case '+':
      return missing ? '' : interpolate(arg, lookup, opts);
    default:
      throw invalidArgument(`Invalid template: "${whole}"`);
  }
}

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`, `${VAR:+a}`, `${VAR+a}` (nested)
 * and `$$` in one string, as compose-go's template package does. A `$` not followed by a name or `{` stays.
 */
export function interpolate(s: string, lookup: VariableLookup, opts: InterpolateOptions = {}): string {
  if (!s.includes('$')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const close = findClose(s, i + 2);
      if (close < 0) throw invalidArgument(`Invalid template: "${s.slice(i)}"`);
      out += substituteBraced(s.slice(i + 2, close), s.slice(i, close + 1), lookup, opts);
      i = close + 1;
    } else {
      const end = readName(s, i + 1);
      if (end === i + 1) {
        out += '$';
        i++;
      } else {
        const name = s.slice(i + 1, end);
        out += lookup(name) ?? unsetWarning(name, opts);
        i = end;
      }
    }
  }
  return out;
}

/** A key path like `services.web.ports[0]` from path segments. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * Interpolates every string value of a parsed YAML tree (never keys). Errors carry the key path, e.g.
 * `error while interpolating services.web.image: required variable TAG is missing a value`.
 */
export function interpolateTree<T extends YamlValue>(
  value: T,
  lookup: VariableLookup,
  opts: InterpolateOptions = {},
  path: (string | number)[] = [],
): T {
  if (typeof value === 'string') {
    try {
      return interpolate(value, lookup, opts) as T;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw invalidArgument(`error while interpolating ${formatPath(path)}: ${msg}`, err);
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, lookup, opts, [...path, i])) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, YamlValue> = {};
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      // Marker objects (!reset / !override) carry their own value: rebuild them via their own hook.
      const m = value as unknown as { mapValue?: (f: (v: YamlValue) => YamlValue) => T };
      if (typeof m.mapValue === 'function') return m.mapValue((v) => interpolateTree(v, lookup, opts, path));
      return value;
    }
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, lookup, opts, [...path, k]);
    return out as T;
  }
  return value;
}
