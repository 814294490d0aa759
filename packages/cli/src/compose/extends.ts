import { isAbsolute, resolve } from 'node:path';
import { invalidArgument } from '@tdock/core';
import { mergeValues } from './merge.js';
import type { YamlMap, YamlValue } from './types.js';
import { asMap, isMap } from './values.js';
import { isBindSource } from './volumes.js';
import { stripMergeTags } from './yaml-load.js';

/** Reads, parses and interpolates another Compose file (absolute path); supplied by the loader. */
export type ComposeFileReader = (absPath: string) => YamlMap;

function rebase(p: string, dir: string): string {
  if (p.startsWith('~') || isAbsolute(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.startsWith('git@')) return p;
  return resolve(dir, p);
}

/**
 * Makes the relative paths of a service defined in another directory absolute (build context, env_file,
 * bind sources, label_file), so the service means the same once merged into the main project.
 */
export function rebaseServicePaths(svc: YamlMap, dir: string): YamlMap {
  const out: YamlMap = { ...svc };
  const build = out['build'];
  if (typeof build === 'string') out['build'] = rebase(build, dir);
  else if (isMap(build)) out['build'] = { ...build, context: rebase(typeof build['context'] === 'string' ? build['context'] : '.', dir) };
  const envFile = out['env_file'];
  const rebaseEnv = (e: YamlValue): YamlValue =>
    typeof e === 'string' ? rebase(e, dir) : isMap(e) && typeof e['path'] === 'string' ? { ...e, path: rebase(e['path'], dir) } : e;
  if (Array.isArray(envFile)) out['env_file'] = envFile.map(rebaseEnv);
  else if (envFile !== undefined && envFile !== null) out['env_file'] = rebaseEnv(envFile);
  if (Array.isArray(out['volumes'])) {
    out['volumes'] = out['volumes'].map((v) => {
      if (typeof v === 'string') {
        const i = v.indexOf(':');
        return i > 0 && isBindSource(v.slice(0, i)) ? rebase(v.slice(0, i), dir) + v.slice(i) : v;
      }
      if (isMap(v) && v['type'] === 'bind' && typeof v['source'] === 'string') return { ...v, source: rebase(v['source'], dir) };
      return v;
    });
  }
  return out;
}

function mergeService(name: string, base: YamlMap, over: YamlMap): YamlMap {
  const merged = mergeValues({ services: { [name]: base } }, { services: { [name]: over } }, []) as YamlMap;
  return asMap(asMap(merged['services'])[name]);
}

/**
 * Resolves `extends:` in every service of one file (spec §extends): the referenced service (same file, or
 * `file:` relative to this file's directory) is merged under the extending one with the usual merge
 * rules. Chains are followed; cycles fail with `Circular reference`.
 */
export function resolveExtends(tree: YamlMap, file: string, dir: string, read: ComposeFileReader): YamlMap {
  const services = asMap(tree['services']);
  if (!Object.values(services).some((s) => isMap(s) && s['extends'] !== undefined)) return tree;
  const cache = new Map<string, YamlMap>([[file, tree]]);
  const done = new Map<string, YamlMap>();
  const resolveOne = (f: string, fdir: string, name: string, chain: string[]): YamlMap => {
    const key = `${f}#${name}`;
    const hit = done.get(key);
    if (hit) return hit;
    if (chain.includes(key)) throw invalidArgument(`Circular reference with extends: ${[...chain, key].map((k) => k.split('#')[1]).join(' -> ')}`);
    let t = cache.get(f);
    if (!t) {
      t = read(f);
      cache.set(f, t);
    }
    const raw = asMap(t['services'])[name];
    if (!isMap(raw)) throw invalidArgument(`cannot extend service "${name}" in ${f}: service not found`);
    const ext = raw['extends'];
    let svc: YamlMap = stripMergeTags(raw) as YamlMap;
    if (ext !== undefined && ext !== null) {
      const e: YamlMap = typeof ext === 'string' ? { service: ext } : asMap(ext);
      const target = String(e['service']);
      const baseFile = typeof e['file'] === 'string' ? resolve(fdir, e['file']) : f;
      const baseDir = typeof e['file'] === 'string' ? resolve(baseFile, '..') : fdir;
      let base = resolveOne(baseFile, baseDir, target, [...chain, key]);
      if (baseDir !== fdir) base = rebaseServicePaths(base, baseDir);
      const { extends: _e, ...own } = raw;
      svc = mergeService(name, base, own);
    }
    const { extends: _x, ...clean } = svc;
    done.set(key, clean);
    return clean;
  };
  const out: YamlMap = {};
  for (const [name, raw] of Object.entries(services)) {
    out[name] = isMap(raw) && raw['extends'] !== undefined && raw['extends'] !== null ? resolveOne(file, dir, name, []) : raw;
  }
  return { ...tree, services: out };
}

/**
 * Inlines `include:` (spec §include, simplified): each included file is read, its own includes and
 * extends resolved, its relative service paths rebased on its directory, and its resources added to
 * the including model. A name defined both by an include and the including file is an error.
 */
export function resolveIncludes(tree: YamlMap, dir: string, read: ComposeFileReader, seen: string[] = []): YamlMap {
  const inc = tree['include'];
  if (!Array.isArray(inc) || inc.length === 0) return tree;
  const { include: _i, ...rest } = tree;
  const out: YamlMap = { ...rest };
  for (const entry of inc) {
    const paths = typeof entry === 'string' ? [entry] : isMap(entry) ? (Array.isArray(entry['path']) ? entry['path'].map(String) : [String(entry['path'])]) : [];
    for (const p of paths) {
      const abs = resolve(dir, p);
      if (seen.includes(abs)) throw invalidArgument(`include cycle detected: ${[...seen, abs].join(' -> ')}`);
      const incDir = isMap(entry) && typeof entry['project_directory'] === 'string' ? resolve(dir, entry['project_directory']) : resolve(abs, '..');
      let sub = resolveIncludes(read(abs), incDir, read, [...seen, abs]);
      sub = resolveExtends(sub, abs, incDir, read);
      for (const section of ['services', 'networks', 'volumes', 'secrets', 'configs']) {
        const mine: YamlMap = { ...asMap(out[section]) };
        const theirs = asMap(sub[section]);
        for (const [k, v] of Object.entries(theirs)) {
          if (k in mine) throw invalidArgument(`imported compose file ${abs} defines conflicting ${section.slice(0, -1)} ${k}`);
          mine[k] = section === 'services' && isMap(v) ? rebaseServicePaths(v, incDir) : v;
        }
        if (Object.keys(mine).length > 0) out[section] = mine;
      }
    }
  }
  return out;
}
