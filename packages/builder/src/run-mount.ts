/**
 * `RUN --mount=...` (BuildKit's `commands_runmount.go`): CSV fields, defaults (bind mounts read-only, cache and
 * tmpfs read-write), validation, and the expansion of values.
 */
import { ramInBytes } from '@tdock/core';
import { withSuggestion } from './bflags.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/** A parsed `--mount`. */
export interface RunMount {
  type: MountType;
  /** A stage name or index, or an image reference (bind and cache). */
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  sizeLimit: number;
  cacheId: string;
  cacheSharing: CacheSharing | '';
  required: boolean;
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const KEYS = ['type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid',
  'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env'];

/** Splits one CSV record (double quotes, `""` escapes), as encoding/csv does for a single line. */
export function csvFields(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new Error(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.length && s[i] !== ',') throw new Error(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      const j = s.indexOf(',', i);
      field = j < 0 ? s.slice(i) : s.slice(i, j);
      i = j < 0 ? s.length : j;
    }
    out.push(field);
    if (i >= s.length) return out;
    i++;
  }
}

function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

function parseUint(v: string, radix: number, what: string): number {
  const re = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = re.test(v) ? Number.parseInt(v, radix) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) throw new Error(`invalid value ${v} for ${what}`);
  return n;
}

/** The `from=` of a mount spec without expansion (for the stage graph); '' when absent. */
export function mountFrom(spec: string): string {
  for (const f of csvFields(spec)) {
    const i = f.indexOf('=');
    if (i > 0 && f.slice(0, i).toLowerCase() === 'from') return f.slice(i + 1);
  }
  return '';
}

/**
 * Parses one `--mount` value, expanding every value with `expand` (identity when omitted). Throws an Error worded
 * as BuildKit's.
 */
export function parseRunMount(spec: string, expand: (w: string) => string = (w) => w): RunMount {
  const m: RunMount = { type: 'bind', from: '', source: '', target: '', readOnly: false, sizeLimit: 0, cacheId: '', cacheSharing: '', required: false };
  let roAuto = true;
  for (const field of csvFields(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') m.readOnly = true;
      else if (key === 'readwrite' || key === 'rw') m.readOnly = false;
      else if (key === 'required' && (m.type === 'secret' || m.type === 'ssh')) m.required = true;
      else if (key === 'required') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      if (key !== 'required') roAuto = false;
      continue;
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type': {
        const v = value.toLowerCase() as MountType;
        if (!TYPES.includes(v)) throw new Error(withSuggestion(`unsupported mount type "${value}"`, value, TYPES, true));
        m.type = v;
        break;
      }
      case 'from': m.from = value; break;
      case 'source': case 'src': m.source = value; break;
      case 'target': case 'dst': case 'destination': m.target = value; break;
      case 'readonly': case 'ro': m.readOnly = parseBool(key, value); roAuto = false; break;
      case 'readwrite': case 'rw': m.readOnly = !parseBool(key, value); roAuto = false; break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = parseBool(key, value);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.sizeLimit = ramInBytes(value);
        } catch {
          throw new Error(`invalid value for ${key}: ${value}`);
        }
        break;
      case 'id': m.cacheId = value; break;
      case 'sharing': {
        const v = value.toLowerCase() as CacheSharing;
        if (!SHARING.includes(v)) throw new Error(withSuggestion(`unsupported sharing value "${value}"`, value, SHARING, true));
        m.cacheSharing = v;
        break;
      }
      case 'mode': m.mode = parseUint(value, 8, 'mode'); break;
      case 'uid': m.uid = parseUint(value, 10, 'uid'); break;
      case 'gid': m.gid = parseUint(value, 10, 'gid'); break;
      case 'env': m.env = value; break;
      default:
        throw new Error(withSuggestion(`unexpected key '${key}' in '${field}'`, key, KEYS, true));
    }
  }
  if (!['secret', 'ssh', 'cache'].includes(m.type)) {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw new Error(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== '') throw new Error('secret mount should not have a from');
    if (m.cacheSharing !== '') throw new Error('secret mount should not define sharing');
    if (m.source === '' && m.target === '' && m.cacheId === '') throw new Error('invalid secret mount. one of source, target required');
    if (m.source !== '' && m.cacheId !== '') throw new Error("both source and id can't be set");
  }
  if (m.cacheSharing !== '' && m.type !== 'cache') throw new Error(`invalid cache sharing set for ${m.type} mount`);
  return m;
}
