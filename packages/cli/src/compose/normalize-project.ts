import { resolve } from 'node:path';
import { invalidArgument } from '@tdock/core';
import { dependencyLevels, serviceDependencies } from './graph.js';
import type { NetworkConfig, ServiceConfig, VolumeConfig, YamlMap } from './types.js';
import { asMap, isMap, optBool, optString, stringMap } from './values.js';

function external(v: YamlMap): { external: boolean; name?: string } {
  const e = v['external'];
  if (isMap(e)) return { external: true, ...(e['name'] != null ? { name: String(e['name']) } : {}) };
  return { external: optBool(e, 'external') ?? false };
}

/** Top-level `networks:` with names resolved (`<project>_<key>`, `name:`, or the key when external). */
export function normalizeNetworks(project: string, raw: YamlMap, used: boolean): Record<string, NetworkConfig> {
  const out: Record<string, NetworkConfig> = {};
  const entries = Object.entries(raw);
  if (used && !('default' in raw)) entries.unshift(['default', null]);
  for (const [key, value] of entries) {
    const m = asMap(value);
    const ext = external(m);
    const given = optString(m['name']) ?? ext.name;
    const n: NetworkConfig = {
      name: given ?? (ext.external ? key : `${project}_${key}`),
      external: ext.external,
      driver_opts: stringMap(m['driver_opts']),
      internal: optBool(m['internal'], `networks.${key}.internal`) ?? false,
      attachable: optBool(m['attachable'], `networks.${key}.attachable`) ?? false,
      labels: stringMap(m['labels']),
    };
    if (m['driver'] != null) n.driver = String(m['driver']);
    if (m['enable_ipv6'] != null) n.enable_ipv6 = optBool(m['enable_ipv6'], `networks.${key}.enable_ipv6`);
    if (m['ipam'] != null) {
      const ipam = asMap(m['ipam']);
      n.ipam = {
        ...(ipam['driver'] != null ? { driver: String(ipam['driver']) } : {}),
        config: (Array.isArray(ipam['config']) ? ipam['config'] : []).map((c) => {
          const cm = asMap(c);
          const entry: NonNullable<NetworkConfig['ipam']>['config'][number] = {};
          for (const k of ['subnet', 'ip_range', 'gateway'] as const) if (cm[k] != null) entry[k] = String(cm[k]);
          if (cm['aux_addresses'] != null) entry.aux_addresses = stringMap(cm['aux_addresses']);
          return entry;
        }),
        options: stringMap(ipam['options']),
      };
    }
    out[key] = n;
  }
  return out;
}

/** Top-level `volumes:` with names resolved like networks. */
export function normalizeVolumes(project: string, raw: YamlMap): Record<string, VolumeConfig> {
  const out: Record<string, VolumeConfig> = {};
  for (const [key, value] of Object.entries(raw)) {
    const m = asMap(value);
    const ext = external(m);
    const given = optString(m['name']) ?? ext.name;
    const v: VolumeConfig = {
      name: given ?? (ext.external ? key : `${project}_${key}`),
      external: ext.external,
      driver_opts: stringMap(m['driver_opts']),
      labels: stringMap(m['labels']),
    };
    if (m['driver'] != null) v.driver = String(m['driver']);
    out[key] = v;
  }
  return out;
}

/**
 * Cross-references: volumes and networks used by services must be declared, `depends_on` targets and
 * `service:` references must exist, no dependency cycles. Runs over all services, disabled ones included.
 */
export function checkReferences(
  services: Record<string, ServiceConfig>,
  volumes: Record<string, unknown>,
  networks: Record<string, unknown>,
  secrets: Record<string, unknown>,
  configs: Record<string, unknown>,
): void {
  for (const svc of Object.values(services)) {
    for (const v of svc.volumes) {
      if (v.type === 'volume' && v.source !== undefined && !(v.source in volumes)) {
        throw invalidArgument(`service "${svc.name}" refers to undefined volume ${v.source}: invalid compose project`);
      }
    }
    for (const n of Object.keys(svc.networks)) {
      if (n !== 'default' && !(n in networks)) {
        throw invalidArgument(`service "${svc.name}" refers to undefined network ${n}: invalid compose project`);
      }
    }
    for (const s of svc.secrets) {
      if (!(s.source in secrets)) throw invalidArgument(`service "${svc.name}" refers to undefined secret ${s.source}: invalid compose project`);
    }
    for (const s of svc.configs) {
      if (!(s.source in configs)) throw invalidArgument(`service "${svc.name}" refers to undefined config ${s.source}: invalid compose project`);
    }
  }
  dependencyLevels(services);
}

/**
 * Splits services by profile (spec 15-profiles.md): a service without profiles is always on; one with
 * profiles is on when one of them is active (`*` activates all) or when it is named explicitly; named
 * services pull in their dependencies. An enabled service whose required dependency stays disabled is
 * an error; an optional one is dropped with a warning.
 */
export function applyProfiles(
  all: Record<string, ServiceConfig>,
  active: readonly string[],
  named: readonly string[],
  onWarning?: (m: string) => void,
): { enabled: Record<string, ServiceConfig>; disabled: Record<string, ServiceConfig> } {
  const on = new Set<string>();
  for (const [n, s] of Object.entries(all)) {
    if (s.profiles.length === 0 || active.includes('*') || s.profiles.some((p) => active.includes(p))) on.add(n);
  }
  const pull = (n: string): void => {
    if (!(n in all)) throw invalidArgument(`no such service: ${n}`);
    if (on.has(n) && !named.includes(n)) return;
    on.add(n);
    for (const d of serviceDependencies(all[n]!)) if (!on.has(d)) pull(d);
  };
  for (const n of named) pull(n);
  const enabled: Record<string, ServiceConfig> = {};
  const disabled: Record<string, ServiceConfig> = {};
  for (const [n, s] of Object.entries(all)) (on.has(n) ? enabled : disabled)[n] = s;
  for (const s of Object.values(enabled)) {
    for (const [d, dep] of Object.entries(s.depends_on)) {
      if (d in enabled) continue;
      if (!dep.required) {
        onWarning?.(`service "${s.name}" depends on disabled service "${d}"; ignoring it (required: false)`);
        delete s.depends_on[d];
        continue;
      }
      const profiles = all[d]?.profiles ?? [];
      throw invalidArgument(`service ${d} is required by ${s.name} but is disabled. Can be enabled by profiles [${profiles.join(' ')}]`);
    }
  }
  return { enabled, disabled };
}

/**
 * Top-level `secrets:` / `configs:` with `name` resolved like volumes, fields in compose-go's order;
 * relative `file:` paths made absolute against the project directory.
 */
export function normalizeFileObjects(project: string, raw: YamlMap, projectDir: string): Record<string, YamlMap> {
  const out: Record<string, YamlMap> = {};
  for (const [key, value] of Object.entries(raw)) {
    const m = asMap(value);
    const ext = external(m);
    const o: YamlMap = { name: optString(m['name']) ?? ext.name ?? (ext.external ? key : `${project}_${key}`) };
    if (typeof m['file'] === 'string') o['file'] = resolve(projectDir, m['file']);
    for (const k of ['environment', 'content']) if (m[k] != null) o[k] = m[k]!;
    if (ext.external) o['external'] = true;
    for (const k of ['labels', 'driver', 'driver_opts', 'template_driver']) if (m[k] != null) o[k] = m[k]!;
    out[key] = o;
  }
  return out;
}
