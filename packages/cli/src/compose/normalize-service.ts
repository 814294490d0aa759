import { existsSync, readFileSync } from 'node:fs';
import { invalidArgument } from '@tdock/core';
import { parseDotenv, resolveDotenv } from './dotenv.js';
import type { VariableLookup } from './interpolate.js';
import { parseExpose, parsePortEntry } from './ports.js';
import { splitShellWords } from './shellwords.js';
import type { BuildConfig, DependsOn, EnvFileConfig, HealthcheckConfig, ServiceConfig, ServiceNetwork, UlimitConfig, YamlMap, YamlValue } from './types.js';
import { parseBytes, parseDuration } from './units.js';
import { asMap, environmentMap, isMap, optBool, optInt, optNumber, optString, stringList, stringMap } from './values.js';
import { parseVolumeEntry, resolveHostPath } from './volumes.js';

/** What service normalisation needs from the project. */
export interface ServiceContext {
  projectDir: string;
  /** The interpolation environment (shell over .env): used for bare `environment:` keys and build args. */
  lookup: VariableLookup;
  home: string | undefined;
  onWarning?: (message: string) => void;
}

function command(v: YamlValue | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => String(x));
  return splitShellWords(String(v));
}

function isRemoteContext(ctx: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) || ctx.startsWith('git@') || ctx.startsWith('github.com/');
}

function build(v: YamlValue | undefined, c: ServiceContext): BuildConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const m: YamlMap = typeof v === 'string' ? { context: v } : asMap(v);
  const context = optString(m['context']) ?? '.';
  const b: BuildConfig = {
    context: isRemoteContext(context) ? context : resolveHostPath(context, c.projectDir, c.home),
    dockerfile: optString(m['dockerfile']) ?? 'Dockerfile',
    args: environmentMap(m['args'], c.lookup),
    labels: stringMap(m['labels']),
  };
  const s = (k: string): string | undefined => optString(m[k]);
  if (s('dockerfile_inline') !== undefined) b.dockerfile_inline = s('dockerfile_inline');
  if (s('target') !== undefined) b.target = s('target');
  if (s('network') !== undefined) b.network = s('network');
  if (m['cache_from'] !== undefined) b.cache_from = stringList(m['cache_from']);
  if (m['tags'] !== undefined) b.tags = stringList(m['tags']);
  if (m['platforms'] !== undefined) b.platforms = stringList(m['platforms']);
  if (m['shm_size'] !== undefined) b.shm_size = parseBytes(m['shm_size']!);
  if (m['extra_hosts'] !== undefined) b.extra_hosts = extraHosts(m['extra_hosts']);
  if (m['no_cache'] !== undefined) b.no_cache = optBool(m['no_cache'], 'build.no_cache');
  if (m['pull'] !== undefined) b.pull = optBool(m['pull'], 'build.pull');
  return b;
}

function envFiles(v: YamlValue | undefined, c: ServiceContext): EnvFileConfig[] {
  if (v === undefined || v === null) return [];
  const items = Array.isArray(v) ? v : [v];
  return items.map((item) => {
    if (typeof item === 'string') return { path: resolveHostPath(item, c.projectDir, c.home), required: true };
    const m = asMap(item);
    const f: EnvFileConfig = {
      path: resolveHostPath(String(m['path']), c.projectDir, c.home),
      required: optBool(m['required'], 'env_file.required') ?? true,
    };
    if (m['format'] !== undefined) f.format = String(m['format']);
    return f;
  });
}

function readEnvFiles(files: EnvFileConfig[], c: ServiceContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) {
    if (!existsSync(f.path)) {
      if (f.required) throw invalidArgument(`env file ${f.path} not found: stat ${f.path}: no such file or directory`);
      continue;
    }
    const entries = parseDotenv(readFileSync(f.path, 'utf8'), {
      lookup: c.lookup,
      raw: f.format === 'raw',
      filename: f.path,
      onWarning: c.onWarning,
    });
    Object.assign(out, resolveDotenv(entries, c.lookup));
  }
  return out;
}

function healthcheck(v: YamlValue | undefined, path: string): HealthcheckConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const m = asMap(v);
  const h: HealthcheckConfig = {};
  if (optBool(m['disable'], `${path}.disable`) === true) return { test: ['NONE'], disable: true };
  const test = m['test'];
  if (typeof test === 'string') h.test = ['CMD-SHELL', test];
  else if (Array.isArray(test)) h.test = test.map(String);
  for (const k of ['interval', 'timeout', 'start_period', 'start_interval'] as const) {
    if (m[k] !== undefined && m[k] !== null) h[k] = parseDuration(m[k]!);
  }
  if (m['retries'] !== undefined) h.retries = optInt(m['retries'], `${path}.retries`);
  if (h.test && h.test.length > 0 && !['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0]!)) {
    throw invalidArgument(`${path}.test: must start either by "CMD", "CMD-SHELL" or "NONE"`);
  }
  return h;
}

