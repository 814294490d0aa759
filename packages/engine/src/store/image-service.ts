// The Engine API's ImageService (api/services.ts) over the image store and registry-client: the
// composition root passes this to buildApp. Docker's progress wording is produced here.
import { TdockError, familiarString, notImplemented, parseNormalizedNamed, referenceName, tagNameOnly, withDigest, withTag, type Reference } from '@tdock/core';
import type { RegistryClient } from '@tdock/registry-client';
import type { ImageService } from '../api/services.js';
import type { AuthConfig, JsonObject } from '../api/types.js';
import { applyChanges } from './changes.js';
import type { ImageStore } from './image-store.js';

/** A registry client for one request (its credentials); `release` when done. */
export interface RegistryLease {
  client: RegistryClient;
  release(): void | Promise<void>;
}

/** What the image service needs. */
export interface ImageServiceDeps {
  store: ImageStore;
  /** A client carrying the request's credentials (or the daemon's defaults when `auth` is undefined). */
  registry: (auth: AuthConfig | undefined) => RegistryLease;
  /** How many containers use an image (for `Containers` in listings). */
  containerCount?: (imageId: string) => number;
}

const json = <T>(v: T): JsonObject => v as unknown as JsonObject;

/** `fromImage` + `tag` as Docker's API combines them (an empty tag means latest here, not "all tags"). */
export function pullReference(fromImage: string, tag: string | undefined): Reference {
  const ref = parseNormalizedNamed(fromImage);
  if (!tag) return tagNameOnly(ref);
  return /^[a-z0-9]+:[a-f0-9]{32,}$/.test(tag) ? withDigest(ref, tag) : withTag(ref, tag);
}

/** Docker's path shown in "Pulling from": `library/debian`, `kit/busybox`. */
function remoteName(ref: Reference): string {
  return ref.path;
}

export function createImageService(deps: ImageServiceDeps): ImageService {
  const { store } = deps;
  const withClient = async <T>(auth: AuthConfig | undefined, fn: (c: RegistryClient) => Promise<T>): Promise<T> => {
    const lease = deps.registry(auth);
    try {
      return await fn(lease.client);
    } finally {
      await lease.release();
    }
  };
  return {
    async list({ filters, sharedSize, all }) {
      const images = sharedSize ? (await store.diskUsage(deps.containerCount)).Images : await listWithCounts();
      return images.map(json);
      async function listWithCounts() {
        const out = await store.list(filters, all);
        if (deps.containerCount) for (const i of out) i.Containers = deps.containerCount(i.Id);
        return out;
      }
    },
    async inspect(name) {
      return json(await store.inspect(name));
    },
    async history(name) {
      return (await store.history(name)).map(json);
    },
    async tag(name, repo, tag) {
      await store.tag(name, repo, tag || undefined);
    },
    async remove(name, opts) {
      return store.remove(name, opts);
    },
    async pull({ fromImage, tag, platform, auth, progress, signal }) {
      const ref = pullReference(fromImage, tag);
      const r = await withClient(auth, async (client) => {
        const image = await client.getImage(ref, { signal, ...(platform ? { platform } : {}) }).catch((err: unknown) => {
          // dockerd answers a refused pull with 500 (errdefs.Unknown), never 401: on a 401 the docker
          // CLI would start its "Login prior to pull" prompt.
          if (err instanceof TdockError && (err.kind === 'unauthorized' || err.kind === 'forbidden')) throw new TdockError('internal', err.message, { cause: err });
          throw err;
        });
        // As moby, only once the manifest is in: an unknown image or refused credentials before it
        // are a plain HTTP error ("Error response from daemon: ..."), not a line in the stream.
        progress.status(`Pulling from ${remoteName(ref)}`, ref.digest ?? ref.tag ?? 'latest');
        return store.pull(image, { signal, onProgress: (e) => progress.progress(e.id, e.status, e.current, e.total) });
      });
      progress.status(`Digest: ${r.digest}`);
      progress.status(`Status: ${r.upToDate ? 'Image is up to date for' : 'Downloaded newer image for'} ${familiarString(ref)}`);
    },
    async import({ source, repo, tag, message, changes, platform, progress, signal }) {
      if (typeof source === 'string') throw notImplemented('importing from a URL is not supported; send the tar as the request body');
      const p = platform ? parsePlatform(platform) : undefined;
      const { id } = await store.import(source as AsyncIterable<Buffer>, {
        ...(repo ? { reference: tag ? `${repo}:${tag}` : repo } : {}), ...(message ? { message } : {}), ...(p ? { platform: p } : {}), signal,
        ...(changes.length ? { config: applyChanges({}, changes) } : {}),
      });
      progress.status(id);
    },
    async push({ name, tag, auth, progress, signal }) {
      const ref = tag ? withTag(parseNormalizedNamed(name), tag) : tagNameOnly(parseNormalizedNamed(name));
      const image = await store.pushable(familiarString(ref));
      progress.status(`The push refers to repository [${referenceName(ref)}]`);
      const r = await withClient(auth, (client) => client.pushImage({ ...image, reference: image.reference ?? ref }, ref, {
        signal, onProgress: (p) => progress.progress(p.id, p.status, p.current, p.total),
      }));
      progress.status(`${ref.tag ?? 'latest'}: digest: ${r.digest} size: ${image.manifestBytes.byteLength}`);
      progress.aux({ Tag: ref.tag ?? 'latest', Digest: r.digest, Size: image.manifestBytes.byteLength });
    },
    async export(names) {
      return store.save(names);
    },
    async load({ tar, progress, signal }) {
      await store.load(tar as AsyncIterable<Buffer>, { signal, onLine: (l) => progress.stream(`${l}\n`) });
    },
    async prune(filters) {
      return store.prune(filters);
    },
    async distribution(name, auth, signal) {
      const ref = tagNameOnly(parseNormalizedNamed(name));
      const m = await withClient(auth, (client) => client.getManifest(ref, { signal }));
      const platforms = m.index ? m.index.manifests.flatMap((d) => (d.platform ? [d.platform] : [])) : [];
      if (!m.index && m.manifest) {
        const cfg = await withClient(auth, async (client) => {
          const parts: Buffer[] = [];
          for await (const c of await client.openBlob(ref, m.manifest!.config, { signal })) parts.push(c as Buffer);
          return JSON.parse(Buffer.concat(parts).toString('utf8')) as { architecture?: string; os?: string; variant?: string };
        });
        platforms.push({ architecture: cfg.architecture ?? '', os: cfg.os ?? '', ...(cfg.variant ? { variant: cfg.variant } : {}) });
      }
      return json({ Descriptor: { mediaType: m.mediaType, digest: m.digest, size: m.size }, Platforms: platforms });
    },
  };
}

function parsePlatform(s: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new TdockError('invalid-argument', `invalid platform: ${s}`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}
