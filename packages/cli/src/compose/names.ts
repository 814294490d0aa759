import { createHash } from 'node:crypto';
import { serviceToOrdered } from './config.js';
import type { Project, ServiceConfig } from './types.js';

/** The compose version written into `com.docker.compose.version` (the v2 behaviour tdock follows). */
export const COMPOSE_VERSION = '2.24.0';

/** compose v2 label keys (`pkg/api/labels.go`). */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  version: 'com.docker.compose.version',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  slug: 'com.docker.compose.slug',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** Naming switches: `compatibility` uses compose v1's `_` separator for containers and images. */
export interface NameOptions {
  compatibility?: boolean;
}

const sep = (o: NameOptions | undefined): string => (o?.compatibility ? '_' : '-');

/** `<project>-<service>-<n>`, or the service's `container_name`. */
export function containerName(project: string, service: ServiceConfig, n: number, o?: NameOptions): string {
  return service.container_name ?? [project, service.name, String(n)].join(sep(o));
}

/** A one-off (`run`) container name: `<project>-<service>-run-<first 12 of slug>`. */
export function oneoffContainerName(project: string, service: string, slug: string, o?: NameOptions): string {
  return [project, service, 'run', slug.slice(0, 12)].join(sep(o));
}

/** The image a service runs: `image:`, or `<project>-<service>` for build-only services. */
export function serviceImageName(project: string, service: ServiceConfig, o?: NameOptions): string {
  return service.image ?? `${project}${sep(o)}${service.name}`;
}

/** `<project>_default`. */
export function defaultNetworkName(project: string): string {
  return `${project}_default`;
}

/**
 * The config hash of a service: sha256 (hex) over the JSON of its normalised configuration in compose-go
 * field order, without build, pull_policy, scale, deploy.replicas, depends_on and profiles (compose v2
 * `ServiceHash`). Stable across tdock runs; not guaranteed byte-identical with docker compose's hash.
 */
export function serviceConfigHash(service: ServiceConfig): string {
  return createHash('sha256').update(JSON.stringify(serviceToOrdered(service, { forHash: true }))).digest('hex');
}

/** `svc:condition:restart,...` as compose v2 writes `com.docker.compose.depends_on`. */
export function dependsOnLabel(service: ServiceConfig): string {
  return Object.keys(service.depends_on)
    .sort()
    .map((d) => `${d}:${service.depends_on[d]!.condition}:${String(service.depends_on[d]!.restart)}`)
    .join(',');
}

/** Per-container inputs to {@link containerLabels}. */
export interface ContainerLabelOptions {
  /** Replica number; absent for one-off containers. */
  number?: number;
  oneoff?: boolean;
  /** One-off slug (64 hex). */
  slug?: string;
  /** The image digest (`sha256:...`) the container runs, for `com.docker.compose.image`. */
  imageDigest?: string;
  version?: string;
}

/** All labels of a service container: the user's `labels:` first, compose's on top (users cannot override them). */
export function containerLabels(project: Project, service: ServiceConfig, o: ContainerLabelOptions = {}): Record<string, string> {
  const labels: Record<string, string> = { ...service.labels };
  labels[COMPOSE_LABELS.project] = project.name;
  labels[COMPOSE_LABELS.service] = service.name;
  labels[COMPOSE_LABELS.oneoff] = o.oneoff ? 'True' : 'False';
  if (!o.oneoff && o.number !== undefined) labels[COMPOSE_LABELS.containerNumber] = String(o.number);
  if (o.oneoff && o.slug !== undefined) labels[COMPOSE_LABELS.slug] = o.slug;
  labels[COMPOSE_LABELS.configHash] = serviceConfigHash(service);
  labels[COMPOSE_LABELS.workingDir] = project.workingDir;
  labels[COMPOSE_LABELS.configFiles] = project.configFiles.join(',');
  if (project.envFiles.length > 0) labels[COMPOSE_LABELS.environmentFile] = project.envFiles.join(',');
  labels[COMPOSE_LABELS.version] = o.version ?? COMPOSE_VERSION;
  labels[COMPOSE_LABELS.dependsOn] = dependsOnLabel(service);
  if (o.imageDigest !== undefined) labels[COMPOSE_LABELS.image] = o.imageDigest;
  return labels;
}

/** Labels of a project network (`key` is the compose key, e.g. `default`). */
export function networkLabels(project: string, key: string, user: Record<string, string> = {}, version = COMPOSE_VERSION): Record<string, string> {
  return { ...user, [COMPOSE_LABELS.project]: project, [COMPOSE_LABELS.network]: key, [COMPOSE_LABELS.version]: version };
}

/** Labels of a project volume. */
export function volumeLabels(project: string, key: string, user: Record<string, string> = {}, version = COMPOSE_VERSION): Record<string, string> {
  return { ...user, [COMPOSE_LABELS.project]: project, [COMPOSE_LABELS.volume]: key, [COMPOSE_LABELS.version]: version };
}

/** Label filters that find a project's (or one service's) non-one-off containers, as compose looks them up. */
export function projectFilters(project: string, service?: string, oneoff = false): string[] {
  const f = [`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.oneoff}=${oneoff ? 'True' : 'False'}`];
  if (service !== undefined) f.push(`${COMPOSE_LABELS.service}=${service}`);
  return f;
}
