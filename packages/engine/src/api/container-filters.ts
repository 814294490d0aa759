// moby daemon/list.go's filter semantics for `GET /containers/json`, as a pure function over facts the
// container service already has, so the service keeps only the lookups.
import { invalidArgument, notFound } from '@tdock/core';
import { exactMatch, matchKVList } from './filters.js';
import type { Filters } from './query.js';

/** What the list filters look at, per container. */
export interface ContainerFacts {
  id: string;
  /** With or without the leading slash. */
  name: string;
  running: boolean;
  /** created|running|paused|restarting|removing|exited|dead */
  state: string;
  exitCode: number;
  /** ms since the epoch; 0 = never started. */
  startedAt: number;
  labels: Record<string, string>;
  /** starting|healthy|unhealthy|none */
  health: string;
  imageId: string;
  mounts: Array<{ name?: string; source: string; destination: string }>;
  networks: Array<{ name: string; id: string }>;
  ports: Array<{ privatePort: number; publicPort?: number; type: string }>;
}

const STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** moby `Args.Match`: a value equal to `source`, or a regular expression matching it. */
export function regexMatch(f: Filters, key: string, source: string): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return true;
  return vals.some((v) => {
    if (v === source) return true;
    try {
      return new RegExp(v).test(source);
    } catch {
      return false;
    }
  });
}

function portSet(values: string[] | undefined, key: string): Set<string> {
  const out = new Set<string>();
  for (const v of values ?? []) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(v);
    if (!m) throw invalidArgument(`invalid filter '${key}=${v}'`);
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    for (let p = lo; p <= hi; p++) out.add(`${p}/${m[3] ?? 'tcp'}`);
  }
  return out;
}

/**
 * Filters `list` (newest first, as moby's view is ordered) like `docker ps`: `all` (or a `status` filter,
 * or a limit) includes stopped containers; before/since by ID or name; name and id (regex or exact),
 * label, exited, status, health, volume (name, source or destination), network (name or ID prefix),
 * ancestor (via `ancestorImageIds`, the image IDs the service resolved, children included), publish and
 * expose, then `limit`.
 * @throws TdockError invalid-argument for bad filter values, not-found for an unknown before/since.
 */
export function filterContainers<T extends ContainerFacts>(list: T[], opts: { all: boolean; limit: number; filters: Filters; ancestorImageIds?: ReadonlySet<string> }): T[] {
  const f = opts.filters;
  let all = opts.all;
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  for (const s of f.get('status') ?? []) {
    if (!STATES.includes(s)) throw invalidArgument(`invalid filter 'status=${s}': invalid value for state (${s}): must be one of ${STATES.join(', ')}`);
    all = true;
  }
  for (const h of f.get('health') ?? []) if (!HEALTH.includes(h)) throw invalidArgument(`invalid filter 'health=${h}': Unrecognised health status: ${h}`);
  const find = (ref: string): T => {
    const c = list.find((x) => x.id === ref || x.name.replace(/^\//, '') === ref.replace(/^\//, '')) ?? list.find((x) => x.id.startsWith(ref));
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  };
  let before = (f.get('before') ?? []).map(find).at(-1);
  const since = (f.get('since') ?? []).map(find).at(-1);
  const publish = portSet(f.get('publish'), 'publish');
  const expose = portSet(f.get('expose'), 'expose');
  const out: T[] = [];
  for (const c of list) {
    if (before) {
      if (c.id === before.id) before = undefined;
      continue;
    }
    if (since && c.id === since.id) break;
    if (!c.running && !all && opts.limit <= 0) continue;
    const bare = c.name.replace(/^\//, '');
    if (!regexMatch(f, 'name', `/${bare}`) && !regexMatch(f, 'name', bare)) continue;
    if (!regexMatch(f, 'id', c.id)) continue;
    if (!matchKVList(f, 'label', c.labels)) continue;
    if (opts.limit > 0 && out.length === opts.limit) break;
    if (exited.length && !exited.some((code) => code === c.exitCode && !c.running && c.startedAt !== 0)) continue;
    if (!regexMatch(f, 'status', c.state)) continue;
    if (!exactMatch(f, 'health', c.health)) continue;
    const vols = f.get('volume');
    if (vols?.length && !vols.some((v) => c.mounts.some((m) => m.destination === v || (m.name ? m.name === v : m.source === v)))) continue;
    if (f.get('ancestor')?.length && !(opts.ancestorImageIds ?? new Set()).has(c.imageId)) continue;
    const nets = f.get('network');
    if (nets?.length && !nets.some((v) => c.networks.some((n) => n.name === v || n.id.startsWith(v)))) continue;
    if ((publish.size || expose.size) && !c.ports.some((p) => (p.publicPort !== undefined && publish.has(`${p.publicPort}/${p.type}`)) || expose.has(`${p.privatePort}/${p.type}`))) continue;
    out.push(c);
  }
  return out;
}
