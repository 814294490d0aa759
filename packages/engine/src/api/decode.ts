import { invalidArgument } from '@tdock/core';

/**
 * A description of a Go type, enough to decode JSON the way `encoding/json` does into dockerd's structs:
 * scalar kinds with Go's ranges, slices, maps, structs with known field names, and `any` (kept as is).
 * `strslice` is Docker's StrSlice (a string or an array of strings, normalised to an array).
 */
export type GoType =
  | 'string'
  | 'bool'
  | 'int'
  | 'int64'
  | 'int32'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float64'
  | 'any'
  | 'strslice'
  | { slice: GoType }
  | { map: GoType }
  | GoStruct;

/** A Go struct: its type name (for error messages) and its fields by canonical JSON key. */
export interface GoStruct {
  struct: string;
  fields: Readonly<Record<string, GoType>>;
}

/** Builds a struct description. */
export function struct(name: string, fields: Record<string, GoType>): GoStruct {
  return { struct: name, fields };
}
export const slice = (t: GoType): GoType => ({ slice: t });
export const map = (t: GoType): GoType => ({ map: t });

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int: [-(2n ** 63n), 2n ** 63n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

interface Ctx {
  root: string;
  path: string[];
}

function goTypeName(t: GoType): string {
  if (typeof t === 'string') return t === 'strslice' ? 'strslice.StrSlice' : t === 'any' ? 'interface {}' : t;
  if ('slice' in t) return `[]${goTypeName(t.slice)}`;
  if ('map' in t) return `map[string]${goTypeName(t.map)}`;
  return t.struct;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return `number`;
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function fail(ctx: Ctx, value: unknown, t: GoType, detail?: string): never {
  const what = detail ?? jsonKind(value);
  const where = ctx.path.length ? `Go struct field ${ctx.root}.${ctx.path.join('.')}` : `Go value`;
  throw invalidArgument(`json: cannot unmarshal ${what} into ${where} of type ${goTypeName(t)}`);
}

/** Finds the struct field a JSON key maps to: exact match first, then case-insensitive (Go's rule). */
function matchField(fields: Readonly<Record<string, GoType>>, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(fields, key)) return key;
  const lower = key.toLowerCase();
  for (const name of Object.keys(fields)) if (name.toLowerCase() === lower) return name;
  return undefined;
}

function decodeValue(t: GoType, v: unknown, ctx: Ctx): unknown {
  if (v === null) return undefined; // Go leaves the field untouched
  if (t === 'any') return v;
  if (t === 'string') return typeof v === 'string' ? v : fail(ctx, v, t);
  if (t === 'bool') return typeof v === 'boolean' ? v : fail(ctx, v, t);
  if (t === 'float64') return typeof v === 'number' ? v : fail(ctx, v, t);
  if (t === 'strslice') {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    return fail(ctx, v, t);
  }
  if (typeof t === 'string') {
    if (typeof v !== 'number') return fail(ctx, v, t);
    const [lo, hi] = INT_RANGES[t];
    if (!Number.isInteger(v)) return fail(ctx, v, t, `number ${v}`);
    const b = BigInt(v);
    if (b < lo || b > hi) return fail(ctx, v, t, `number ${v}`);
    return v;
  }
  if ('slice' in t) {
    if (!Array.isArray(v)) return fail(ctx, v, t);
    return v.map((x) => (x === null ? null : decodeValue(t.slice, x, ctx)));
  }
  if ('map' in t) {
    if (typeof v !== 'object' || Array.isArray(v)) return fail(ctx, v, t);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = x === null ? null : decodeValue(t.map, x, ctx);
    return out;
  }
  if (typeof v !== 'object' || Array.isArray(v)) return fail(ctx, v, t);
  const out: Record<string, unknown> = {};
  const exact = new Set<string>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const name = matchField(t.fields, k);
    if (name === undefined) continue; // unknown keys are ignored
    // An exact-case key wins over a case-insensitive one, whatever the order (Go prefers exact matches).
    if (name !== k && exact.has(name)) continue;
    if (name === k) exact.add(name);
    const dv = decodeValue(t.fields[name], x, { root: t.struct, path: [...ctx.path, name] });
    if (dv !== undefined) out[name] = dv;
    else delete out[name];
  }
  return out;
}

/**
 * Decodes a parsed JSON request body against a Go struct description, as dockerd's `json.Decoder` would:
 * unknown keys are dropped, keys match case-insensitively and come out in their canonical spelling,
 * nulls leave fields unset, and a value of the wrong JSON type or out of range is a 400 with Go's message
 * (`json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64`:
 * the innermost struct's name, then the field path from the root).
 * An empty or missing body decodes to `{}`.
 */
export function decodeBody<T = Record<string, unknown>>(schema: GoStruct, raw: unknown): T {
  if (raw === undefined || raw === null || raw === '') return {} as T;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail({ root: schema.struct, path: [] }, raw, schema);
  return decodeValue(schema, raw, { root: schema.struct, path: [] }) as T;
}
