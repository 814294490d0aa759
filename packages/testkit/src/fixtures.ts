// fixtures(): builds the kit's images once per machine (per KIT_VERSION) under a lock, into a
// temp dir renamed into place, and loads their description from the cache afterwards.
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { debootstrapRootfs, DEBIAN_SUITE } from './debian.js';
import { buildImages, pushImages, type BuiltFixtures } from './fixture-build.js';
import {
  DEBIAN_BASE_VERSION, DEFAULT_CACHE_ROOT, KIT_VERSION,
  type Fixtures, type PushedReference,
} from './fixture-types.js';
import { entriesFromDir, writeLayer } from './layer.js';
import { sleep } from './proc.js';

/** Options of {@link fixtures}. */
export interface FixturesOptions {
  /** Cache root (default `/var/cache/tdock-kit`); the fixtures live in `<cacheRoot>/<KIT_VERSION>/`. */
  cacheRoot?: string;
  /** Called with progress lines while building (default: silent). */
  log?: (line: string) => void;
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * Runs `build` unless `done()` already holds, under an exclusive lock file (holding our pid), so
 * parallel test processes build once; a lock whose pid is dead is taken over.
 */
export async function withBuildLock(lockFile: string, done: () => boolean, build: () => Promise<void>, timeoutMs = 20 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    let fh;
    try {
      fh = await open(lockFile, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      const age = Date.now() - ((await stat(lockFile).catch(() => null))?.mtimeMs ?? Date.now());
      if ((pid && !pidAlive(pid)) || (!pid && age > 10_000)) { await unlink(lockFile).catch(() => undefined); continue; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (held by pid ${pid})`, { cause: e });
      await sleep(300);
      continue;
    }
    try {
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      if (!done()) await build();
    } finally {
      await unlink(lockFile).catch(() => undefined);
    }
  }
}

/** The cached, stripped debootstrap tree as one uncompressed layer tar (built once per machine). */
export async function debianBaseTar(cacheRoot: string, log: (l: string) => void = () => undefined): Promise<string> {
  const dir = join(cacheRoot, 'base');
  const tar = join(dir, `debian-${DEBIAN_SUITE}-minbase-${DEBIAN_BASE_VERSION}.tar`);
  await mkdir(dir, { recursive: true });
  await withBuildLock(`${tar}.lock`, () => existsSync(tar), async () => {
    const tmp = join(dir, `.tmp-debian-${process.pid}`);
    await removeStaleTemps(dir);
    await rm(tmp, { recursive: true, force: true });
    try {
      log(`debootstrap --variant=minbase ${DEBIAN_SUITE} (about a minute, once per machine)`);
      await debootstrapRootfs(join(tmp, 'rootfs'));
      await writeLayer(await entriesFromDir(join(tmp, 'rootfs')), join(tmp, 'layer.tar'), null);
      await rename(join(tmp, 'layer.tar'), tar);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
  return tar;
}

/** Removes `.tmp-*-<pid>` build dirs left by processes that died mid-build. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = /^\.tmp-.*-(\d+)$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) await rm(join(dir, name), { recursive: true, force: true });
  }
}

type StoredFixtures = BuiltFixtures & { version: string; dir: string; registryStorage: string; pushed: PushedReference[] };

function withRefIn<T extends { reference: string }>(o: T): T & { refIn(host: string): string } {
  return { ...o, refIn: (host: string) => refIn(host, o.reference) };
}

function hydrate(s: StoredFixtures): Fixtures {
  const malicious = Object.fromEntries(Object.entries(s.malicious).map(([k, v]) => [k, withRefIn(v)])) as Fixtures['malicious'];
  return {
    version: s.version, dir: s.dir, registryStorage: s.registryStorage, pushed: s.pushed,
    busybox: withRefIn(s.busybox), debian: withRefIn(s.debian), multilayer: withRefIn(s.multilayer),
    index: withRefIn(s.index), malicious,
  };
}

/**
 * Returns the kit's fixtures, building them first if this machine's cache lacks them (about a
 * minute and a half the first time, mostly debootstrap; milliseconds afterwards).
 */
export async function fixtures(opts: FixturesOptions = {}): Promise<Fixtures> {
  const cacheRoot = opts.cacheRoot ?? DEFAULT_CACHE_ROOT;
  const log = opts.log ?? (() => undefined);
  const final = join(cacheRoot, KIT_VERSION);
  const metaFile = join(final, 'fixtures.json');
  if (!existsSync(metaFile)) {
    await mkdir(cacheRoot, { recursive: true });
    const debianTar = await debianBaseTar(cacheRoot, log);
    await withBuildLock(join(cacheRoot, `${KIT_VERSION}.lock`), () => existsSync(metaFile), async () => {
      const tmp = join(cacheRoot, `.tmp-${KIT_VERSION}-${process.pid}`);
      await removeStaleTemps(cacheRoot);
      await rm(tmp, { recursive: true, force: true });
      try {
        log(`building fixtures in ${tmp}`);
        await mkdir(join(tmp, 'scratch'), { recursive: true });
        const built = await buildImages(tmp, debianTar);
        log('pushing fixtures into the registry storage');
        const pushed = await pushImages(built, join(tmp, 'registry'), join(tmp, 'scratch'));
        await rm(join(tmp, 'scratch'), { recursive: true, force: true });
        const stored: StoredFixtures = { ...built, version: KIT_VERSION, dir: tmp, registryStorage: join(tmp, 'registry'), pushed };
        await writeFile(join(tmp, 'fixtures.json'), JSON.stringify(stored, null, 1).split(tmp).join(final));
        await rm(final, { recursive: true, force: true });
        await rename(tmp, final);
        log(`fixtures ready in ${final}`);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }
  return hydrate(JSON.parse(await readFile(metaFile, 'utf8')) as StoredFixtures);
}

/** The registry storage root holding every fixture (builds the fixtures if needed). */
export async function fixtureStorage(cacheRoot?: string): Promise<string> {
  return (await fixtures(cacheRoot ? { cacheRoot } : {})).registryStorage;
}

/** `host/reference`, e.g. `refIn('127.0.0.1:5000', 'kit/busybox:latest')` → `127.0.0.1:5000/kit/busybox:latest`. */
export function refIn(host: string, reference: string): string {
  return `${host}/${reference}`;
}
