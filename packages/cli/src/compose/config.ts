import { formatGoDuration } from '@tdock/core';
import { stringify } from 'yaml';
import type { NetworkConfig, Project, ServiceConfig, ServiceVolume, VolumeConfig } from './types.js';
import { parseBytes } from './units.js';

/** A plain JSON-able value whose object keys are in the order they must print. */
export type Ordered = string | number | boolean | null | Ordered[] | { [key: string]: Ordered };

/** Drops undefined, empty lists and empty maps (Go's `omitempty`), keeping key order. */
function compact(entries: [string, Ordered | undefined][]): { [key: string]: Ordered } {
  const out: { [key: string]: Ordered } = {};
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

function sortedMap<T>(m: Record<string, T>, f: (v: T) => Ordered): { [key: string]: Ordered } {
  const out: { [key: string]: Ordered } = {};
  for (const k of Object.keys(m).sort()) out[k] = f(m[k]!);
  return out;
}

function volumeOut(v: ServiceVolume): Ordered {
  const out = compact([
    ['type', v.type],
    ['source', v.source],
    ['target', v.target],
    ['read_only', v.read_only || undefined],
    ['consistency', v.consistency],
    ['bind', v.bind ? compact([['propagation', v.bind.propagation], ['create_host_path', v.bind.create_host_path], ['selinux', v.bind.selinux]]) : undefined],
    ['volume', v.volume ? compact([['nocopy', v.volume.nocopy || undefined], ['subpath', v.volume.subpath]]) : undefined],
    ['tmpfs', v.tmpfs ? compact([['size', bytes(v.tmpfs.size)], ['mode', v.tmpfs.mode]]) : undefined],
  ]);
  // compose prints `volume: {}` for a named volume in short syntax; keep the empty mapping.
  if (v.volume && !('volume' in out)) out['volume'] = {};
  return out;
}

const bytes = (n: number | undefined): Ordered | undefined => (n === undefined ? undefined : String(n));

function resourcesOut(r: unknown): Ordered | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return undefined;
  const m = r as Record<string, unknown>;
  const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
  let memory: Ordered | undefined;
  try {
    memory = m['memory'] === undefined || m['memory'] === null ? undefined : String(parseBytes(m['memory'] as string | number));
  } catch {
    memory = String(m['memory']);
  }
  return compact([
    ['cpus', num(m['cpus'])],
    ['memory', memory],
    ['pids', num(m['pids'])],
    ['devices', m['devices'] as Ordered | undefined],
  ]);
}

