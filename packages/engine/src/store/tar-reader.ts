import { TdockError } from '@tdock/core';

/** The entry types a layer may hold. */
export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One tar entry's metadata, with PAX and GNU long names already applied. */
export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractional from PAX `mtime`). */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>`, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

/** An entry and its content; the content must be consumed (or abandoned) before the next entry. */
export interface TarEntry {
  header: TarHeader;
  body: AsyncIterable<Buffer>;
}

const EMPTY = Buffer.alloc(0);

/** Reads exact byte counts from an async iterable of chunks. */
class ByteReader {
  private buf: Buffer = EMPTY;
  private readonly it: AsyncIterator<Buffer>;
  private ended = false;

  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }

  private async more(): Promise<Buffer | null> {
    if (this.ended) return null;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return null;
    }
    return Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
  }

  /** Exactly n bytes, or null at a clean end of input; throws when the input is truncated mid-read. */
  async read(n: number): Promise<Buffer | null> {
    if (this.buf.length >= n) {
      const out = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      return out;
    }
    // Straddles chunks: copy only the n bytes wanted, never the whole (up to 1 MiB) next chunk.
    const parts = this.buf.length > 0 ? [this.buf] : [];
    let have = this.buf.length;
    this.buf = EMPTY;
    while (have < n) {
      const chunk = await this.more();
      if (chunk === null) {
        if (have === 0) return null;
        throw new TdockError('invalid-argument', 'invalid tar: unexpected end of archive');
      }
      const take = Math.min(n - have, chunk.length);
      parts.push(chunk.subarray(0, take));
      have += take;
      this.buf = chunk.subarray(take);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** Up to n bytes as a sequence of chunks. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const chunk = await this.more();
        if (chunk === null) throw new TdockError('invalid-argument', 'invalid tar: unexpected end of archive');
        this.buf = chunk;
      }
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
      yield out;
    }
  }

  /** Stop reading the input (ends an abandoned upstream generator or stream). */
  async close(): Promise<void> {
    await this.it.return?.();
  }

  /** Consume whatever input remains (so a hash over the whole stream completes). */
  async drain(): Promise<void> {
    this.buf = EMPTY;
    while ((await this.more()) !== null);
  }
}

function parseNumber(field: Buffer): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    // base-256 (GNU): big-endian two's complement, first byte's top bit is the marker
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return v;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TdockError('invalid-argument', `invalid tar: bad numeric field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function cstr(field: Buffer): string {
  const z = field.indexOf(0);
  return field.subarray(0, z === -1 ? field.length : z).toString('utf8');
}

function checksumOk(block: Buffer): boolean {
  const stored = parseNumber(block.subarray(148, 156));
  let unsigned = 0;
  for (let i = 0; i < 512; i++) unsigned += i >= 148 && i < 156 ? 32 : block[i]!;
  return stored === unsigned;
}

/** Parse PAX records ("<len> <key>=<value>\n"), values kept as bytes. */
function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = parseInt(buf.subarray(pos, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > buf.length) {
      throw new TdockError('invalid-argument', 'invalid tar: malformed PAX record');
    }
    const rec = buf.subarray(sp + 1, pos + len - 1); // drop the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq === -1) throw new TdockError('invalid-argument', 'invalid tar: malformed PAX record');
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

async function readAll(r: ByteReader, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r.chunks(size)) parts.push(c);
  await r.read(pad(size));
  return Buffer.concat(parts);
}

function pad(size: number): number {
  return (512 - (size % 512)) % 512;
}

/**
 * Stream the entries of a tar archive (ustar, GNU, PAX). GNU long names and PAX `path`,
 * `linkpath`, `size`, `uid`, `gid`, `mtime` and `SCHILY.xattr.*` are applied. After the
 * end-of-archive marker the rest of the input is drained, so a hash over the input covers all of it.
 */
export async function* readTar(src: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(src);
  try {
    yield* entries(r);
  } finally {
    await r.close();
  }
}

async function* entries(r: ByteReader): AsyncGenerator<TarEntry> {
  let globalPax = new Map<string, Buffer>();
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  while (true) {
    const block = await r.read(512);
    if (block === null) return; // tolerated: archive without end marker
    if (block.every((b) => b === 0)) {
      await r.drain();
      return;
    }
    if (!checksumOk(block)) throw new TdockError('invalid-argument', 'invalid tar: header checksum mismatch');
    const flag = String.fromCharCode(block[156]!);
    const size = parseNumber(block.subarray(124, 136));
    if (flag === 'x' || flag === 'g') {
      const recs = parsePax(await readAll(r, size));
      if (flag === 'g') globalPax = new Map([...globalPax, ...recs]);
      else pax = recs;
      continue;
    }
    if (flag === 'L' || flag === 'K') {
      const v = cstr(await readAll(r, size));
      if (flag === 'L') longName = v;
      else longLink = v;
      continue;
    }
    const ext = new Map([...globalPax, ...(pax ?? [])]);
    pax = undefined;
    const magic = block.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? cstr(block.subarray(345, 500)) : '';
    let name = longName ?? (prefix ? `${prefix}/${cstr(block.subarray(0, 100))}` : cstr(block.subarray(0, 100)));
    const linkname = longLink ?? cstr(block.subarray(157, 257));
    longName = longLink = undefined;
    let type = TYPES[flag];
    const h: TarHeader = {
      name, type: type ?? 'file', mode: parseNumber(block.subarray(100, 108)) & 0o7777,
      uid: parseNumber(block.subarray(108, 116)), gid: parseNumber(block.subarray(116, 124)),
      size, mtime: parseNumber(block.subarray(136, 148)), linkname,
      devmajor: parseNumber(block.subarray(329, 337)), devminor: parseNumber(block.subarray(337, 345)),
      xattrs: new Map(),
    };
    for (const [k, v] of ext) {
      const s = (): string => v.toString('utf8');
      if (k === 'path') h.name = name = s();
      else if (k === 'linkpath') h.linkname = s();
      else if (k === 'size') h.size = parseInt(s(), 10);
      else if (k === 'uid') h.uid = parseInt(s(), 10);
      else if (k === 'gid') h.gid = parseInt(s(), 10);
      else if (k === 'mtime') h.mtime = parseFloat(s());
      else if (k.startsWith('SCHILY.xattr.')) h.xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    }
    if (type === undefined) {
      throw new TdockError('invalid-argument', `invalid tar: unsupported entry type ${JSON.stringify(flag)} for ${JSON.stringify(name)}`);
    }
    if (type === 'file' && flag !== '7' && name.endsWith('/')) type = h.type = 'dir';
    const bodySize = type === 'file' ? h.size : 0; // header-only types carry no data (as Go's archive/tar)
    let left = bodySize;
    const body = (async function* () {
      for await (const c of r.chunks(left)) {
        left -= c.length;
        yield c;
      }
    })();
    yield { header: h, body };
    for await (const c of r.chunks(left)) left -= c.length;
    await r.read(pad(bodySize));
  }
}
