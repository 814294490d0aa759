import type { TarEntryType } from './tar-reader.js';

/** One entry to write; `name` without a leading `/` (directories get a trailing `/`). */
export interface TarWriteHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Content size for files; 0 for everything else. */
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Written as PAX `SCHILY.xattr.<name>` records, sorted by name. */
  xattrs?: ReadonlyMap<string, Uint8Array>;
}

const FLAG: Record<TarEntryType, string> = { file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(1024);

/** Zero padding after `size` bytes of content. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

function octal(value: number, width: number): string | undefined {
  const s = Math.floor(value).toString(8);
  return s.length <= width - 1 ? s.padStart(width - 1, '0') : undefined;
}

function block(name: string, flag: string, h: TarWriteHeader, size: number, linkname: string): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write(octal(h.mode & 0o7777, 8)!, 100, 'latin1');
  b.write(octal(h.uid, 8) ?? '0000000', 108, 'latin1');
  b.write(octal(h.gid, 8) ?? '0000000', 116, 'latin1');
  b.write(octal(size, 12) ?? '00000000000', 124, 'latin1');
  b.write(octal(Math.max(0, h.mtime), 12) ?? '00000000000', 136, 'latin1');
  b.write(flag, 156, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 'latin1');
  b.write(octal(h.devmajor ?? 0, 8) ?? '0000000', 329, 'latin1');
  b.write(octal(h.devminor ?? 0, 8) ?? '0000000', 337, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function paxRecord(key: string, value: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/**
 * The header block(s) for one entry: a PAX extended header first when a name, link name or id
 * does not fit ustar, or when there are xattrs (binary values kept byte for byte). Deterministic:
 * the same header always gives the same bytes.
 */
export function encodeTarHeader(h: TarWriteHeader): Buffer {
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const linkname = h.linkname ?? '';
  const recs: Buffer[] = [];
  const fits = (s: string): boolean => Buffer.byteLength(s) <= 100 && /^[\x20-\x7e]*$/.test(s);
  if (!fits(name)) recs.push(paxRecord('path', Buffer.from(name)));
  if (!fits(linkname)) recs.push(paxRecord('linkpath', Buffer.from(linkname)));
  if (octal(h.uid, 8) === undefined) recs.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (octal(h.gid, 8) === undefined) recs.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (octal(h.size, 12) === undefined) recs.push(paxRecord('size', Buffer.from(String(h.size))));
  for (const key of [...(h.xattrs?.keys() ?? [])].sort()) recs.push(paxRecord(`SCHILY.xattr.${key}`, h.xattrs!.get(key)!));
  const main = block(fits(name) ? name : name.slice(0, 99), FLAG[h.type], h, h.size, fits(linkname) ? linkname : '');
  if (recs.length === 0) return main;
  const pax = Buffer.concat(recs);
  const base = name.replace(/\/$/, '').split('/').pop() ?? '';
  const paxName = `PaxHeaders.0/${base}`.slice(0, 99);
  return Buffer.concat([block(paxName, 'x', { ...h, uid: 0, gid: 0 }, pax.length, ''), pax, tarPadding(pax.length), main]);
}

/** A whole small archive in memory (tests, fixtures). */
export function buildTar(entries: ReadonlyArray<TarWriteHeader & { data?: Uint8Array }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    parts.push(encodeTarHeader({ ...e, size: e.type === 'file' ? data.length : 0 }));
    if (e.type === 'file') parts.push(Buffer.from(data), tarPadding(data.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