/** `deploy:` as compose-go types it: numbers for replicas and cpus, byte counts as strings (UnitBytes). */
function deployOut(s: ServiceConfig, forHash: boolean): Ordered | undefined {
  const d = s.raw['deploy'];
  if (d === null || d === undefined || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const res = (d['resources'] ?? {}) as Record<string, unknown>;
  const out = compact([
    ['mode', d['mode'] as Ordered | undefined],
    ['replicas', forHash || d['replicas'] === undefined || d['replicas'] === null ? undefined : Number(d['replicas'])],
    ['labels', d['labels'] as Ordered | undefined],
    ['update_config', d['update_config'] as Ordered | undefined],
    ['rollback_config', d['rollback_config'] as Ordered | undefined],
    ['resources', compact([['limits', resourcesOut(res['limits'])], ['reservations', resourcesOut(res['reservations'])]])],
    ['restart_policy', d['restart_policy'] as Ordered | undefined],
    ['placement', d['placement'] as Ordered | undefined],
    ['endpoint_mode', d['endpoint_mode'] as Ordered | undefined],
  ]);
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Which fields to leave out: compose v2's `ServiceHash` drops build, pull_policy, scale, replicas, depends_on, profiles. */
export interface ServiceOutputOptions {
  forHash?: boolean;
}

/**
 * One service in compose-go's `ServiceConfig` field order, as `docker compose config` prints it and as
 * the config hash serialises it.
 */
export function serviceToOrdered(s: ServiceConfig, opts: ServiceOutputOptions = {}): { [key: string]: Ordered } {
  const h = opts.forHash === true;
  const deploy = deployOut(s, h);
  const entries: [string, Ordered | undefined][] = [
    ['profiles', h ? undefined : s.profiles],
    ['build', h || !s.build ? undefined : compact([
      ['context', s.build.context],
      ['dockerfile', s.build.dockerfile],
      ['dockerfile_inline', s.build.dockerfile_inline],
      ['args', sortedMap(s.build.args, (v) => v)],
      ['labels', sortedMap(s.build.labels, (v) => v)],
      ['cache_from', s.build.cache_from],
      ['extra_hosts', s.build.extra_hosts],
      ['network', s.build.network],
      ['target', s.build.target],
      ['shm_size', s.build.shm_size],
      ['tags', s.build.tags],
      ['platforms', s.build.platforms],
      ['no_cache', s.build.no_cache],
      ['pull', s.build.pull],
    ])],
    ['cap_add', s.cap_add],
    ['cap_drop', s.cap_drop],
    ['cgroup_parent', s.cgroup_parent],
    ['cpus', s.raw['cpus'] != null ? s.limits.cpus : undefined],
    ['command', s.command ?? (h ? null : undefined)],
    ['configs', s.configs.map((c) => ({ source: c.source, target: c.target }))],
    ['container_name', s.container_name],
    ['depends_on', h ? undefined : sortedMap(s.depends_on, (d) => compact([['condition', d.condition], ['restart', d.restart || undefined], ['required', d.required]]))],
    ['deploy', deploy],
    ['devices', s.devices],
    ['dns', s.dns],
    ['dns_opt', s.dns_opt],
    ['dns_search', s.dns_search],
    ['domainname', s.domainname],
    ['entrypoint', s.entrypoint ?? (h ? null : undefined)],
    ['environment', sortedMap(s.environment, (v) => v)],
    ['expose', s.expose],
    ['extra_hosts', s.extra_hosts],
    ['group_add', s.group_add],
    ['hostname', s.hostname],
    ['healthcheck', s.healthcheck ? compact([
      ['test', s.healthcheck.test],
      ['timeout', s.healthcheck.timeout !== undefined ? formatGoDuration(s.healthcheck.timeout) : undefined],
      ['interval', s.healthcheck.interval !== undefined ? formatGoDuration(s.healthcheck.interval) : undefined],
      ['retries', s.healthcheck.retries],
      ['start_period', s.healthcheck.start_period !== undefined ? formatGoDuration(s.healthcheck.start_period) : undefined],
      ['start_interval', s.healthcheck.start_interval !== undefined ? formatGoDuration(s.healthcheck.start_interval) : undefined],
      ['disable', s.healthcheck.disable],
    ]) : undefined],
    ['image', s.image],
    ['init', s.init],
    ['ipc', s.ipc],
    ['labels', sortedMap(s.labels, (v) => v)],
    ['links', s.links],
    ['logging', s.logging ? compact([['driver', s.logging.driver], ['options', sortedMap(s.logging.options, (v) => v)]]) : undefined],
    ['mem_limit', s.raw['mem_limit'] != null ? bytes(s.limits.memory) : undefined],
    ['mem_reservation', s.raw['mem_reservation'] != null ? bytes(s.limits.memory_reservation) : undefined],
    ['mac_address', s.mac_address],
    ['network_mode', s.network_mode],
    ['networks', Object.keys(s.networks).length === 0 ? undefined : sortedMap(s.networks, (n) => {
      const o = compact([
        ['aliases', n.aliases],
        ['ipv4_address', n.ipv4_address],
        ['ipv6_address', n.ipv6_address],
        ['mac_address', n.mac_address],
        ['driver_opts', n.driver_opts],
        ['priority', n.priority],
        ['gw_priority', n.gw_priority],
      ]);
      return Object.keys(o).length === 0 ? null : o;
    })],
    ['oom_score_adj', s.oom_score_adj],
    ['pid', s.pid],
    ['pids_limit', s.raw['pids_limit'] != null ? s.limits.pids : undefined],
    ['platform', s.platform],
    ['ports', s.ports.map((p) => compact([
      ['name', p.name],
      ['mode', p.mode],
      ['host_ip', p.host_ip],
      ['target', p.target],
      ['published', p.published],
      ['protocol', p.protocol],
      ['app_protocol', p.app_protocol],
    ]))],
    ['privileged', s.privileged],
    ['pull_policy', h ? undefined : s.pull_policy],
    ['read_only', s.read_only],
    ['restart', s.restart],
    ['scale', h || s.raw['scale'] === undefined ? undefined : s.scale],
    ['secrets', s.secrets.map((c) => ({ source: c.source, target: c.target }))],
    ['security_opt', s.security_opt],
    ['shm_size', bytes(s.shm_size)],
    ['stdin_open', s.stdin_open],
    ['stop_grace_period', s.stop_grace_period !== undefined ? formatGoDuration(s.stop_grace_period * 1e9) : undefined],
    ['stop_signal', s.stop_signal],
    ['sysctls', sortedMap(s.sysctls, (v) => v)],
    ['tmpfs', s.tmpfs],
    ['tty', s.tty],
    ['ulimits', sortedMap(s.ulimits, (u) => (u.soft === u.hard ? u.soft : { soft: u.soft, hard: u.hard }))],
    ['user', s.user],
    ['volumes', s.volumes.map(volumeOut)],
    ['volumes_from', s.volumes_from],
    ['working_dir', s.working_dir],
  ];
  const out = compact(entries);
  if (h) {
    if (!('command' in out)) out['command'] = null;
    if (!('entrypoint' in out)) out['entrypoint'] = null;
  }
  return out;
}

function networkOut(n: NetworkConfig): Ordered {
  return compact([
    ['name', n.name],
    ['driver', n.driver],
    ['driver_opts', n.driver_opts],
    ['ipam', n.ipam ? compact([['driver', n.ipam.driver], ['config', n.ipam.config as Ordered[]], ['options', n.ipam.options]]) : undefined],
    ['external', n.external || undefined],
    ['internal', n.internal || undefined],
    ['attachable', n.attachable || undefined],
    ['enable_ipv6', n.enable_ipv6],
    ['labels', sortedMap(n.labels, (v) => v)],
  ]);
}

function volumeConfigOut(v: VolumeConfig): Ordered {
  return compact([
    ['name', v.name],
    ['driver', v.driver],
    ['driver_opts', v.driver_opts],
    ['external', v.external || undefined],
    ['labels', sortedMap(v.labels, (x) => x)],
  ]);
}

/** The resolved model as an ordered object (`name`, `services`, `networks`, `volumes`, `secrets`, `configs`). */
export function projectToOrdered(p: Project): { [key: string]: Ordered } {
  return compact([
    ['name', p.name],
    ['services', sortedMap(p.services, (s) => serviceToOrdered(s))],
    ['networks', sortedMap(p.networks, networkOut)],
    ['volumes', sortedMap(p.volumes, volumeConfigOut)],
    ['secrets', sortedMap(p.secrets, (x) => x as Ordered)],
    ['configs', sortedMap(p.configs, (x) => x as Ordered)],
  ]);
}

/** `docker compose config` output: the resolved model as YAML (best-effort match of compose's layout). */
export function renderConfigYaml(p: Project): string {
  return stringify(projectToOrdered(p), { version: '1.1', lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
}
