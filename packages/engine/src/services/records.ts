// Container records: what tdockd knows about each container, persisted under
// `<dataRoot>/containers/<id>/config.v2.json` with atomic durable writes (DESIGN §3), plus the
// in-memory indexes (names, ID prefixes) for lookups.
import fs from 'node:fs';
import path from 'node:path';
import { conflict, invalidArgument, notFound } from '@tdock/core';
import type { ContainerConfig, HostConfig, EndpointSettings } from '../api/types.js';
import { writeJsonAtomic } from '../store/atomic.js';
import type { Mount } from '../store/snapshots.js';
import { NAME_RE, randomName } from './names.js';

/** Docker's `State` (times RFC 3339 nano; zero time `0001-01-01T00:00:00Z`). */
export interface ContainerState {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> };
}

/** A mount point as inspect shows it (`Mounts[]`). */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** One container, as persisted. Docker wire names: this is the inspect document's source. */
export interface ContainerRecord {
  Id: string;
  /** With the leading slash. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  /** The merged Config (image defaults applied); `Image` is the reference the user gave. */
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** `sha256:<hex>` of the image. */
  Image: string;
  State: ContainerState;
  RestartCount: number;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  Mounts: MountPoint[];
  /** Create-time endpoints by network name. */
  Networks: Record<string, EndpointSettings>;
  /** The rootfs snapshot (prepared at create). */
  Rootfs: Mount;
  /** Anonymous volumes by container path (removed with `rm -v` / AutoRemove). */
  AnonymousVolumes: string[];
  /** Set by an explicit stop: restart policies do not restart it (unless-stopped). */
  HasBeenManuallyStopped: boolean;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 with nanoseconds from the clock (ms) padded, as Go prints time.Time. */
export function nowNano(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_m, f: string) => `.${f}000000Z`);
}

/** The persisted container records and their indexes. Single owner: the container service. */
export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly names = new Map<string, string>();
  /** Per-record write chains, so saves land on disk in the order they were made. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(readonly root: string) {}

  /** Loads every record (a directory without a readable record is skipped and reported). */
  load(warn: (msg: string) => void): void {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o710 });
    for (const id of fs.readdirSync(this.root)) {
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(this.root, id, 'config.v2.json'), 'utf8')) as ContainerRecord;
        this.byId.set(rec.Id, rec);
        this.names.set(rec.Name, rec.Id);
      } catch (err) {
        warn(`skipping container directory ${id}: ${(err as Error).message}`);
      }
    }
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Finds by full ID, name (with or without `/`), or unique ID prefix; Docker's messages. */
  get(ref: string): ContainerRecord {
    const r = this.tryGet(ref);
    if (!r) throw notFound(`No such container: ${ref}`);
    return r;
  }

  tryGet(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const full = this.byId.get(ref);
    if (full) return full;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const hits = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (hits.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return hits.length === 1 ? this.byId.get(hits[0]) : undefined;
  }

  /** Reserves a name (given, or a random one); 409 with Docker's message when taken. */
  reserveName(id: string, requested: string | undefined): string {
    if (requested) {
      if (!NAME_RE.test(requested)) throw invalidArgument(`Invalid container name (${requested}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      const name = requested.startsWith('/') ? requested : `/${requested}`;
      const owner = this.names.get(name);
      if (owner && owner !== id) {
        throw conflict(`Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      this.names.set(name, id);
      return name;
    }
    for (let retry = 0; ; retry++) {
      const name = `/${randomName(retry)}`;
      if (!this.names.has(name)) {
        this.names.set(name, id);
        return name;
      }
    }
  }

  releaseName(name: string): void {
    this.names.delete(name);
  }

  /** Persists and indexes a record (atomic, durable). */
  async save(rec: ContainerRecord): Promise<void> {
    this.byId.set(rec.Id, rec);
    this.names.set(rec.Name, rec.Id);
    const text = JSON.parse(JSON.stringify(rec)) as ContainerRecord;
    const prev = this.writes.get(rec.Id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => (this.byId.has(rec.Id) ? writeJsonAtomic(path.join(this.dir(rec.Id), 'config.v2.json'), text) : undefined));
    this.writes.set(rec.Id, next);
    try {
      await next;
    } finally {
      if (this.writes.get(rec.Id) === next) this.writes.delete(rec.Id);
    }
  }

  /** Forgets a record and removes its directory. */
  async remove(rec: ContainerRecord): Promise<void> {
    this.byId.delete(rec.Id);
    if (this.names.get(rec.Name) === rec.Id) this.names.delete(rec.Name);
    await this.writes.get(rec.Id)?.catch(() => undefined);
    await fs.promises.rm(this.dir(rec.Id), { recursive: true, force: true });
  }
}
