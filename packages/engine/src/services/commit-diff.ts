// `docker diff` (changes of the container's upper layer against its image) and `docker commit`
// (the upper as a new layer over the image, through the store's commit).
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerConfig as ImageRuntimeConfig } from '@tdock/core';
import { parseNormalizedNamed, referenceString, withTag } from '@tdock/core';
import type { ContainerConfig } from '../api/types.js';
import type { ImageStore } from '../store/image-store.js';
import { applyChanges } from '../store/changes.js';
import type { ContainerRecord } from './records.js';

/** moby's change kinds. */
const MODIFY = 0;
const ADD = 1;
const DELETE = 2;

/**
 * The changes of an overlay upper directory against its lower layers, sorted by path. Added paths in
 * `mountpoints` (placeholders the init created for bind mounts, Docker's init layer) are left out, and
 * so are directories that only changed because of them.
 */
export function upperChanges(upper: string, lowers: string[], mountpoints: ReadonlySet<string> = new Set()): Array<{ Path: string; Kind: number }> {
  const out: Array<{ Path: string; Kind: number }> = [];
  const inLower = (rel: string): boolean => lowers.some((l) => {
    try {
      fs.lstatSync(path.join(l, rel));
      return true;
    } catch {
      return false;
    }
  });
  const walk = (dir: string, rel: string, parentAdded: boolean): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = `${rel}/${name}`;
      const st = fs.lstatSync(abs);
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ Path: r, Kind: DELETE });
        continue;
      }
      const added = parentAdded || !inLower(r);
      out.push({ Path: r, Kind: added ? ADD : MODIFY });
      if (st.isDirectory()) walk(abs, r, added);
    }
  };
  if (fs.existsSync(upper)) walk(upper, '', false);
  const kept = out.filter((c) => !(c.Kind === ADD && mountpoints.has(c.Path)));
  const hidden = out.filter((c) => c.Kind === ADD && mountpoints.has(c.Path));
  const result = kept.filter((c) => {
    if (c.Kind !== MODIFY || !hidden.some((h) => h.Path.startsWith(`${c.Path}/`))) return true;
    return kept.some((k) => k.Path.startsWith(`${c.Path}/`));
  });
  return result.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

/** The image config a commit gets: the container's config, the request's over it, then `changes`. */
export function commitConfig(rec: ContainerRecord, override: ContainerConfig, changes: string[]): ImageRuntimeConfig {
  const c = rec.Config;
  const base: ContainerConfig = {
    ...(c.User ? { User: c.User } : {}), ...(c.Env ? { Env: c.Env } : {}), ...(c.Cmd ? { Cmd: c.Cmd } : {}), ...(c.Entrypoint ? { Entrypoint: c.Entrypoint } : {}),
    ...(c.WorkingDir ? { WorkingDir: c.WorkingDir } : {}), ...(c.Labels ? { Labels: c.Labels } : {}), ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    ...(c.Volumes ? { Volumes: c.Volumes } : {}), ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}), ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.OnBuild ? { OnBuild: c.OnBuild } : {}),
  };
  const merged = { ...base, ...Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))) };
  return applyChanges(merged as ImageRuntimeConfig, changes);
}

/** `docker commit`: returns the new image ID. */
export async function commitContainer(images: ImageStore, rec: ContainerRecord, opts: { repo?: string; tag?: string; comment?: string; author?: string; changes: string[]; config: ContainerConfig }): Promise<string> {
  const reference = opts.repo ? referenceString(withTag(parseNormalizedNamed(opts.repo), opts.tag || 'latest')) : undefined;
  const res = await images.commit({
    parent: rec.Image, ...(rec.Rootfs.upper ? { upper: rec.Rootfs.upper } : {}), config: commitConfig(rec, opts.config, opts.changes),
    createdBy: [rec.Path, ...rec.Args].join(' '), ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.author ? { author: opts.author } : {}),
    ...(reference ? { reference } : {}),
  });
  return res.id;
}
