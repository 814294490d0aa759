/**
 * The typed Compose model produced by {@link loadProject}. Field names follow the Compose file (snake_case)
 * so the model serialises back to what `docker compose config` prints. Durations are nanoseconds unless the
 * field name says otherwise, sizes are bytes.
 */

/** A raw YAML value after parsing: what interpolation, merging and validation walk over. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
/** A YAML mapping. */
export type YamlMap = { [key: string]: YamlValue };

/** One published or exposed port, ranges already expanded (compose-go `ServicePortConfig`). */
export interface PortConfig {
  /** Container port. */
  target: number;
  /** Host port or host range (`"8080"`, `"8000-8010"`); absent means an ephemeral host port. */
  published?: string;
  /** Host address to bind; absent means all interfaces. */
  host_ip?: string;
  /** `tcp`, `udp` or `sctp`. */
  protocol: string;
  mode?: string;
  name?: string;
  app_protocol?: string;
}

/** A service mount (compose-go `ServiceVolumeConfig`). Bind sources are absolute paths. */
export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  /** Volume key (named volume), absolute host path (bind); absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
}

/** A service's attachment to a network. */
export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  mac_address?: string;
  priority?: number;
  gw_priority?: number;
  driver_opts?: Record<string, string>;
}

/** A `depends_on` entry in long form. */
export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  restart: boolean;
  required: boolean;
}

/** Healthcheck with durations in nanoseconds (Engine API `HealthConfig` units). */
export interface HealthcheckConfig {
  test?: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  start_period?: number;
  start_interval?: number;
  disable?: boolean;
}

/** `build:` in long form, with defaults applied (context `.`, dockerfile `Dockerfile`). */
export interface BuildConfig {
  /** Absolute path, or a URL for remote contexts. */
  context: string;
  dockerfile: string;
  dockerfile_inline?: string;
  /** Build args; an arg given without value is taken from the environment, or dropped if unset. */
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  cache_from?: string[];
  network?: string;
  shm_size?: number;
  extra_hosts?: string[];
  no_cache?: boolean;
  pull?: boolean;
  tags?: string[];
  platforms?: string[];
}

/** An env_file entry in long form, path absolute. */
export interface EnvFileConfig {
  path: string;
  required: boolean;
  format?: string;
}

export interface UlimitConfig {
  soft: number;
  hard: number;
}

/** Resource limits gathered from `mem_limit`/`cpus`/`pids_limit` and `deploy.resources`. */
export interface ResourceLimits {
  /** Bytes. */
  memory?: number;
  /** CPUs as a fraction (`0.5`); multiply by 1e9 for `NanoCpus`. */
  cpus?: number;
  pids?: number;
  /** Bytes (`mem_reservation` / `deploy.resources.reservations.memory`). */
  memory_reservation?: number;
}

/** One service after normalisation. Absent optional fields mean "not set" (image or engine default). */
export interface ServiceConfig {
  name: string;
  profiles: string[];
  image?: string;
  build?: BuildConfig;
  /** `undefined` = image default; `[]` = explicitly cleared. Never wrapped in `sh -c`. */
  command?: string[];
  entrypoint?: string[];
  /** Final environment (env_file entries merged under `environment:`). */
  environment: Record<string, string>;
  env_file: EnvFileConfig[];
  ports: PortConfig[];
  expose: string[];
  volumes: ServiceVolume[];
  tmpfs: string[];
  /** Networks to join; empty when `network_mode` is set. `null`-free after normalisation. */
  networks: Record<string, ServiceNetwork>;
  network_mode?: string;
  depends_on: Record<string, DependsOn>;
  healthcheck?: HealthcheckConfig;
  /** `no`, `always`, `on-failure[:N]`, `unless-stopped`. */
  restart?: string;
  labels: Record<string, string>;
  working_dir?: string;
  user?: string;
  hostname?: string;
  domainname?: string;
  container_name?: string;
  init?: boolean;
  read_only?: boolean;
  privileged?: boolean;
  cap_add: string[];
  cap_drop: string[];
  ulimits: Record<string, UlimitConfig>;
  limits: ResourceLimits;
  shm_size?: number;
  stop_signal?: string;
  /** Seconds. */
  stop_grace_period?: number;
  /** `host:ip` entries as the Engine API takes them. */
  extra_hosts: string[];
  dns: string[];
  dns_search: string[];
  dns_opt: string[];
  sysctls: Record<string, string>;
  stdin_open?: boolean;
  tty?: boolean;
  logging?: { driver?: string; options: Record<string, string> };
  /** Replica count from `scale` or `deploy.replicas`, default 1. */
  scale: number;
  devices: string[];
  security_opt: string[];
  group_add: string[];
  pid?: string;
  ipc?: string;
  platform?: string;
  pull_policy?: string;
  links: string[];
  volumes_from: string[];
  mac_address?: string;
  oom_score_adj?: number;
  cgroup_parent?: string;
  secrets: { source: string; target: string }[];
  configs: { source: string; target: string }[];
  /** The service definition as merged and interpolated, before normalisation (for hashing/config output). */
  raw: YamlMap;
}

/** Top-level network, `name` resolved (`<project>_<key>` unless given or external). */
export interface NetworkConfig {
  name: string;
  external: boolean;
  driver?: string;
  driver_opts: Record<string, string>;
  ipam?: {
    driver?: string;
    config: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }[];
    options: Record<string, string>;
  };
  internal: boolean;
  attachable: boolean;
  enable_ipv6?: boolean;
  labels: Record<string, string>;
}

/** Top-level volume, `name` resolved like networks. */
export interface VolumeConfig {
  name: string;
  external: boolean;
  driver?: string;
  driver_opts: Record<string, string>;
  labels: Record<string, string>;
}

/** A loaded, validated, normalised project. */
export interface Project {
  name: string;
  /** Absolute project directory (directory of the first file unless given). */
  workingDir: string;
  /** Absolute paths of the files merged, in order. */
  configFiles: string[];
  /** Env files read for interpolation (absolute paths). */
  envFiles: string[];
  /** Variables used for interpolation (shell over .env / --env-file), with COMPOSE_PROJECT_NAME. */
  environment: Record<string, string>;
  /** Enabled services only (profiles applied), by name. */
  services: Record<string, ServiceConfig>;
  /** Services disabled by profiles. */
  disabledServices: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, YamlMap>;
  configs: Record<string, YamlMap>;
  /** Active profiles. */
  profiles: string[];
  /** The merged, interpolated model, before normalisation. */
  raw: YamlMap;
}
