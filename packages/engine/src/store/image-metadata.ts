import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '@tdock/core';
import { writeJsonAtomic } from './atomic.js';

/** One layer of a stored image: the compressed blob and its uncompressed diff ID. */
export interface LayerRecord {
  digest: string;
  size: number;
  mediaType: string;
  diffId: string;
}

/** A stored image. `id` is the config digest, as Docker's image ID. */
export interface ImageRecord {
  id: string;
  /** The platform manifest describing this image (stored in the content store). */
  manifestDigest: string;
  manifestMediaType: string;
  configSize: number;
  layers: LayerRecord[];
  /** When the image came into this store (RFC 3339). */
  loadedAt: string;
  /** When a tag was last added (RFC 3339), Docker's `Metadata.LastTagTime`. */
  lastTagTime?: string;
  /** The parent image ID for locally built or committed images (Docker's `Parent`). */
  parent?: string;
}

/** What a name points at: `name:tag` and `name@digest` references, fully normalised. */
export interface ReferenceRecord {
  /** Image ID (config digest). */
  id: string;
}

interface Db {
  version: 1;
  images: Record<string, ImageRecord>;
  references: Record<string, ReferenceRecord>;
}

/**
 * Image records and references, kept in one JSON document (`images/db.json`) that is replaced
 * atomically on every change, so an image and its references appear together or not at all.
 * Mutations are serialised within this instance; the daemon is the only writer.
 */
export class ImageMetadataStore {
  private readonly path: string;
  private db: Db = { version: 1, images: {}, references: {} };
  private chain: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.path = join(root, 'db.json');
  }

  /** Read the document from disk (a missing file is an empty store). */
  async load(): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true });
    try {
      this.db = JSON.parse(await readFile(this.path, 'utf8')) as Db;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.db = { version: 1, images: {}, references: {} };
    }
  }

  images(): ImageRecord[] {
    return Object.values(this.db.images);
  }

  image(id: string): ImageRecord | undefined {
    return this.db.images[id];
  }

  /** All references as [ref, record] pairs. */
  references(): Array<[string, ReferenceRecord]> {
    return Object.entries(this.db.references);
  }

  /** The image a full reference points at. */
  resolve(ref: string): string | undefined {
    return this.db.references[ref]?.id;
  }

  /** References pointing at an image. */
  referencesOf(id: string): string[] {
    return Object.entries(this.db.references)
      .filter(([, r]) => r.id === id)
      .map(([ref]) => ref)
      .sort();
  }

  /** Add or replace an image together with references to it, in one durable write. */
  putImage(record: ImageRecord, refs: readonly string[] = []): Promise<void> {
    return this.mutate((db) => {
      db.images[record.id] = record;
      for (const ref of refs) db.references[ref] = { id: record.id };
    });
  }

  /** Point `ref` at an existing image (recording `lastTagTime` when given). */
  tag(ref: string, id: string, lastTagTime?: string): Promise<void> {
    return this.mutate((db) => {
      const img = db.images[id];
      if (!img) throw notFound(`No such image: ${id}`);
      db.references[ref] = { id };
      if (lastTagTime !== undefined) img.lastTagTime = lastTagTime;
    });
  }

  /** Remove references (missing ones are ignored). */
  untag(refs: readonly string[]): Promise<void> {
    return this.mutate((db) => {
      for (const ref of refs) delete db.references[ref];
    });
  }

  /** Remove an image and every reference to it. */
  deleteImage(id: string): Promise<void> {
    return this.mutate((db) => {
      delete db.images[id];
      for (const [ref, r] of Object.entries(db.references)) if (r.id === id) delete db.references[ref];
    });
  }

  private mutate(fn: (db: Db) => void): Promise<void> {
    const run = async (): Promise<void> => {
      const next = structuredClone(this.db);
      fn(next);
      await writeJsonAtomic(this.path, next);
      this.db = next;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}