function dependsOn(v: YamlValue | undefined, path: string): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (Array.isArray(v)) {
    for (const n of v) out[String(n)] = { condition: 'service_started', restart: false, required: true };
  } else if (isMap(v)) {
    for (const [n, x] of Object.entries(v)) {
      const m = asMap(x);
      const condition = String(m['condition'] ?? 'service_started') as DependsOn['condition'];
      if (!['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition)) {
        throw invalidArgument(`${path}.${n}.condition: invalid condition "${condition}"`);
      }
      out[n] = {
        condition,
        restart: optBool(m['restart'], `${path}.${n}.restart`) ?? false,
        required: optBool(m['required'], `${path}.${n}.required`) ?? true,
      };
    }
  }
  return out;
}

function networks(v: YamlValue | undefined, networkMode: string | undefined): Record<string, ServiceNetwork> {
  const out: Record<string, ServiceNetwork> = {};
  if (Array.isArray(v)) for (const n of v) out[String(n)] = {};
  else if (isMap(v)) {
    for (const [n, x] of Object.entries(v)) {
      const m = asMap(x);
      const sn: ServiceNetwork = {};
      if (m['aliases'] !== undefined) sn.aliases = stringList(m['aliases']);
      for (const k of ['ipv4_address', 'ipv6_address', 'mac_address'] as const) if (m[k] != null) sn[k] = String(m[k]);
      if (m['priority'] != null) sn.priority = Number(m['priority']);
      if (m['gw_priority'] != null) sn.gw_priority = Number(m['gw_priority']);
      if (m['driver_opts'] != null) sn.driver_opts = stringMap(m['driver_opts']);
      out[n] = sn;
    }
  }
  if (Object.keys(out).length === 0 && networkMode === undefined) out['default'] = {};
  return out;
}

/** `extra_hosts` (list `h=ip`/`h:ip` or map) as Engine API `host:ip` entries. */
export function extraHosts(v: YamlValue | undefined): string[] {
  const out: string[] = [];
  const add = (host: string, ip: string): void => {
    const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
    out.push(`${host}:${bare}`);
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      const at = eq >= 0 ? eq : s.indexOf(':');
      if (at < 0) throw invalidArgument(`invalid extra_hosts entry "${s}": expected host=ip`);
      add(s.slice(0, at), s.slice(at + 1));
    }
  } else if (isMap(v)) {
    for (const [h, ip] of Object.entries(v)) for (const x of stringList(ip)) add(h, x);
  }
  return out;
}

function ulimits(v: YamlValue | undefined, path: string): Record<string, UlimitConfig> {
  const out: Record<string, UlimitConfig> = {};
  for (const [k, x] of Object.entries(asMap(v))) {
    if (isMap(x)) out[k] = { soft: optInt(x['soft'], `${path}.${k}.soft`) ?? 0, hard: optInt(x['hard'], `${path}.${k}.hard`) ?? 0 };
    else {
      const n = optInt(x, `${path}.${k}`) ?? 0;
      out[k] = { soft: n, hard: n };
    }
  }
  return out;
}

function fileRefs(v: YamlValue | undefined, defaultTarget: (s: string) => string): { source: string; target: string }[] {
  return (Array.isArray(v) ? v : []).map((x) => {
    if (typeof x === 'string') return { source: x, target: defaultTarget(x) };
    const m = asMap(x);
    const source = String(m['source']);
    return { source, target: optString(m['target']) ?? defaultTarget(source) };
  });
}

function devices(v: YamlValue | undefined): string[] {
  return (Array.isArray(v) ? v : []).map((x) => {
    if (!isMap(x)) return String(x);
    const parts = [String(x['source']), String(x['target'] ?? x['source'])];
    if (x['permissions'] != null) parts.push(String(x['permissions']));
    return parts.join(':');
  });
}

