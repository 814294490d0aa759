// Network records on disk: one JSON file per network in `<dataRoot>/networks/`, each written atomically
// and durably (temp file, fsync, rename, directory fsync), so a kill -9 leaves every file old or new.
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeJsonAtomic } from '../store/atomic.js';
import type { NetworkRecord } from './types.js';

/** The in-memory view of every network, backed by one file each. Callers serialise mutations. */
export class NetworkStore {
  private readonly dir: string;
  private readonly byId = new Map<string, NetworkRecord>();

  constructor(dataRoot: string) {
    this.dir = join(dataRoot, 'networks');
  }

  /** Reads every record; unreadable or partial files (none can exist after atomic writes) are skipped. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.byId.clear();
    for (const name of await readdir(this.dir)) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
      try {
        const rec = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as NetworkRecord;
        rec.endpoints ??= {};
        this.byId.set(rec.Id, rec);
      } catch {
        // a stray file: ignore it rather than refuse to start
      }
    }
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): NetworkRecord | undefined {
    return this.byId.get(id);
  }

  async save(rec: NetworkRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${rec.Id}.json`), rec);
    this.byId.set(rec.Id, rec);
  }

  async delete(id: string): Promise<void> {
    await unlink(join(this.dir, `${id}.json`)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await fsyncDir(this.dir);
    this.byId.delete(id);
  }
}
