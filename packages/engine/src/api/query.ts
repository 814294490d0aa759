import { invalidArgument } from '@tdock/core';

/** A parsed query string: repeated keys give arrays (`t=a&t=b`). */
export type Query = Record<string, string | string[] | undefined>;

/** Filters after parsing: key → values (both wire shapes collapse to this). */
export type Filters = Map<string, string[]>;

/** The first value of a query key, as Go's `r.FormValue`. */
export function queryValue(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a repeated key. */
export function queryValues(q: Query, key: string): string[] {
  const v = q[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** moby `httputils.BoolValue`: "", 0, no, false, none (trimmed, any case) are false; anything else is true. */
export function parseBool(value: string | undefined): boolean {
  switch ((value ?? '').trim().toLowerCase()) {
    case '':
    case '0':
    case 'no':
    case 'false':
    case 'none':
      return false;
    default:
      return true;
  }
}

/** moby `BoolValueOrDefault`: the default when the key is absent, else {@link parseBool}. */
export function boolValue(q: Query, key: string, dflt = false): boolean {
  if (!(key in q) || q[key] === undefined) return dflt;
  return parseBool(queryValue(q, key));
}

/** An integer query value; `undefined` when absent or empty; 400 when not an integer. */
export function intValue(q: Query, key: string): number | undefined {
  const v = queryValue(q, key);
  if (v === undefined || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v.trim())) throw invalidArgument(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number.parseInt(v, 10);
}

/** moby `Uint32Value` (used by resize `h`/`w`): present, decimal, 0..2^32-1, else 400. */
export function uint32Value(q: Query, key: string): number {
  const raw = queryValue(q, key) ?? '';
  const neg = raw.startsWith('-');
  const v = neg ? raw.slice(1) : raw;
  if (v === '' || !/^\d+$/.test(v)) throw invalidArgument(`invalid ${key}: invalid syntax`);
  const n = Number(v);
  if (neg || n > 0xffffffff) throw invalidArgument(`invalid ${key}: value out of range`);
  return n;
}

/**
 * Parses `filters` JSON in both shapes moby accepts: map of sets (`{"label":{"a=b":true}}`, the Go CLI)
 * and map of lists (`{"label":["a=b"]}`, docker-py). With `allowed`, an unknown key is moby's
 * 400 `invalid filter 'x'`.
 */
export function parseFilters(raw: string | undefined, allowed?: readonly string[]): Filters {
  const out: Filters = new Map();
  if (raw === undefined || raw === '') return out;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw invalidArgument('invalid filter');
  }
  if (doc === null) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalidArgument('invalid filter');
  for (const [key, val] of Object.entries(doc as Record<string, unknown>)) {
    if (val === null) {
      out.set(key, []);
    } else if (Array.isArray(val)) {
      if (!val.every((x) => typeof x === 'string')) throw invalidArgument('invalid filter');
      out.set(key, [...new Set(val as string[])]);
    } else if (typeof val === 'object') {
      const vals: string[] = [];
      for (const [k, b] of Object.entries(val as Record<string, unknown>)) {
        if (typeof b !== 'boolean') throw invalidArgument('invalid filter');
        if (b) vals.push(k);
      }
      out.set(key, vals);
    } else {
      throw invalidArgument('invalid filter');
    }
  }
  if (allowed) {
    for (const key of out.keys()) if (!allowed.includes(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
  return out;
}

/** Filters from a query's `filters` key, validated against `allowed`. */
export function queryFilters(q: Query, allowed?: readonly string[]): Filters {
  return parseFilters(queryValue(q, 'filters'), allowed);
}

/** Decodes `X-Registry-Auth`/`X-Registry-Config`: base64 in either alphabet, padded or not; bad input gives undefined. */
export function decodeAuthHeader(value: string | string[] | undefined): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  try {
    const json = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const doc: unknown = JSON.parse(json);
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses Docker's `since`/`until` (`seconds[.nanos]`, or RFC 3339) into unix nanoseconds. */
export function parseTimestamp(value: string | undefined, key: string): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(`invalid value for ${key}: ${value}`);
  return BigInt(ms) * 1_000_000n;
}
