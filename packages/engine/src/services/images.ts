// The image service: the HTTP layer's ImageService over the image store and the registry client
// (pull and push with Docker's progress words, list, inspect, history, tag, rmi, prune, save, load, import).
import { Readable } from 'node:stream';
import { familiarString, notImplemented, parseDockerRef, parseNormalizedNamed, referenceString, tagNameOnly, withTag } from '@tdock/core';
import { RegistryClient, registryHost, staticCredentials, type Credentials } from '@tdock/registry-client';
import type { EventInput } from '../api/events-hub.js';
import type { Filters } from '../api/query.js';
import type { ImageService, ProgressSink } from '../api/services.js';
import type { AuthConfig, JsonObject } from '../api/types.js';
import type { ImageStore } from '../store/image-store.js';
import type { ImageFilters } from '../store/image-views.js';

/** Options the registry client gets (insecure registries, mirrors...). */
export interface ImageServiceOptions {
  store: ImageStore;
  publish: (e: EventInput) => void;
  registry?: { insecureRegistries?: string[]; mirrors?: string[]; certsDir?: string };
}

function credentialsOf(auth: AuthConfig | undefined): Credentials | undefined {
  if (!auth) return undefined;
  let { username, password } = auth;
  if (!username && auth.auth) {
    const dec = Buffer.from(auth.auth, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i > 0) [username, password] = [dec.slice(0, i), dec.slice(i + 1)];
  }
  const c: Credentials = {
    ...(username ? { username } : {}), ...(password ? { password } : {}),
    ...(auth.identitytoken ? { identityToken: auth.identitytoken } : {}), ...(auth.registrytoken ? { registryToken: auth.registrytoken } : {}),
  };
  return Object.keys(c).length ? c : undefined;
}

function toFilters(f: Filters): ImageFilters {
  return f;
}

async function* chunks(r: Readable): AsyncGenerator<Buffer> {
  for await (const c of r) yield Buffer.isBuffer(c) ? c : Buffer.from(c as string);
}

export class Images implements ImageService {
  constructor(private readonly o: ImageServiceOptions) {}

  private client(auth: AuthConfig | undefined, host: string): RegistryClient {
    const creds = credentialsOf(auth);
    const r = this.o.registry ?? {};
    return new RegistryClient({
      ...(creds ? { credentials: staticCredentials({ [host]: creds }) } : {}),
      ...(r.insecureRegistries ? { insecureRegistries: r.insecureRegistries } : {}),
      ...(r.mirrors ? { mirrors: r.mirrors } : {}),
      ...(r.certsDir ? { certsDir: r.certsDir } : {}),
    });
  }

  private event(action: string, id: string, name: string): void {
    this.o.publish({ Type: 'image', Action: action, Actor: { ID: id, Attributes: { name } } });
  }

  async list(opts: { all: boolean; digests: boolean; sharedSize: boolean; manifests: boolean; filters: Filters }): Promise<JsonObject[]> {
    return (await this.o.store.list(toFilters(opts.filters))) as unknown as JsonObject[];
  }

  async inspect(name: string): Promise<JsonObject> {
    return (await this.o.store.inspect(name)) as unknown as JsonObject;
  }

  async history(name: string): Promise<JsonObject[]> {
    return (await this.o.store.history(name)) as unknown as JsonObject[];
  }

  async tag(name: string, repo: string, tag: string): Promise<void> {
    await this.o.store.tag(name, repo, tag);
    const rec = this.o.store.resolve(name);
    this.event('tag', rec.id, familiarString(withTag(parseNormalizedNamed(repo), tag || 'latest')));
  }

  async remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<Array<{ Untagged?: string; Deleted?: string }>> {
    const out = await this.o.store.remove(name, opts);
    for (const r of out) {
      if (r.Untagged) this.event('untag', r.Untagged, r.Untagged);
      if (r.Deleted) this.event('delete', r.Deleted, r.Deleted);
    }
    return out;
  }

