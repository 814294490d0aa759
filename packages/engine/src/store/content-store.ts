import { createHash, type Hash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TdockError, notFound } from '@tdock/core';
import { fsyncDir } from './atomic.js';
import { digestHex } from './digest.js';

/** What the store knows about one committed blob. */
export interface BlobInfo {
  digest: string;
  size: number;
}

/**
 * An open ingest: bytes appended to `content/ingest/<key>/data`. An ingest is never visible as a
 * blob; `commit` verifies the digest (and size), fsyncs, renames into `blobs/sha256/<hex>` and
 * fsyncs the directory. `close` keeps the partial data so a later `writer(key)` resumes at `offset`.
 */
export interface IngestWriter {
  /** Bytes already written (non-zero when resuming a partial ingest). */
  readonly offset: number;
  /** The file holding the bytes written so far (to re-read a resumed prefix). */
  readonly dataPath: string;
  write(chunk: Uint8Array): Promise<void>;
  /** Verify and publish; idempotent if the blob already exists. */
  commit(expectedDigest: string, expectedSize?: number): Promise<BlobInfo>;
  /** Close and keep the partial data for a resume. */
  close(): Promise<void>;
  /** Close and discard the partial data. */
  abort(): Promise<void>;
}

/**
 * Blobs by digest under `<root>/blobs/sha256/<hex>`, exactly as received, with an ingest area
 * `<root>/ingest/<key>` for partial writes (DESIGN §3). One writer per ingest key at a time.
 */
export class ContentStore {
  readonly root: string;
  private readonly active = new Set<string>();
  private readonly leases = new Map<string, number>();

  constructor(root: string) {
    this.root = root;
  }

