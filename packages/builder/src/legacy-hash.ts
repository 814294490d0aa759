/**
 * The legacy builder's source hashes in `created_by` (`COPY file:<hex> in /dst `): per entry, sha256 over
 * tarsum's v1 header selection (name, mode, uid, gid, size, typeflag, linkname, uname, gname, devmajor, devminor,
 * sorted xattrs; never the mtime) followed by the content; a directory is `dir:` + sha256 of its entries' sums
 * joined by `,`; several sources are `multi:` + sha256 of their hashes joined by `,` (moby `remotecontext`,
 * `dockerfile/copy.go`). The engine streams content into a hash seeded with {@link tarsumV1Header}.
 */
import { createHash } from 'node:crypto';

/** The tar header fields tarsum v1 hashes. */
export interface TarsumHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Tar typeflag character: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo. */
  typeflag: string;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes as raw bytes (the legacy builder records `security.capability` only). */
  xattrs?: Readonly<Record<string, string | Uint8Array>>;
}

/** The header bytes tarsum v1 feeds to the hash before the content (Go strings are bytes: xattr values stay raw). */
export function tarsumV1Header(h: TarsumHeader): Buffer {
  const fields: Array<[string, string]> = [
    ['name', h.name], ['mode', String(h.mode)], ['uid', String(h.uid)], ['gid', String(h.gid)], ['size', String(h.size)],
    ['typeflag', h.typeflag], ['linkname', h.linkname ?? ''], ['uname', h.uname ?? ''], ['gname', h.gname ?? ''],
    ['devmajor', String(h.devmajor ?? 0)], ['devminor', String(h.devminor ?? 0)],
  ];
  const xattrs = Object.entries(h.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: Buffer[] = [];
  for (const [k, v] of [...fields, ...xattrs]) parts.push(Buffer.from(k, 'utf8'), typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v));
  return Buffer.concat(parts);
}

/** A context entry as the legacy builder stats it. */
export interface ContextEntryInfo {
  /** Path relative to the context (or stage) root, slash-separated. */
  relPath: string;
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  /** Permission bits plus setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkTarget?: string;
  devmajor?: number;
  devminor?: number;
  /** The raw `security.capability` xattr, when set. */
  securityCapability?: Uint8Array;
}

const TYPEFLAG: Record<ContextEntryInfo['type'], string> = { file: '0', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** go-archive's FileInfoHeader (no user-name lookups) for a context entry. */
export function contextEntryHeader(e: ContextEntryInfo): TarsumHeader {
  return {
    name: e.type === 'dir' && !e.relPath.endsWith('/') ? e.relPath + '/' : e.relPath,
    mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: e.type === 'file' ? e.size : 0, typeflag: TYPEFLAG[e.type],
    linkname: e.type === 'symlink' ? e.linkTarget ?? '' : '',
    devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0,
    xattrs: e.securityCapability !== undefined ? { 'security.capability': e.securityCapability } : {},
  };
}

/** One entry's sum: hex sha256 of the v1 header then the content chunks. */
export function legacyEntrySum(header: TarsumHeader, content: Iterable<Uint8Array> = []): string {
  const h = createHash('sha256').update(tarsumV1Header(header));
  for (const chunk of content) h.update(chunk);
  return h.digest('hex');
}

function hashStringSlice(prefix: string, list: readonly string[]): string {
  return prefix + ':' + createHash('sha256').update(list.join(','), 'utf8').digest('hex');
}

/** `file:<sum>` for a single non-directory source. */
export const legacyFileHash = (sum: string): string => 'file:' + sum;
/** `dir:` hash of a directory source: the sums of the directory itself and everything below it, in WalkDir (lexical) order. */
export const legacyDirHash = (sums: readonly string[]): string => hashStringSlice('dir', sums);
/** The history hash of a COPY/ADD: the one source's hash, or `multi:` over all of them. */
export const legacyHistoryHash = (hashes: readonly string[]): string => (hashes.length === 1 ? hashes[0] : hashStringSlice('multi', hashes));
