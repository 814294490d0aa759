// The image service: the store's `createImageService` (pull, push, list, inspect, history, tag, rmi,
// prune, save, load, import, distribution) with a registry client per request, plus Docker's image events.
import { familiarString, parseNormalizedNamed, withTag } from '@tdock/core';
import { RegistryClient, type Credentials } from '@tdock/registry-client';
import type { EventInput } from '../api/events-hub.js';
import type { ImageService } from '../api/services.js';
import type { AuthConfig } from '../api/types.js';
import type { ImageStore } from '../store/image-store.js';
import { createImageService, pullReference } from '../store/image-service.js';

/** Options the registry client gets (insecure registries, mirrors...). */
export interface ImageServiceOptions {
  store: ImageStore;
  publish: (e: EventInput) => void;
  containerCount?: (imageId: string) => number;
  registry?: { insecureRegistries?: string[]; mirrors?: string[]; certsDir?: string };
}

/** Credentials from an `X-Registry-Auth` AuthConfig (username/password, `auth`, tokens). */
export function credentialsOf(auth: AuthConfig | undefined): Credentials | undefined {
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

/** The store's ImageService, publishing `pull`, `tag`, `untag`, `delete`, `load` and `push` events. */
export function imageService(o: ImageServiceOptions): ImageService {
  const r = o.registry ?? {};
  const inner = createImageService({
    store: o.store,
    ...(o.containerCount ? { containerCount: o.containerCount } : {}),
    registry: (auth) => {
      const creds = credentialsOf(auth);
      // The credentials go to whichever registry asks: the request names one registry.
      const client = new RegistryClient({
        ...(creds ? { credentials: async () => creds } : {}),
        ...(r.insecureRegistries ? { insecureRegistries: r.insecureRegistries } : {}),
        ...(r.mirrors ? { mirrors: r.mirrors } : {}),
        ...(r.certsDir ? { certsDir: r.certsDir } : {}),
      });
      return { client, release: () => client.close() };
    },
  });
  const event = (action: string, id: string, name: string): void => o.publish({ Type: 'image', Action: action, Actor: { ID: id, Attributes: { name } } });
  return {
    ...inner,
    async pull(opts) {
      await inner.pull(opts);
      const name = familiarString(pullReference(opts.fromImage, opts.tag));
      event('pull', name, name);
    },
    async tag(name, repo, tag) {
      await inner.tag(name, repo, tag);
      event('tag', o.store.resolve(name).id, familiarString(withTag(parseNormalizedNamed(repo), tag || 'latest')));
    },
    async remove(name, opts) {
      const out = await inner.remove(name, opts);
      for (const d of out) {
        if (d.Untagged) event('untag', d.Untagged, d.Untagged);
        if (d.Deleted) event('delete', d.Deleted, d.Deleted);
      }
      return out;
    },
    async push(opts) {
      await inner.push(opts);
      event('push', opts.name, opts.tag ? `${opts.name}:${opts.tag}` : opts.name);
    },
  };
}

