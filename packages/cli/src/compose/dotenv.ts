import { invalidArgument } from '@tdock/core';
import { interpolate, type VariableLookup } from './interpolate.js';

/** Options for {@link parseDotenv}. */
export interface DotenvOptions {
  /** Variables outside the file (the shell); consulted before the file's own earlier entries. */
  lookup?: VariableLookup;
  /** `raw`: values verbatim, no quotes, escapes or interpolation (env_file `format: raw`). */
  raw?: boolean;
  /** Name for error messages. */
  filename?: string;
  onWarning?: (message: string) => void;
}

/** A parsed env file: `null` for a bare `VAR` (no `=`), which means "take it from the environment". */
export type DotenvEntries = Map<string, string | null>;

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function unescapeDouble(s: string): string {
  return s.replace(/\\([\\nrt"'$])/g, (_m, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '$':
        return '$$';
      default:
        return c;
    }
  });
}

/** Finds the closing quote at or after `from`, skipping backslash escapes. */
function findQuote(src: string, from: number, q: string): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === q) return i;
  }
  return -1;
}

/**
 * Parses compose's dotenv format (spec §"Env_file format", compose-go `dotenv`): `KEY=VAL`, `export KEY=VAL`,
 * comments, single quotes (literal), double quotes (escapes, interpolation, may span lines), inline
 * comments after a space, and interpolation inside unquoted and double-quoted values, where a variable
 * resolves from `lookup` first and then from the file's earlier entries.
 */
export function parseDotenv(src: string, opts: DotenvOptions = {}): DotenvEntries {
  const entries: DotenvEntries = new Map();
  const name = opts.filename ?? '.env';
  const lookup: VariableLookup = (k) => {
    const v = opts.lookup?.(k);
    if (v !== undefined) return v;
    const own = entries.get(k);
    return own === null ? undefined : own;
  };
  const expand = (v: string): string => (opts.raw ? v : interpolate(v, lookup, { onWarning: opts.onWarning }));
  const text = src.replace(/\r\n?/g, '\n');
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    lineNo++;
    let line = text.slice(pos, nl);
    const lineStart = pos;
    pos = nl + 1;
    line = line.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).replace(/^\s+/, '');
    const eq = line.indexOf('=');
    if (eq < 0) {
      const key = line.replace(/\s+#.*$/, '').trim();
      if (!KEY.test(key)) throw invalidArgument(`${name}: line ${lineNo}: unexpected character in variable name "${key}"`);
      entries.set(key, null);
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) throw invalidArgument(`${name}: line ${lineNo}: unexpected character in variable name "${key}"`);
    const rest = line.slice(eq + 1).replace(/^[ \t]+/, '');
    if (opts.raw) {
      entries.set(key, rest);
      continue;
    }
    const q = rest[0];
    if (q === '"' || q === "'") {
      // The value may continue on later lines: search in the whole text from the opening quote.
      const open = text.indexOf(q, lineStart + text.slice(lineStart, nl).indexOf('=') + 1);
      const close = findQuote(text, open + 1, q);
      if (close < 0) throw invalidArgument(`${name}: line ${lineNo}: unterminated quoted value for ${key}`);
      const body = text.slice(open + 1, close);
      const value = q === "'" ? body.replace(/\\'/g, "'") : expand(unescapeDouble(body));
      entries.set(key, value);
      lineNo += body.split('\n').length - 1;
      let end = text.indexOf('\n', close);
      if (end < 0) end = text.length;
      pos = end + 1;
      continue;
    }
    const hash = rest.search(/\s#/);
    const value = (hash >= 0 ? rest.slice(0, hash) : rest).trim();
    entries.set(key, expand(value));
  }
  return entries;
}

/** The entries with values, bare keys resolved through `lookup` and dropped when unset. */
export function resolveDotenv(entries: DotenvEntries, lookup: VariableLookup = () => undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (v !== null) out[k] = v;
    else {
      const env = lookup(k);
      if (env !== undefined) out[k] = env;
    }
  }
  return out;
}
