import { invalidArgument } from '@tdock/core';
import type { Project, ServiceConfig } from './types.js';

/** Names a service depends on: `depends_on`, `links`, `network_mode: service:x`, `volumes_from: x`. */
export function serviceDependencies(svc: ServiceConfig): string[] {
  const deps = new Set(Object.keys(svc.depends_on));
  if (svc.network_mode?.startsWith('service:')) deps.add(svc.network_mode.slice(8));
  for (const v of svc.volumes_from) {
    if (!v.startsWith('container:')) deps.add(v.split(':')[0]!);
  }
  for (const l of svc.links) deps.add(l.split(':')[0]!);
  return [...deps];
}

/**
 * Groups services into levels: level 0 has no dependencies, level n depends only on earlier levels, so
 * `up` can start each level in parallel, in order, and `down` can stop them in reverse. Throws
 * `Circular dependency between services a and b` (every service in the cycle named) on a cycle, and
 * `service "a" depends on undefined service "b"` for an unknown name.
 */
export function dependencyLevels(services: Record<string, ServiceConfig>): string[][] {
  const names = Object.keys(services).sort();
  const deps = new Map<string, string[]>();
  for (const n of names) {
    const d = serviceDependencies(services[n]!);
    for (const x of d) {
      if (!(x in services)) throw invalidArgument(`service "${n}" depends on undefined service "${x}": invalid compose project`);
    }
    deps.set(n, d);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const level = new Map<string, number>();
  const stack: string[] = [];
  const visit = (n: string): number => {
    const s = state.get(n);
    if (s === 'done') return level.get(n)!;
    if (s === 'visiting') {
      const cycle = stack.slice(stack.indexOf(n));
      const list = cycle.length === 1 ? [n, n] : cycle;
      throw invalidArgument(`Circular dependency between services ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]!}`);
    }
    state.set(n, 'visiting');
    stack.push(n);
    let l = 0;
    for (const d of deps.get(n)!) l = Math.max(l, visit(d) + 1);
    stack.pop();
    state.set(n, 'done');
    level.set(n, l);
    return l;
  };
  for (const n of names) visit(n);
  const levels: string[][] = [];
  for (const n of names) {
    const l = level.get(n)!;
    while (levels.length <= l) levels.push([]);
    levels[l]!.push(n);
  }
  return levels;
}

/**
 * The named services plus, unless `noDeps`, everything they depend on transitively (disabled services
 * included, as `docker compose up svc` does). With no names, all enabled services.
 */
export function selectServices(project: Project, names: readonly string[], noDeps = false): string[] {
  const all = { ...project.disabledServices, ...project.services };
  if (names.length === 0) return Object.keys(project.services).sort();
  const out = new Set<string>();
  const add = (n: string): void => {
    if (out.has(n)) return;
    const svc = all[n];
    if (!svc) throw invalidArgument(`no such service: ${n}`);
    out.add(n);
    if (!noDeps) for (const d of serviceDependencies(svc)) add(d);
  };
  for (const n of names) add(n);
  return [...out].sort();
}
