// Shared set-up for build tests: an image store, a runtime and the build service over temporary roots, the kit's
// busybox in a loopback registry, and helpers to send a context and read the result.
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { ImageConfig } from '@tdock/core';
import { Runtime, loadDockerDefaultProfile } from '@tdock/runtime';
import { fixtures, startRegistry, tempRoots, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import type { BuildService, ProgressSink } from '../../src/api/services.js';
import { createBuildService, type KeptBuildContainer } from '../../src/build/index.js';
import { imageService } from '../../src/services/images.js';
import { ImageStore } from '../../src/store/image-store.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { buildTar, type TarWriteHeader } from '../../src/store/tar-writer.js';

export interface BuildEnv {
  roots: TempRoots;
  reg: RegistryHandle;
  store: ImageStore;
  runtime: Runtime;
  svc: BuildService;
  busybox: string;
  /** The RUN containers the service kept (`rm=false`, failing steps without `forcerm`), in order. */
  kept: KeptBuildContainer[];
  /** Opens a second service over the same data root (a daemon restart). */
  reopen(): Promise<BuildService>;
  cleanup(): Promise<void>;
}

export async function buildEnv(): Promise<BuildEnv> {
  const roots = await tempRoots();
  const reg = await startRegistry();
  const busybox = (await fixtures()).busybox.refIn(reg.host);
  const store = await ImageStore.open({ dataRoot: roots.dataRoot, fsOps: sysFsOps() });
  const runtime = new Runtime({ stateRoot: join(roots.dataRoot, 'runtime'), socketDir: roots.execRoot });
  const images = imageService({ store, publish: () => undefined, registry: { insecureRegistries: [reg.host] } });
  const kept: KeptBuildContainer[] = [];
  const make = (): BuildService => createBuildService({
    store, runtime, images, mounts: sysMountOps(), seccompProfile: loadDockerDefaultProfile(), keepContainer: async (k) => void kept.push(k),
  });
  return {
    roots, reg, store, runtime, busybox, svc: make(), kept,
    reopen: async () => make(),
    cleanup: async () => {
      runtime.close();
      await reg.stop();
      await roots.cleanup();
    },
  };
}

export type ContextFile = string | { data?: string; mode?: number; type?: 'file' | 'dir' | 'symlink'; linkname?: string; mtime?: number };

/** A context tar (gzip when asked), entries in the given order. */
export function contextTar(files: Record<string, ContextFile>, gzip = false): Buffer {
  const entries: Array<TarWriteHeader & { data?: Uint8Array }> = Object.entries(files).map(([name, f]) => {
    const o = typeof f === 'string' ? { data: f } : f;
    const type = o.type ?? 'file';
    return {
      name, type, mode: o.mode ?? (type === 'dir' ? 0o755 : 0o644), uid: 0, gid: 0, size: 0, mtime: o.mtime ?? 1_600_000_000,
      ...(o.linkname ? { linkname: o.linkname } : {}), ...(type === 'file' ? { data: Buffer.from(o.data ?? '') } : {}),
    };
  });
  const tar = buildTar(entries);
  return gzip ? gzipSync(tar) : tar;
}

export interface BuildOutcome {
  messages: Array<Record<string, unknown>>;
  /** Every `stream` text joined. */
  text: string;
  id?: string;
  error?: Error & { exitCode?: number; kind?: string };
}

/** Runs a build and collects what the client would see (errors are returned, not thrown). */
export async function runBuild(svc: BuildService, files: Record<string, ContextFile>, query: Record<string, string | string[]> = {}, opts: { gzip?: boolean; signal?: AbortSignal } = {}): Promise<BuildOutcome> {
  const messages: Array<Record<string, unknown>> = [];
  const progress: ProgressSink = {
    status: (status, id) => void messages.push({ status, id }),
    progress: (id, status) => void messages.push({ status, id }),
    stream: (stream) => void messages.push({ stream }),
    aux: (aux) => void messages.push({ aux }),
  };
  const out: BuildOutcome = { messages, text: '' };
  try {
    await svc.build({ context: Readable.from([contextTar(files, opts.gzip)]), query, progress, signal: opts.signal ?? new AbortController().signal });
  } catch (err) {
    out.error = err as BuildOutcome['error'];
  }
  out.text = messages.filter((m) => typeof m.stream === 'string').map((m) => m.stream as string).join('');
  const aux = messages.find((m) => m.aux) as { aux: { ID: string } } | undefined;
  if (aux) out.id = aux.aux.ID;
  return out;
}

/** Reads a path of an image from its snapshots (top layer first; these tests delete nothing across layers). */
export async function imageFile(store: ImageStore, id: string, path: string): Promise<{ abs: string; data?: string; link?: string; uid: number; gid: number; mode: number } | undefined> {
  const rec = store.resolve(id);
  const top = store.topChain(rec);
  if (!top) return undefined;
  for (const dir of await store.snapshots.lowers(top)) {
    const abs = join(dir, path);
    if (!existsSync(abs) && !lstatSync(abs, { throwIfNoEntry: false })) continue;
    const st = lstatSync(abs);
    return {
      abs, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777,
      ...(st.isFile() ? { data: readFileSync(abs, 'utf8') } : {}), ...(st.isSymbolicLink() ? { link: readlinkSync(abs) } : {}),
    };
  }
  return undefined;
}

export async function imageConfig(store: ImageStore, id: string): Promise<ImageConfig> {
  return store.config(store.resolve(id).id);
}
