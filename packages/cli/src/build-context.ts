import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { compileDockerignore } from '@tdock/core';
import { ProgressRenderer, StreamError, followProgress } from './progress.js';

export interface BuildRequest {
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  network?: string;
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  platform?: string;
  /** `--cache-from` images. */
  cacheFrom?: string[];
  /** `--rm` (default true) and `--force-rm`. */
  rm?: boolean;
  forceRm?: boolean;
  /** `--memory`, `--cpu-shares`, `--add-host`... as the API's query parameters (memory, cpushares, extrahosts...). */
  resources?: Record<string, string | number | string[]>;
}

/**
 * Packs a build context as the docker CLI does: `.dockerignore` applied (the Dockerfile and
 * .dockerignore always kept), a Dockerfile outside the context added under a random name; never
 * follows a symlink out of the context (symlinks are packed as symlinks).
 */
export async function packContext(dir: string, dockerfile: string): Promise<{ tar: NodeJS.ReadableStream; dockerfileName: string }> {
  const { default: tarFs } = await import('tar-fs');
  const root = path.resolve(dir);
  const ignorePath = path.join(root, '.dockerignore');
  const matcher = compileDockerignore(fs.existsSync(ignorePath) ? fs.readFileSync(ignorePath, 'utf8') : '');
  const dfPath = path.resolve(root, dockerfile);
  const inside = dfPath.startsWith(root + path.sep);
  const dockerfileName = inside ? path.relative(root, dfPath).split(path.sep).join('/') : `.dockerfile.${Math.random().toString(16).slice(2, 14)}`;
  const keep = new Set([dockerfileName, '.dockerignore']);
  const tar = tarFs.pack(root, {
    dereference: false,
    ignore: (name: string) => {
      const rel = path.relative(root, name).split(path.sep).join('/');
      if (rel === '' || keep.has(rel) || !matcher.matches(rel)) return false;
      // An excluded directory is still walked when an exception (`!dir/keep`) starts inside it.
      return !(fs.lstatSync(name).isDirectory() && !matcher.canSkipExcludedDir(rel));
    },
    finalize: inside,
    finish: inside
      ? undefined
      : (pack: { entry(h: object, b: Buffer): void; finalize(): void }) => {
          pack.entry({ name: dockerfileName, mode: 0o644 }, fs.readFileSync(dfPath));
          pack.finalize();
        },
  } as never);
  return { tar: tar as unknown as NodeJS.ReadableStream, dockerfileName };
}

/** POST /build with the packed context; streams the build output to `write`; resolves with the image ID. */
export async function buildImage(docker: Dockerode, req: BuildRequest, write: (text: string) => void): Promise<string | undefined> {
  const { tar, dockerfileName } = await packContext(req.context, req.dockerfile);
  const stream = (await docker.buildImage(tar, {
    t: req.tags, dockerfile: dockerfileName, buildargs: req.buildArgs ?? {}, labels: req.labels ?? {}, nocache: !!req.noCache, pull: req.pull ? '1' : '',
    q: !!req.quiet, version: '1', ...(req.target ? { target: req.target } : {}), ...(req.network ? { networkmode: req.network } : {}), ...(req.platform ? { platform: req.platform } : {}),
    ...(req.cacheFrom?.length ? { cachefrom: JSON.stringify(req.cacheFrom) } : {}), ...(req.rm === false ? { rm: false } : {}), ...(req.forceRm ? { forcerm: true } : {}),
    ...(req.resources ?? {}),
  } as never)) as unknown as NodeJS.ReadableStream;
  const sink = { write: (chunk: string) => (write(chunk), true) } as unknown as NodeJS.WritableStream;
  try {
    const aux = await followProgress(stream, new ProgressRenderer(sink, false));
    const id = aux.find((a) => typeof a.ID === 'string')?.ID as string | undefined;
    return id;
  } catch (err) {
    if (err instanceof StreamError) throw err;
    throw err;
  }
}
