import type { History, ImageConfig } from '@tdock/core';
import { familiarString, invalidArgument, parseReference, parseNormalizedNamed } from '@tdock/core';
import { chainIds } from './digest.js';
import type { ImageRecord } from './image-metadata.js';
import type { ImageStore } from './image-store.js';

/** `GET /images/json` entry (Docker's ImageSummary). */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** `GET /images/{name}/json` (Docker's ImageInspect, the fields tdock knows). */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown>;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** `GET /images/{name}/history` entry, newest first. */
export interface HistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Filters as the API parses them: key → values. */
export type ImageFilters = ReadonlyMap<string, readonly string[]>;

/** Familiar `RepoTags` and `RepoDigests` of an image, sorted. */
export function repoNames(store: ImageStore, id: string): { tags: string[]; digests: string[] } {
  const tags: string[] = [];
  const digests: string[] = [];
  for (const ref of store.metadata.referencesOf(id)) {
    const f = familiarString(parseReference(ref));
    (ref.includes('@') ? digests : tags).push(f);
  }
  return { tags, digests };
}

/** Size of an image: the content bytes of its layers (Docker's `Size`). */
export async function imageSize(store: ImageStore, rec: ImageRecord): Promise<number> {
  let total = 0;
  for (const c of chainIds(rec.layers.map((l) => l.diffId))) total += (await store.snapshots.info(c))?.size ?? 0;
  return total;
}

function createdSeconds(cfg: ImageConfig): number {
  const t = cfg.created ? Date.parse(cfg.created) : NaN;
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

/** Docker's `path.Match` for the `reference` filter (`*`, `?`, `[...]`; `*` does not cross `/`). */
function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i);
      if (end === -1) throw invalidArgument(`invalid reference filter ${JSON.stringify(pattern)}`);
      re += `[${pattern.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(s);
}

function matchesReference(patterns: readonly string[], tags: string[], digests: string[]): boolean {
  return patterns.some((p) =>
    [...tags, ...digests].some((ref) => {
      const name = ref.replace(/[:@].*$/, '');
      if (globMatch(p, ref) || globMatch(p, name)) return true;
      try {
        const full = parseNormalizedNamed(ref);
        return globMatch(p, familiarString(full));
      } catch {
        return false;
      }
    }),
  );
}

function matchesLabels(want: readonly string[], labels: Record<string, string>): boolean {
  return want.every((w) => {
    const eq = w.indexOf('=');
    if (eq === -1) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** `docker images` with filters dangling, reference, label, before, since (and until). */
export async function listImages(store: ImageStore, opts: { filters?: ImageFilters; containers?: (id: string) => number; all?: boolean } = {}): Promise<ImageSummary[]> {
  const f = opts.filters ?? new Map<string, string[]>();
  for (const key of f.keys()) {
    if (!['dangling', 'reference', 'label', 'label!', 'before', 'since', 'until'].includes(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
  const created = async (nameOrId: string): Promise<number> => createdSeconds(await store.config(store.resolve(nameOrId).id));
  const before = f.get('before')?.[0];
  const since = f.get('since')?.[0];
  const beforeT = before !== undefined ? await created(before) : undefined;
  const sinceT = since !== undefined ? await created(since) : undefined;
  const untilV = f.get('until')?.[0];
  const untilT = untilV !== undefined ? (/^\d+(\.\d+)?$/.test(untilV) ? Number(untilV) : Date.parse(untilV) / 1000) : undefined;
  const dangling = f.get('dangling')?.[0];
  if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) throw invalidArgument(`Invalid filter 'dangling=${dangling}'`);
  const out: ImageSummary[] = [];
  const parents = new Set<string>();
  for (const rec of store.metadata.images()) if (rec.parent) parents.add(rec.parent);
  for (const rec of store.metadata.images()) {
    const { tags, digests } = repoNames(store, rec.id);
    // moby: an untagged image with children is an intermediate image, listed only with `all`; never dangling
    if (tags.length === 0 && digests.length === 0 && parents.has(rec.id) && (!opts.all || dangling !== undefined)) continue;
    const cfg = await store.config(rec.id);
    const labels = (cfg.config?.Labels ?? {}) as Record<string, string>;
    const t = createdSeconds(cfg);
    if (dangling !== undefined && ((dangling === 'true' || dangling === '1') !== (tags.length === 0 && digests.length === 0))) continue;
    const refs = f.get('reference');
    if (refs && !matchesReference(refs, tags, digests)) continue;
    const wantLabels = f.get('label');
    if (wantLabels && !matchesLabels(wantLabels, labels)) continue;
    const notLabels = f.get('label!');
    if (notLabels && notLabels.some((l) => matchesLabels([l], labels))) continue;
    if (beforeT !== undefined && !(t < beforeT)) continue;
    if (sinceT !== undefined && !(t > sinceT)) continue;
    if (untilT !== undefined && !(t < untilT)) continue;
    out.push({
      Id: rec.id, ParentId: rec.parent ?? '', RepoTags: tags, RepoDigests: digests, Created: t,
      Size: await imageSize(store, rec), SharedSize: -1, Labels: labels, Containers: opts.containers?.(rec.id) ?? -1,
    });
  }
  return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
}

/** `docker image inspect`. */
export async function inspectImage(store: ImageStore, nameOrId: string): Promise<ImageInspect> {
  const rec = store.resolve(nameOrId);
  const cfg = await store.config(rec.id);
  const { tags, digests } = repoNames(store, rec.id);
  const top = store.topChain(rec);
  const lowers = top ? await store.snapshots.lowers(top) : [];
  const extra = cfg as unknown as { comment?: string; docker_version?: string };
  return {
    Id: rec.id, RepoTags: tags, RepoDigests: digests, Parent: rec.parent ?? '', Comment: extra.comment ?? '',
    Created: cfg.created ?? '0001-01-01T00:00:00Z', DockerVersion: extra.docker_version ?? '', Author: cfg.author ?? '',
    Config: { ...(cfg.config ?? {}) }, Architecture: cfg.architecture, ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os, ...(cfg['os.version'] ? { OsVersion: cfg['os.version'] } : {}),
    Size: await imageSize(store, rec),
    GraphDriver: { Name: 'overlay2', Data: lowers.length ? { LowerDir: lowers.join(':') } : null },
    RootFS: { Type: 'layers', Layers: rec.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: rec.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

/** `docker history`: one entry per config history entry, newest first; layer sizes from snapshots. */
export async function imageHistory(store: ImageStore, nameOrId: string): Promise<HistoryEntry[]> {
  const rec = store.resolve(nameOrId);
  const cfg = await store.config(rec.id);
  const chains = chainIds(rec.layers.map((l) => l.diffId));
  const history: History[] = cfg.history ?? rec.layers.map(() => ({}));
  const out: HistoryEntry[] = [];
  let layer = 0;
  for (const h of history) {
    let size = 0;
    if (!h.empty_layer && layer < chains.length) size = (await store.snapshots.info(chains[layer++]!))?.size ?? 0;
    const t = h.created ? Date.parse(h.created) : NaN;
    out.push({ Id: '<missing>', Created: Number.isFinite(t) ? Math.floor(t / 1000) : 0, CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' });
  }
  out.reverse();
  // moby: IDs (and tags) down the parent chain, one image per entry from the top (built and committed images)
  let img: typeof rec | undefined = rec;
  for (const entry of out) {
    if (!img) break;
    entry.Id = img.id;
    const { tags } = repoNames(store, img.id);
    entry.Tags = tags.length ? tags : null;
    img = img.parent ? store.metadata.image(img.parent) : undefined;
  }
  return out;
}
