// The local volume driver (DESIGN §3): `<dataRoot>/volumes/<name>/_data`, metadata in
// `<name>/volume.json` written atomically. `type=tmpfs` (or any `type`/`device`/`o` options) is
// mounted at first use, as Docker's local driver does.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { conflict, invalidArgument, notFound } from '@tdock/core';
import { mount, umountIfMounted } from '@tdock/runtime/sys';
import type { Filters } from '../api/query.js';
import type { VolumeService } from '../api/services.js';
import type { JsonObject, VolumeCreateBody } from '../api/types.js';
import { exactMatch, matchKVList } from '../api/filters.js';
import { writeJsonAtomic } from '../store/atomic.js';
import { nowNano } from './records.js';
import type { EventInput } from '../api/events-hub.js';

interface VolumeMeta {
  Name: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** Image content was copied in (or the volume was used): no copy at a later first mount. */
  Populated?: boolean;
}

const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The volume store; `inUse(name)` (given by the container service) lists the containers using a volume. */
export class LocalVolumes implements VolumeService {
  private readonly vols = new Map<string, VolumeMeta>();
  private readonly mounted = new Set<string>();
  inUse: (name: string) => string[] = () => [];

  constructor(readonly root: string, private readonly publish: (e: EventInput) => void = () => undefined) {}

  load(): void {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o701 });
    for (const name of fs.readdirSync(this.root)) {
      try {
        const meta = JSON.parse(fs.readFileSync(path.join(this.root, name, 'volume.json'), 'utf8')) as VolumeMeta;
        this.vols.set(meta.Name, meta);
      } catch {
        // not a volume directory (or a half-created one): ignore
      }
    }
  }

  private view(v: VolumeMeta): JsonObject {
    const hasOpts = Object.keys(v.Options).length > 0;
    return {
      CreatedAt: v.CreatedAt.replace(/\.\d+Z$/, 'Z'),
      Driver: 'local',
      Labels: v.Labels,
      Mountpoint: this.dataPath(v.Name),
      Name: v.Name,
      Options: hasOpts ? v.Options : null,
      Scope: 'local',
    };
  }

  dataPath(name: string): string {
    return path.join(this.root, name, '_data');
  }

  exists(name: string): boolean {
    return this.vols.has(name);
  }

  async list(filters: Filters): Promise<{ Volumes: JsonObject[]; Warnings: string[] }> {
    const dangling = filters.get('dangling')?.[0];
    const out = [...this.vols.values()].filter((v) => {
      if (dangling !== undefined) {
        const want = dangling === 'true' || dangling === '1';
        if ((this.inUse(v.Name).length === 0) !== want) return false;
      }
      const names = filters.get('name');
      if (names?.length && !names.some((n) => v.Name.includes(n))) return false;
      return exactMatch(filters, 'driver', 'local') && matchKVList(filters, 'label', v.Labels);
    });
    return { Volumes: out.map((v) => this.view(v)), Warnings: [] };
  }

  async create(body: VolumeCreateBody): Promise<JsonObject> {
    const name = body.Name || randomBytes(32).toString('hex');
    if (!VOLUME_NAME_RE.test(name)) throw invalidArgument(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    if (body.Driver && body.Driver !== 'local') throw notFound(`plugin "${body.Driver}" not found`);
    const existing = this.vols.get(name);
    if (existing) return this.view(existing);
    const opts = body.DriverOpts ?? {};
    for (const k of Object.keys(opts)) if (!['type', 'device', 'o', 'size'].includes(k)) throw invalidArgument(`create ${name}: invalid option key: "${k}"`);
    const meta: VolumeMeta = { Name: name, CreatedAt: nowNano(), Labels: body.Labels ?? {}, Options: opts };
    fs.mkdirSync(this.dataPath(name), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(path.join(this.root, name, 'volume.json'), meta);
    this.vols.set(name, meta);
    this.publish({ Type: 'volume', Action: 'create', Actor: { ID: name, Attributes: { driver: 'local' } } });
    return this.view(meta);
  }

  async inspect(name: string): Promise<JsonObject> {
    const v = this.vols.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return this.view(v);
  }

  async remove(name: string, force: boolean): Promise<void> {
    const v = this.vols.get(name);
    if (!v) {
      if (force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.inUse(name);
    if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.unmount(name);
    this.vols.delete(name);
    await fs.promises.rm(path.join(this.root, name), { recursive: true, force: true });
    this.publish({ Type: 'volume', Action: 'destroy', Actor: { ID: name, Attributes: { driver: 'local' } } });
  }

  async prune(filters: Filters): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const all = filters.get('all')?.[0];
    const deleted: string[] = [];
    let space = 0;
    for (const v of [...this.vols.values()]) {
      if (this.inUse(v.Name).length) continue;
      // API >= 1.42: without all=true only anonymous (64-hex named) volumes are pruned.
      if (!(all === 'true' || all === '1') && !/^[a-f0-9]{64}$/.test(v.Name)) continue;
      if (!matchKVList(filters, 'label', v.Labels)) continue;
      space += this.size(v.Name);
      await this.remove(v.Name, false);
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  /** Bytes under the volume's data (for `system df` and prune), counted as moby's directory.Size. */
  size(name: string): number {
    return treeSize(this.dataPath(name));
  }

  /** `system df` entries (every one with UsageData). */
  diskUsage(): JsonObject[] {
    return [...this.vols.values()].map((v) => ({ ...this.view(v), UsageData: { Size: this.size(v.Name), RefCount: this.inUse(v.Name).length } }));
  }

  /**
   * Makes the volume ready for a container: mounts it when it has mount options, and on the first use
   * of an empty volume copies `copyFrom` (the image's directories at the mount point, lowest first) into it.
   */
  async prepare(name: string, copyFrom: string[]): Promise<string> {
    const v = this.vols.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    const data = this.dataPath(name);
    if (v.Options.type && !this.mounted.has(name)) {
      const o = v.Options.o ?? '';
      mount(v.Options.device || v.Options.type, data, v.Options.type, 0, o || null);
      this.mounted.add(name);
    }
    if (!v.Populated) {
      if (fs.readdirSync(data).length === 0) {
        for (const src of copyFrom) {
          const r = spawnSync('cp', ['-a', `${src}/.`, data], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`copying image content into volume ${name}: ${r.stderr.trim()}`);
        }
      }
      v.Populated = true;
      await writeJsonAtomic(path.join(this.root, name, 'volume.json'), v);
    }
    return data;
  }

  private unmount(name: string): void {
    const v = this.vols.get(name);
    if (v?.Options.type) umountIfMounted(this.dataPath(name));
    this.mounted.delete(name);
  }

  /** Unmounts every mounted volume (daemon shutdown and tests). */
  close(): void {
    for (const n of [...this.mounted]) this.unmount(n);
  }
}

/**
 * moby internal/directory calcSize: the sizes of everything under `dir` except directories, each
 * inode once (hard links), entries that vanish meanwhile ignored.
 */
function treeSize(dir: string): number {
  let size = 0;
  const seen = new Set<number>();
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      if (st.size === 0 || seen.has(st.ino)) continue;
      seen.add(st.ino);
      size += st.size;
    }
  };
  walk(dir);
  return size;
}
