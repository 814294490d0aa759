/**
 * COPY/ADD source selection rules shared by the engine's context walker: Go's `path/filepath.Match` (the
 * legacy builder matches wildcard sources with it, `*` never crossing `/`), moby's `containsWildcards`, and the
 * cleaning of a source path relative to the context root.
 */
import { posix } from 'node:path';
import { invalidArgument } from '@tdock/core';

const BAD = 'syntax error in pattern';

/** moby's containsWildcards: an unescaped `*`, `?` or `[`. */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** A source as the legacy builder resolves it in the context: cleaned, relative, never above the root. */
export function normalizeCopySource(src: string): string {
  const cleaned = posix.normalize('/' + src).replace(/^\/+/, '');
  return cleaned === '' ? '.' : cleaned.replace(/\/$/, '');
}

function scanChunk(pattern: string): { star: boolean; chunk: string; rest: string } {
  let star = false;
  while (pattern.length > 0 && pattern[0] === '*') {
    pattern = pattern.slice(1);
    star = true;
  }
  let inrange = false;
  let i = 0;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inrange = true;
        break;
      case ']':
        inrange = false;
        break;
      case '*':
        if (!inrange) break scan;
    }
  }
  return { star, chunk: pattern.slice(0, i), rest: pattern.slice(i) };
}

function getEsc(chunk: string[]): { r: string; rest: string[] } {
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') throw invalidArgument(BAD);
  let c = chunk;
  if (c[0] === '\\') {
    c = c.slice(1);
    if (c.length === 0) throw invalidArgument(BAD);
  }
  const rest = c.slice(1);
  if (rest.length === 0) throw invalidArgument(BAD);
  return { r: c[0], rest };
}

/** Go's matchChunk over code points: the rest of `s` after a match, or undefined. Throws on a bad pattern. */
function matchChunk(chunkStr: string, sStr: string): string[] | undefined {
  let chunk = Array.from(chunkStr);
  let s = Array.from(sStr);
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    switch (chunk[0]) {
      case '[': {
        let r = '';
        if (!failed) {
          r = s[0];
          s = s.slice(1);
        }
        chunk = chunk.slice(1);
        let negated = false;
        if (chunk.length > 0 && chunk[0] === '^') {
          negated = true;
          chunk = chunk.slice(1);
        }
        let match = false;
        for (let nrange = 0; ; nrange++) {
          if (chunk.length > 0 && chunk[0] === ']' && nrange > 0) {
            chunk = chunk.slice(1);
            break;
          }
          const lo = getEsc(chunk);
          let hi = lo.r;
          chunk = lo.rest;
          if (chunk[0] === '-') {
            const h = getEsc(chunk.slice(1));
            hi = h.r;
            chunk = h.rest;
          }
          const cp = (x: string): number => x.codePointAt(0) ?? -1;
          if (!failed && cp(lo.r) <= cp(r) && cp(r) <= cp(hi)) match = true;
        }
        if (match === negated) failed = true;
        break;
      }
      case '?':
        if (!failed) {
          if (s[0] === '/') failed = true;
          s = s.slice(1);
        }
        chunk = chunk.slice(1);
        break;
      default:
        if (chunk[0] === '\\') {
          chunk = chunk.slice(1);
          if (chunk.length === 0) throw invalidArgument(BAD);
        }
        if (!failed) {
          if (chunk[0] !== s[0]) failed = true;
          s = s.slice(1);
        }
        chunk = chunk.slice(1);
    }
  }
  return failed ? undefined : s;
}

/** Go's `filepath.Match` on Linux: `*`, `?`, `[...]`, `[^...]`, `\` escapes; separators never match wildcards. */
export function goPathMatch(pattern: string, name: string): boolean {
  let p = pattern;
  let n = name;
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk === '') return !n.includes('/');
    const t = matchChunk(chunk, n);
    if (t && (t.length === 0 || p.length > 0)) {
      n = t.join('');
      continue;
    }
    if (star) {
      const chars = Array.from(n);
      for (let i = 0; i < chars.length && chars[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, chars.slice(i + 1).join(''));
        if (t2) {
          if (p.length === 0 && t2.length > 0) continue;
          n = t2.join('');
          continue outer;
        }
      }
    }
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      matchChunk(next.chunk, '');
    }
    return false;
  }
  return n.length === 0;
}

/** The legacy check after wildcards are expanded: several sources need a directory destination ending in `/`. */
export function checkCopyDestination(cmdName: 'COPY' | 'ADD', sourceCount: number, dest: string): void {
  if (sourceCount > 1 && !dest.endsWith('/')) {
    throw invalidArgument(`When using ${cmdName} with more than one source file, the destination must be a directory and end with a /`);
  }
}

/**
 * Where one source lands (moby performCopyForInfo): a directory's contents are copied into `dest`; a file goes to
 * `dest/<basename>` when `dest` ends in `/` or is an existing directory, else to `dest` itself.
 */
export function copyTarget(dest: string, source: { path: string; isDir: boolean }, destIsExistingDir: boolean): { contentsOf: boolean; target: string } {
  const cleaned = posix.normalize(dest).replace(/(.)\/$/, '$1');
  if (source.isDir) return { contentsOf: true, target: cleaned };
  if (dest.endsWith('/') || destIsExistingDir) return { contentsOf: false, target: posix.join(cleaned, posix.basename(source.path)) };
  return { contentsOf: false, target: cleaned };
}
