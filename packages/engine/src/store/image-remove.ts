import { TdockError, familiarString, parseNormalizedNamed, parseReference, referenceName, referenceString, tagNameOnly } from '@tdock/core';
import { chainIds, shortId } from './digest.js';
import type { ImageRecord } from './image-metadata.js';
import type { ImageStore } from './image-store.js';
import { listImages, type ImageFilters, type ImageSummary } from './image-views.js';

/** One line of `docker rmi` output. */
export interface DeleteRecord {
  Untagged?: string;
  Deleted?: string;
}

const conflict = (msg: string): TdockError => new TdockError('conflict', msg);
const familiar = (ref: string): string => familiarString(parseReference(ref));

/** `docker tag SOURCE REPO[:TAG]`: `repo` is normalised as Docker does; tag defaults to latest. */
export async function tagImage(store: ImageStore, source: string, repo: string, tag?: string): Promise<void> {
  const rec = store.resolve(source);
  const named = parseNormalizedNamed(tag ? `${repo}:${tag}` : repo);
  if (named.digest !== undefined) throw new TdockError('invalid-argument', 'refusing to create a tag with a digest reference');
  await store.metadata.tag(referenceString(tagNameOnly(named)), rec.id, new Date().toISOString());
}

/**
 * `docker rmi`: by reference, untag it (and the repository's digest references when its last tag
 * goes), deleting the image only when no reference remains; by ID, delete the image (force needed
 * when several references or a stopped container use it; a running container always blocks).
 * Snapshots and blobs nobody uses any more are collected and reported as `Deleted`.
 */
export async function removeImage(store: ImageStore, name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<DeleteRecord[]> {
  const rec = store.resolve(name);
  const out: DeleteRecord[] = [];
  const short = shortId(rec.id);
  const usage = store.usedBy(rec.id);
  const m = store.metadata;
  const byId = isIdPrefix(name, rec.id);
  if (!byId) {
    const parsed = parseNormalizedNamed(name);
    const ref = referenceString(parsed.digest !== undefined ? { domain: parsed.domain, path: parsed.path, digest: parsed.digest } : tagNameOnly(parsed));
    if (!opts.force && usage && isSingleReference(m.referencesOf(rec.id))) {
      throw conflict(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(usage.containerId)} is using its referenced image ${short}`);
    }
    const untag = [ref];
    if (parsed.digest === undefined) {
      const repo = referenceName(parsed);
      const rest = m.referencesOf(rec.id).filter((r) => r !== ref);
      if (!rest.some((r) => !r.includes('@') && r.startsWith(`${repo}:`))) untag.push(...rest.filter((r) => r.startsWith(`${repo}@`)));
    }
    await m.untag(untag);
    for (const r of untag) out.push({ Untagged: familiar(r) });
    // the image stays (now untagged) while something still needs it, as Docker
    if (m.referencesOf(rec.id).length > 0 || usage || m.images().some((i) => i.parent === rec.id)) return out;
  } else {
    if (m.images().some((i) => i.parent === rec.id)) {
      throw conflict(`conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`);
    }
    const refs = m.referencesOf(rec.id);
    if (usage?.running) throw conflict(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortId(usage.containerId)}`);
    if (usage && !opts.force) throw conflict(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortId(usage.containerId)}`);
    if (refs.length > 0 && !isSingleReference(refs) && !opts.force) throw conflict(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    await m.untag(refs);
    for (const r of refs) out.push({ Untagged: familiar(r) });
  }
  await m.deleteImage(rec.id);
  out.push({ Deleted: rec.id });
  for (const c of await store.collect()) out.push({ Deleted: c });
  if (!opts.noprune && rec.parent) {
    const parent = m.image(rec.parent);
    if (parent && m.referencesOf(parent.id).length === 0 && !store.usedBy(parent.id) && !m.images().some((i) => i.parent === parent.id)) {
      out.push(...(await removeImage(store, parent.id, { noprune: false })));
    }
  }
  return out;
}

/** Docker's isSingleReference: all references in one repository, with at most one tag. */
function isSingleReference(refs: readonly string[]): boolean {
  if (refs.length === 0) return false;
  const repo = (r: string): string => r.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return new Set(refs.map(repo)).size === 1 && refs.filter((r) => !r.includes('@')).length <= 1;
}

/** Docker's isImageIDPrefix. */
function isIdPrefix(name: string, id: string): boolean {
  return id.startsWith(name) || id.slice(id.indexOf(':') + 1).startsWith(name);
}

/**
 * `docker image prune`: dangling images (no reference at all), or with `dangling=false` every
 * image no container uses; filters `until` and `label` as `listImages`.
 */
export async function pruneImages(store: ImageStore, filters: ImageFilters = new Map()): Promise<{ ImagesDeleted: DeleteRecord[]; SpaceReclaimed: number }> {
  const danglingOnly = !['false', '0'].includes(filters.get('dangling')?.[0] ?? 'true');
  const f = new Map<string, readonly string[]>();
  for (const [k, v] of filters) if (k === 'until' || k === 'label' || k === 'label!') f.set(k, v);
  if (danglingOnly) f.set('dangling', ['true']);
  const candidates = await listImages(store, { filters: f });
  const before = await snapshotBytes(store);
  const deleted: DeleteRecord[] = [];
  for (const c of candidates) {
    if (store.usedBy(c.Id) || !store.metadata.image(c.Id)) continue;
    if (store.metadata.images().some((i) => i.parent === c.Id)) continue;
    deleted.push(...(await removeImage(store, c.Id, { force: true })));
  }
  return { ImagesDeleted: deleted, SpaceReclaimed: Math.max(0, before - (await snapshotBytes(store))) };
}

async function snapshotBytes(store: ImageStore): Promise<number> {
  return (await store.snapshots.list()).reduce((n, s) => n + s.size, 0);
}

/** `system df` for images: every image with its shared and unique size, and the total of all layers. */
export async function imageDiskUsage(store: ImageStore, containers?: (id: string) => number): Promise<{ LayersSize: number; Images: ImageSummary[] }> {
  const snaps = new Map((await store.snapshots.list()).map((s) => [s.chainId, s.size]));
  const users = new Map<string, number>();
  const chainsOf = (r: ImageRecord): string[] => chainIds(r.layers.map((l) => l.diffId));
  for (const img of store.metadata.images()) for (const c of chainsOf(img)) users.set(c, (users.get(c) ?? 0) + 1);
  const images = await listImages(store, containers ? { containers } : {});
  for (const s of images) {
    const rec = store.metadata.image(s.Id)!;
    s.SharedSize = chainsOf(rec).filter((c) => (users.get(c) ?? 0) > 1).reduce((n, c) => n + (snaps.get(c) ?? 0), 0);
  }
  return { LayersSize: [...snaps.values()].reduce((a, b) => a + b, 0), Images: images };
}
