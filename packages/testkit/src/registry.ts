// A real registry (Debian's docker-registry, distribution 2.8) on a free loopback port, in three
// variants: plain HTTP, htpasswd basic auth, TLS with a CA made for the occasion.
import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates } from './certs.js';
import { fixtureStorage } from './fixtures.js';
import { waitForHttp } from './http.js';
import { freePort, onProcessExit, rmSyncQuiet, run, spawnOwned, stopChild, TailBuffer } from './proc.js';

/** Path of Debian's registry binary. */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** User name of the basic-auth variant. */
export const REGISTRY_USERNAME = 'tdock';
/** Password of the basic-auth variant. */
export const REGISTRY_PASSWORD = 'tdock-secret-pw';

/** Options of {@link startRegistry}. */
export interface RegistryOptions {
  /** 'basic': require htpasswd basic auth ({@link REGISTRY_USERNAME} / {@link REGISTRY_PASSWORD}). */
  auth?: 'basic';
  /** Serve HTTPS with a certificate from a CA generated for this registry (see `caFile`). */
  tls?: true;
  /** Start with an empty storage instead of the fixtures (for push tests). */
  empty?: boolean;
}

/** A running registry. */
export interface RegistryHandle {
  /** `127.0.0.1:PORT` — prefix of references into this registry. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  url: string;
  /** Set with `auth: 'basic'`. */
  username?: string;
  /** Set with `auth: 'basic'`. */
  password?: string;
  /** Set with `tls: true`: the PEM file of the CA that signed the server certificate. */
  caFile?: string;
  /** Set with `tls: true`: the CA certificate as PEM text. */
  caPem?: string;
  /** The registry's own storage root (a private copy; safe to modify). */
  storageDir: string;
  /** Kills the registry and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Internal options: where the storage comes from. */
export interface LaunchOptions extends Omit<RegistryOptions, 'empty'> {
  /** Serve this storage root in place (no copy) — used to populate the cache. */
  storageInPlace?: string;
  /** Copy this storage root (hardlinked blobs, copied repositories) into a private dir. */
  seedFrom?: string;
}

/**
 * Makes `dest` a private copy of the registry storage `seed`: blobs are hardlinked (distribution
 * never rewrites a blob in place; new blobs are new files), `repositories/` is copied because its
 * link files are rewritten.
 */
export async function seedStorage(seed: string, dest: string): Promise<void> {
  const v2 = join(dest, 'docker/registry/v2');
  await mkdir(v2, { recursive: true });
  const src = join(seed, 'docker/registry/v2');
  if (existsSync(join(src, 'blobs'))) {
    // Hardlinks need one filesystem; where /tmp is elsewhere (tmpfs), fall back to a copy.
    const linked = await run('cp', ['-al', join(src, 'blobs'), join(v2, 'blobs')], { allowFail: true });
    if (linked.code !== 0) {
      await rm(join(v2, 'blobs'), { recursive: true, force: true });
      await run('cp', ['-a', '--reflink=auto', join(src, 'blobs'), join(v2, 'blobs')]);
    }
  }
  if (existsSync(join(src, 'repositories'))) await run('cp', ['-a', join(src, 'repositories'), join(v2, 'repositories')]);
}

function registryConfig(storage: string, port: number, extra: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storage)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: tdock-testkit',
    extra,
  ].join('\n') + '\n';
}

/** Starts a registry process; the storage is described by `opts` (see {@link LaunchOptions}). */
export async function launchRegistry(opts: LaunchOptions = {}): Promise<RegistryHandle> {
  if (!existsSync(REGISTRY_BINARY)) throw new Error(`${REGISTRY_BINARY} is missing: apt-get install docker-registry`);
  const dir = await mkdtemp(join(tmpdir(), 'tdk-reg-'));
  const unregisterDir = onProcessExit(() => rmSyncQuiet(dir));
  try {
    const storageDir = opts.storageInPlace ?? join(dir, 'storage');
    if (!opts.storageInPlace) {
      if (opts.seedFrom) await seedStorage(opts.seedFrom, storageDir);
      else await mkdir(storageDir, { recursive: true });
    }
    let extra = '';
    const result: Partial<RegistryHandle> = {};
    if (opts.tls) {
      const certs = await makeTestCertificates(dir);
      extra += `  tls:\n    certificate: ${JSON.stringify(certs.certFile)}\n    key: ${JSON.stringify(certs.keyFile)}\n`;
      result.caFile = certs.caFile;
      result.caPem = certs.caPem;
    }
    if (opts.auth === 'basic') {
      const htpasswd = join(dir, 'htpasswd');
      const { stdout } = await run('htpasswd', ['-Bbn', REGISTRY_USERNAME, REGISTRY_PASSWORD]);
      await writeFile(htpasswd, stdout.trim() + '\n');
      extra += `auth:\n  htpasswd:\n    realm: tdock-testkit\n    path: ${JSON.stringify(htpasswd)}\n`;
      result.username = REGISTRY_USERNAME;
      result.password = REGISTRY_PASSWORD;
    }
    // A port can be taken between freePort() and the registry's bind: retry a few times.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      await writeFile(config, registryConfig(storageDir, port, extra));
      const started = await spawnRegistry(config, port, opts.tls === true, result.caPem);
      if ('error' in started) {
        if (attempt < 3 && /address already in use/i.test(started.error)) continue;
        throw new Error(`docker-registry did not start: ${started.error}`);
      }
      const { child, unregister } = started;
      const host = `127.0.0.1:${port}`;
      let stopped = false;
      return {
        ...result,
        host,
        url: `${opts.tls ? 'https' : 'http'}://${host}`,
        storageDir,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopChild(child, 'SIGTERM', 3000);
          unregister();
          await rm(dir, { recursive: true, force: true });
          unregisterDir();
        },
      };
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    unregisterDir();
    throw e;
  }
}

async function spawnRegistry(config: string, port: number, tls: boolean, ca: string | undefined):
  Promise<{ child: ChildProcess; unregister: () => void } | { error: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const { child, unregister } = spawnOwned(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const tail = new TailBuffer();
  child.stdout?.on('data', (b: Buffer) => tail.push(b));
  child.stderr?.on('data', (b: Buffer) => tail.push(b));
  try {
    await waitForHttp(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/v2/`, {
      ca, deadlineMs: 20_000, okStatuses: [200, 401],
      check: () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}): ${tail.toString()}`);
      },
    });
    return { child, unregister };
  } catch (e) {
    await stopChild(child, 'SIGKILL');
    unregister();
    return { error: `${e instanceof Error ? e.message : String(e)}\n${tail.toString()}` };
  }
}

/**
 * Starts a registry on a free loopback port. Unless `empty`, it holds the kit's fixtures (see
 * `fixtures()`) in a private copy of the cached storage. Wait is over when `/v2/` answers.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryHandle> {
  const { empty, ...rest } = opts;
  return launchRegistry({ ...rest, ...(empty ? {} : { seedFrom: await fixtureStorage() }) });
}
