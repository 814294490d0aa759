/**
 * COPY/ADD sources on disk: selecting them in a source root (the context or a mounted view of a stage or image)
 * with the legacy builder's rules, hashing them (the cache digest over content and mode, and the legacy
 * `file:`/`dir:`/`multi:` history hash), and copying them into a destination root.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { TdockError, compileDockerignore, type DockerignoreMatcher } from '@tdock/core';
import {
  containsWildcards, contextEntryHeader, goPathMatch, legacyDirHash, legacyFileHash, legacyHistoryHash, normalizeCopySource,
  sha256Hash, sourceDigest, tarsumV1Header, type ContextEntryInfo, type SourceContent, type SourceEntry,
} from '@tdock/builder';
import { resolveInScope } from './scope.js';

/** One selected source: its name relative to the source root and where it is on the host. */
export interface SelectedSource {
  rel: string;
  abs: string;
  isDir: boolean;
}

function notFoundIn(cmd: string, src: string): TdockError {
  return new TdockError('not-found', `${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`);
}

function walkRel(root: string, rel: string, out: string[]): void {
  for (const name of readdirSync(posix.join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    out.push(p);
    if (lstatSync(posix.join(root, p)).isDirectory()) walkRel(root, p, out);
  }
}

/** The legacy selection: wildcard sources match every path (Go's filepath.Match), others resolve in scope. */
export function selectSources(root: string, cmdName: string, sources: readonly string[]): SelectedSource[] {
  const out: SelectedSource[] = [];
  let all: string[] | undefined;
  for (const src of sources) {
    if (/^https?:\/\//.test(src)) throw new TdockError('not-implemented', `${cmdName} of a URL (${src}) is not supported by this builder`);
    const clean = normalizeCopySource(src);
    if (containsWildcards(clean)) {
      if (!all) walkRel(root, '', (all = []));
      const hits = all.filter((p) => goPathMatch(clean, p));
      for (const p of hits) out.push({ rel: p, abs: posix.join(root, p), isDir: lstatSync(posix.join(root, p)).isDirectory() });
      if (hits.length === 0) throw new TdockError('invalid-argument', `${cmdName} failed: no source files were specified`);
      continue;
    }
    const abs = clean === '.' ? root : resolveInScope(root, clean);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) throw notFoundIn(cmdName, src);
    out.push({ rel: clean, abs, isDir: st.isDirectory() });
  }
  return out;
}

function typeOf(st: Stats): ContextEntryInfo['type'] | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return undefined;
}

/** Files up to this size are hashed with one synchronous read. */
const SMALL_FILE = 256 * 1024;

async function entryHashes(abs: string, rel: string, st: Stats): Promise<{ sum: string; entry?: SourceEntry }> {
  const type = typeOf(st);
  if (!type) return { sum: '' };
  const info: ContextEntryInfo = { relPath: rel, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size };
  if (type === 'symlink') info.linkTarget = readlinkSync(abs);
  const sum = createHash('sha256').update(tarsumV1Header(contextEntryHeader(info)));
  const content = createHash('sha256');
  if (type === 'file' && st.size <= SMALL_FILE) {
    // one synchronous read: a stream costs several thread-pool round trips per file, which dominate a no-op rebuild
    const data = readFileSync(abs);
    sum.update(data);
    content.update(data);
  } else if (type === 'file') {
    for await (const c of createReadStream(abs)) {
      sum.update(c as Buffer);
      content.update(c as Buffer);
    }
  }
  const entry: SourceEntry = {
    path: rel, type: type as SourceEntry['type'], mode: info.mode, uid: st.uid, gid: st.gid,
    ...(type === 'file' ? { digest: `sha256:${content.digest('hex')}` } : {}), ...(info.linkTarget !== undefined ? { target: info.linkTarget } : {}),
  };
  return { sum: sum.digest('hex'), entry };
}

/** Compiles `--exclude` patterns (undefined when there are none). */
export function excludeMatcher(excludes: readonly string[]): DockerignoreMatcher | undefined {
  return excludes.length ? compileDockerignore(excludes.join('\n')) : undefined;
}

/** `{digest, historyHash}` of the selected sources and here-documents (content and mode, never mtime). */
export async function hashSelection(selected: readonly SelectedSource[], contents: readonly SourceContent[], excludes: readonly string[], signal: AbortSignal): Promise<{ digest: string; historyHash: string }> {
  const ex = excludeMatcher(excludes);
  const entries: SourceEntry[] = [];
  const hashes: string[] = [];
  for (const s of selected) {
    signal.throwIfAborted();
    const st = lstatSync(s.abs);
    if (!s.isDir) {
      const h = await entryHashes(s.abs, s.rel, st);
      if (h.entry) entries.push(h.entry);
      hashes.push(legacyFileHash(h.sum));
      continue;
    }
    const sums: string[] = [];
    const self = await entryHashes(s.abs, s.rel, st);
    sums.push(self.sum);
    if (self.entry) entries.push({ ...self.entry, path: s.rel });
    const below: string[] = [];
    walkRel(s.abs, '', below);
    for (const p of below) {
      if (ex?.matches(p)) continue;
      const abs = posix.join(s.abs, p);
      const h = await entryHashes(abs, s.rel === '.' ? p : `${s.rel}/${p}`, lstatSync(abs));
      if (h.entry) {
        sums.push(h.sum);
        entries.push(h.entry);
      }
    }
    hashes.push(legacyDirHash(sums));
  }
  for (const c of contents) {
    const data = Buffer.from(c.data, 'utf8');
    const header = contextEntryHeader({ relPath: c.path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length });
    hashes.push(legacyFileHash(createHash('sha256').update(tarsumV1Header(header)).update(data).digest('hex')));
    entries.push({ path: `<<${c.path}`, type: 'file', mode: 0o644, uid: 0, gid: 0, digest: `sha256:${createHash('sha256').update(data).digest('hex')}` });
  }
  return { digest: sourceDigest(sha256Hash, entries), historyHash: legacyHistoryHash(hashes) };
}