  async pull(opts: { fromImage: string; tag: string; platform?: string; auth?: AuthConfig; progress: ProgressSink; signal: AbortSignal }): Promise<void> {
    const src = opts.tag && !opts.fromImage.includes('@') ? `${opts.fromImage}${/^(sha256):/.test(opts.tag) ? '@' : ':'}${opts.tag}` : opts.fromImage;
    const ref = tagNameOnly(parseNormalizedNamed(src));
    const familiar = familiarString(ref);
    const p = opts.progress;
    p.status(`Pulling from ${familiarString({ ...ref, tag: undefined, digest: undefined } as typeof ref)}`, ref.tag ?? ref.digest ?? 'latest');
    const client = this.client(opts.auth, registryHost(ref.domain));
    try {
      const image = await client.getImage(referenceString(ref), { ...(opts.platform ? { platform: opts.platform } : {}), signal: opts.signal });
      const res = await this.o.store.pull(image, {
        signal: opts.signal,
        onProgress: (e) => p.progress(e.id, e.status, e.current, e.total),
      });
      p.status(`Digest: ${res.digest}`);
      p.status(res.upToDate ? `Status: Image is up to date for ${familiar}` : `Status: Downloaded newer image for ${familiar}`);
      this.event('pull', familiar, familiar);
    } finally {
      await client.close();
    }
  }

  async import(opts: { source: Readable | string; repo?: string; tag?: string; message?: string; changes: string[]; platform?: string; progress: ProgressSink; signal: AbortSignal }): Promise<void> {
    if (typeof opts.source === 'string') throw notImplemented('importing from a URL is not supported');
    const reference = opts.repo ? referenceString(withTag(parseNormalizedNamed(opts.repo), opts.tag || 'latest')) : undefined;
    const res = await this.o.store.import(chunks(opts.source), { ...(reference ? { reference } : {}), ...(opts.message ? { message: opts.message } : {}), signal: opts.signal });
    opts.progress.status(res.id);
    this.event('import', res.id, reference ?? res.id);
  }

  async push(opts: { name: string; tag?: string; auth?: AuthConfig; progress: ProgressSink; signal: AbortSignal }): Promise<void> {
    const ref = opts.tag ? withTag(parseNormalizedNamed(opts.name), opts.tag) : tagNameOnly(parseNormalizedNamed(opts.name));
    const target = referenceString(ref);
    const img = await this.o.store.pushable(target);
    const p = opts.progress;
    p.status(`The push refers to repository [${referenceString({ ...ref, tag: undefined, digest: undefined } as typeof ref)}]`);
    const client = this.client(opts.auth, registryHost(ref.domain));
    try {
      const res = await client.pushImage(img, target, { signal: opts.signal, onProgress: (e) => p.progress(e.id, e.status, e.current, e.total) });
      const size = img.manifestBytes.length;
      p.status(`${ref.tag ?? 'latest'}: digest: ${res.digest} size: ${size}`);
      p.aux({ Tag: ref.tag ?? 'latest', Digest: res.digest, Size: size });
      this.event('push', target, target);
    } finally {
      await client.close();
    }
  }

  async export(names: string[]): Promise<Readable> {
    return this.o.store.save(names);
  }

  async load(opts: { tar: Readable; quiet: boolean; progress: ProgressSink; signal: AbortSignal }): Promise<void> {
    const loaded = await this.o.store.load(chunks(opts.tar), { signal: opts.signal, onLine: (line) => opts.progress.stream(`${line}\n`) });
    for (const l of loaded) this.event('load', l.id, l.tags[0] ?? l.id);
  }

  async prune(filters: Filters): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }>; SpaceReclaimed: number }> {
    return this.o.store.prune(toFilters(filters));
  }

  async distribution(name: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<JsonObject> {
    const ref = parseDockerRef(name);
    const client = this.client(auth, registryHost(ref.domain));
    try {
      const desc = await client.resolve(referenceString(ref), { signal });
      return { Descriptor: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, Platforms: [{ architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux' }] };
    } finally {
      await client.close();
    }
  }
}