/** Normalises one merged, interpolated, validated service definition. */
export function normalizeService(name: string, raw: YamlMap, c: ServiceContext): ServiceConfig {
  const p = `services.${name}`;
  const s = (k: string): string | undefined => optString(raw[k]);
  const b = (k: string): boolean | undefined => optBool(raw[k], `${p}.${k}`);
  const deploy = asMap(raw['deploy']);
  const limits = asMap(asMap(deploy['resources'])['limits']);
  const reservations = asMap(asMap(deploy['resources'])['reservations']);
  const networkMode = s('network_mode');
  const envFileList = envFiles(raw['env_file'], c);
  const svc: ServiceConfig = {
    name,
    profiles: stringList(raw['profiles']),
    environment: { ...readEnvFiles(envFileList, c), ...environmentMap(raw['environment'], c.lookup) },
    env_file: envFileList,
    ports: (Array.isArray(raw['ports']) ? raw['ports'] : []).flatMap(parsePortEntry),
    expose: stringList(raw['expose']).flatMap(parseExpose),
    volumes: (Array.isArray(raw['volumes']) ? raw['volumes'] : []).map((v) => {
      const vol = parseVolumeEntry(v);
      if (vol.type === 'bind' && vol.source !== undefined) vol.source = resolveHostPath(vol.source, c.projectDir, c.home);
      return vol;
    }),
    tmpfs: stringList(raw['tmpfs']),
    networks: networks(raw['networks'], networkMode),
    depends_on: dependsOn(raw['depends_on'], `${p}.depends_on`),
    labels: stringMap(raw['labels']),
    cap_add: stringList(raw['cap_add']),
    cap_drop: stringList(raw['cap_drop']),
    ulimits: ulimits(raw['ulimits'], `${p}.ulimits`),
    limits: {},
    extra_hosts: extraHosts(raw['extra_hosts']),
    dns: stringList(raw['dns']),
    dns_search: stringList(raw['dns_search']),
    dns_opt: stringList(raw['dns_opt']),
    sysctls: stringMap(raw['sysctls']),
    scale: 1,
    devices: devices(raw['devices']),
    security_opt: stringList(raw['security_opt']),
    group_add: stringList(raw['group_add']),
    links: stringList(raw['links']),
    volumes_from: stringList(raw['volumes_from']),
    secrets: fileRefs(raw['secrets'], (x) => `/run/secrets/${x}`),
    configs: fileRefs(raw['configs'], (x) => `/${x}`),
    raw,
  };
  const assign = <K extends keyof ServiceConfig>(k: K, v: ServiceConfig[K] | undefined): void => {
    if (v !== undefined) svc[k] = v;
  };
  assign('image', s('image'));
  assign('build', build(raw['build'], c));
  assign('command', command(raw['command']));
  assign('entrypoint', command(raw['entrypoint']));
  assign('healthcheck', healthcheck(raw['healthcheck'], `${p}.healthcheck`));
  assign('network_mode', networkMode);
  const restart = raw['restart'];
  assign('restart', restart === false ? 'no' : s('restart'));
  for (const k of ['working_dir', 'user', 'hostname', 'domainname', 'container_name', 'stop_signal', 'pid', 'ipc', 'platform', 'pull_policy', 'mac_address', 'cgroup_parent'] as const) {
    assign(k, s(k));
  }
  for (const k of ['init', 'read_only', 'privileged', 'stdin_open', 'tty'] as const) assign(k, b(k));
  assign('oom_score_adj', optInt(raw['oom_score_adj'], `${p}.oom_score_adj`));
  if (raw['shm_size'] != null) svc.shm_size = parseBytes(raw['shm_size']);
  if (raw['stop_grace_period'] != null) svc.stop_grace_period = Math.floor(parseDuration(raw['stop_grace_period']) / 1e9);
  const logging = asMap(raw['logging']);
  if (raw['logging'] != null) svc.logging = { ...(logging['driver'] != null ? { driver: String(logging['driver']) } : {}), options: stringMap(logging['options']) };
  const memory = raw['mem_limit'] ?? limits['memory'];
  if (memory != null) svc.limits.memory = parseBytes(memory);
  const cpus = optNumber(raw['cpus'] ?? limits['cpus'], `${p}.cpus`);
  if (cpus !== undefined) svc.limits.cpus = cpus;
  const pids = optInt(raw['pids_limit'] ?? limits['pids'], `${p}.pids_limit`);
  if (pids !== undefined) svc.limits.pids = pids;
  const reservation = raw['mem_reservation'] ?? reservations['memory'];
  if (reservation != null) svc.limits.memory_reservation = parseBytes(reservation);
  const scale = optInt(raw['scale'], `${p}.scale`);
  const replicas = optInt(deploy['replicas'], `${p}.deploy.replicas`);
  if (scale !== undefined && replicas !== undefined && scale !== replicas) {
    throw invalidArgument(`${p}: can't set distinct values on 'scale' and 'deploy.replicas'`);
  }
  svc.scale = scale ?? replicas ?? 1;
  if (svc.container_name !== undefined && svc.scale > 1) {
    throw invalidArgument(`${p}: can't set container_name and scale ${svc.scale} as container name must be unique`);
  }
  if (svc.image === undefined && svc.build === undefined) {
    throw invalidArgument(`service "${name}" has neither an image nor a build context specified: invalid compose project`);
  }
  if (svc.network_mode !== undefined && raw['networks'] != null) {
    throw invalidArgument(`service ${name} declares mutually exclusive \`network_mode\` and \`networks\`: invalid compose project`);
  }
  return svc;
}