  /** Create the directories. */
  async init(): Promise<void> {
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(this.root, 'ingest'), { recursive: true });
  }

  /** The path of a committed blob (whether or not it exists). */
  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  /** A stream of a committed blob; not-found if absent. */
  async read(digest: string): Promise<ReadStream> {
    if (!(await this.has(digest))) throw notFound(`blob ${digest} not found`);
    return createReadStream(this.blobPath(digest));
  }

  /** A small blob (manifest, config) read whole. */
  async readBytes(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found`, err);
      throw err;
    }
  }

  /** Every committed blob. */
  async list(): Promise<BlobInfo[]> {
    const dir = join(this.root, 'blobs', 'sha256');
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: BlobInfo[] = [];
    for (const n of names) {
      if (!/^[a-f0-9]{64}$/.test(n)) continue;
      const st = await stat(join(dir, n)).catch(() => undefined);
      if (st) out.push({ digest: `sha256:${n}`, size: st.size });
    }
    return out;
  }

  /** Hold blobs against garbage collection while a pull or build is still writing their image; returns the release. */
  lease(digests: readonly string[]): () => void {
    for (const d of digests) this.leases.set(d, (this.leases.get(d) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const d of digests) {
        const n = (this.leases.get(d) ?? 1) - 1;
        if (n <= 0) this.leases.delete(d);
        else this.leases.set(d, n);
      }
    };
  }

  /** Whether a blob is leased. */
  leased(digest: string): boolean {
    return this.leases.has(digest);
  }

  /** Remove a blob (no error if absent). */
  async delete(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  /** Write a whole small blob and commit it under its digest (verified if `expectedDigest` given). */
  async writeBytes(data: Uint8Array, expectedDigest?: string): Promise<BlobInfo> {
    const digest = expectedDigest ?? `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const existing = await this.info(digest);
    if (existing) return existing;
    const w = await this.writer(`bytes-${digestHex(digest)}`, { resume: false });
    try {
      await w.write(data);
      return await w.commit(digest, data.byteLength);
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /**
   * Move a file (on the same filesystem) into the store as a blob: hashed, checked against
   * `expectedDigest` when given, fsynced and renamed. Returns the blob.
   */
  async importFile(path: string, expectedDigest?: string): Promise<BlobInfo> {
    const hash = createHash('sha256');
    const size = await rehash(path, hash);
    const digest = `sha256:${hash.digest('hex')}`;
    if (expectedDigest !== undefined && digest !== expectedDigest) {
      throw new TdockError('invalid-argument', `digest mismatch: expected ${expectedDigest}, got ${digest}`);
    }
    if (!(await this.has(digest))) {
      const fh = await open(path, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(path, this.blobPath(digest));
      await fsyncDir(join(this.root, 'blobs', 'sha256'));
    }
    return { digest, size };
  }

  /** Keys of every ingest in progress or left by a crash. */
  async ingests(): Promise<string[]> {
    return readdir(join(this.root, 'ingest')).catch(() => [] as string[]);
  }

  /** Discard an ingest. */
  async abortIngest(key: string): Promise<void> {
    await rm(join(this.root, 'ingest', safeKey(key)), { recursive: true, force: true });
  }

  /**
   * Open (or resume) the ingest `key`. With `resume` (the default) existing partial data is kept
   * and re-hashed so writing continues at `offset`; without it the ingest starts empty.
   * Conflict if the key is already open in this store.
   */
  async writer(key: string, opts: { resume?: boolean } = {}): Promise<IngestWriter> {
    const k = safeKey(key);
    if (this.active.has(k)) throw new TdockError('conflict', `ingest ${key} is already in progress`);
    this.active.add(k);
    try {
      const dir = join(this.root, 'ingest', k);
      await mkdir(dir, { recursive: true });
      const dataPath = join(dir, 'data');
      const hash = createHash('sha256');
      let offset = 0;
      if (opts.resume === false) await rm(dataPath, { force: true });
      else offset = await rehash(dataPath, hash);
      const fh = await open(dataPath, 'a');
      return new Writer(this, k, dir, dataPath, fh, hash, offset);
    } catch (err) {
      this.active.delete(k);
      throw err;
    }
  }

  /** @internal */
  release(key: string): void {
    this.active.delete(key);
  }
}

class Writer implements IngestWriter {
  offset: number;
  private done = false;

  constructor(
    private readonly store: ContentStore,
    private readonly key: string,
    private readonly dir: string,
    readonly dataPath: string,
    private readonly fh: FileHandle,
    private readonly hash: Hash,
    offset: number,
  ) {
    this.offset = offset;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new TdockError('internal', 'write after close');
    let written = 0;
    while (written < chunk.byteLength) {
      const r = await this.fh.write(chunk, written, chunk.byteLength - written);
      written += r.bytesWritten;
    }
    this.hash.update(chunk);
    this.offset += chunk.byteLength;
  }

  async commit(expectedDigest: string, expectedSize?: number): Promise<BlobInfo> {
    const target = this.store.blobPath(expectedDigest);
    try {
      const actual = `sha256:${this.hash.digest('hex')}`;
      if (expectedSize !== undefined && expectedSize !== this.offset) {
        throw new TdockError('invalid-argument', `blob size mismatch for ${expectedDigest}: expected ${expectedSize} bytes, got ${this.offset}`);
      }
      if (actual !== expectedDigest) {
        throw new TdockError('invalid-argument', `digest mismatch: expected ${expectedDigest}, got ${actual}`);
      }
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      await rename(this.dataPath, target);
      await fsyncDir(join(target, '..'));
      await rm(this.dir, { recursive: true, force: true });
      return { digest: expectedDigest, size: this.offset };
    } catch (err) {
      await this.abort();
      throw err;
    } finally {
      this.store.release(this.key);
    }
  }

  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close().catch(() => undefined);
    }
    this.store.release(this.key);
  }

  async abort(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function safeKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]/g, '_');
}

async function rehash(path: string, hash: Hash): Promise<number> {
  let n = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      n += (chunk as Buffer).byteLength;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return n;
}
