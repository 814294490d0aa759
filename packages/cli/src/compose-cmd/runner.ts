import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { COMPOSE_LABELS, dependencyLevels, networkLabels, projectFilters, serviceImageName, volumeLabels, type Project, type ServiceConfig } from '../compose/index.js';
import { StatusError, daemonMessage } from '../exit.js';
import { CONFIG_HASH_LABEL, endpointConfig, networkName, serviceNetworks, toCreateBody } from './convert.js';

/** A project container as GET /containers/json lists it. */
export type Summary = Dockerode.ContainerInfo;

/** Writes compose v2's plain progress lines (` Container p-web-1  Started`) to stderr. */
export type Progress = (kind: 'Network' | 'Volume' | 'Container' | 'Image', name: string, status: string) => void;

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Drives one Compose project against the daemon: what `up`, `down`, `ps` and the rest share. */
export class ComposeRunner {
  constructor(
    readonly docker: Dockerode,
    readonly project: Project,
    readonly progress: Progress,
  ) {}

  /** The project's containers (one-offs excluded unless asked), optionally of one service. */
  async containers(opts: { all?: boolean; service?: string; oneoff?: boolean } = {}): Promise<Summary[]> {
    const label = projectFilters(this.project.name, opts.service, opts.oneoff ?? false);
    const list = await this.docker.listContainers({ all: opts.all ?? true, filters: JSON.stringify({ label }) });
    return list.sort((a, b) => number(a) - number(b) || a.Names[0]!.localeCompare(b.Names[0]!));
  }

  /** Every container labelled with the project, services in the file or not. */
  async allProjectContainers(): Promise<Summary[]> {
    return this.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${COMPOSE_LABELS.project}=${this.project.name}`] }) });
  }

  /** Creates the project's networks that services use and do not exist yet; checks external ones. */
  async ensureNetworks(services: ServiceConfig[]): Promise<void> {
    const keys = new Set(services.flatMap((s) => (s.network_mode ? [] : Object.keys(s.networks))));
    for (const key of [...keys].sort()) {
      const net = this.project.networks[key];
      const name = networkName(this.project, key);
      try {
        await this.docker.getNetwork(name).inspect();
        continue;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      if (net?.external) throw new StatusError(1, `network ${name} declared as external, but could not be found`);
      this.progress('Network', name, 'Creating');
      const ipam = net?.ipam
        ? { Driver: net.ipam.driver ?? 'default', Config: net.ipam.config.map((c) => ({ ...(c.subnet ? { Subnet: c.subnet } : {}), ...(c.ip_range ? { IPRange: c.ip_range } : {}), ...(c.gateway ? { Gateway: c.gateway } : {}) })), Options: net.ipam.options }
        : undefined;
      await this.docker.createNetwork({
        Name: name, Driver: net?.driver ?? 'bridge', Internal: net?.internal ?? false, Attachable: net?.attachable ?? false,
        ...(net?.enable_ipv6 ? { EnableIPv6: true } : {}), ...(ipam ? { IPAM: ipam } : {}), Options: net?.driver_opts ?? {}, Labels: networkLabels(this.project.name, key, net?.labels ?? {}),
      } as Dockerode.NetworkCreateOptions);
      this.progress('Network', name, 'Created');
    }
  }

  /** Creates the declared named volumes that do not exist yet; checks external ones. */
  async ensureVolumes(services: ServiceConfig[]): Promise<void> {
    const keys = new Set(services.flatMap((s) => s.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)));
    for (const key of [...keys].sort()) {
      const vol = this.project.volumes[key];
      const name = vol?.name ?? `${this.project.name}_${key}`;
      try {
        await this.docker.getVolume(name).inspect();
        continue;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      if (vol?.external) throw new StatusError(1, `external volume "${name}" not found`);
      this.progress('Volume', `"${name}"`, 'Creating');
      await this.docker.createVolume({ Name: name, Driver: vol?.driver ?? 'local', DriverOpts: vol?.driver_opts ?? {}, Labels: volumeLabels(this.project.name, key, vol?.labels ?? {}) });
      this.progress('Volume', `"${name}"`, 'Created');
    }
  }

  /** Image IDs seen by `ensureImage` when the image was already present, by name. */
  readonly imageIds = new Map<string, string>();

  /** Makes sure the service's image is there: pulled (pull_policy missing|always) or built. */
  async ensureImage(service: ServiceConfig, opts: { build?: boolean; noBuild?: boolean; pull?: (image: string) => Promise<void>; buildImage?: (service: ServiceConfig, image: string) => Promise<void> }): Promise<string> {
    const image = serviceImageName(this.project.name, service);
    if (service.build && opts.build && opts.buildImage) {
      await opts.buildImage(service, image);
      return image;
    }
    const policy = service.pull_policy ?? 'missing';
    if (policy === 'always' && opts.pull) await opts.pull(image);
    try {
      this.imageIds.set(image, (await this.docker.getImage(image).inspect()).Id);
      return image;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    if (service.build && !opts.noBuild && opts.buildImage) await opts.buildImage(service, image);
    else if (policy === 'never') throw new StatusError(1, `Error response from daemon: No such image: ${image}`);
    else if (opts.pull) await opts.pull(image);
    return image;
  }

  /** Creates one container of a service (number n), connects its other networks; returns its ID. */
  async createContainer(service: ServiceConfig, n: number, name: string, containerOf: (s: string) => string | undefined): Promise<string> {
    this.progress('Container', name, 'Creating');
    const body = toCreateBody(this.project, service, { number: n, containerOf });
    const c = await this.docker.createContainer({ ...body, name } as Dockerode.ContainerCreateOptions);
    for (const key of serviceNetworks(service).slice(1)) {
      await this.docker.getNetwork(networkName(this.project, key)).connect({ Container: c.id, EndpointConfig: endpointConfig(service, key) });
    }
    this.progress('Container', name, 'Created');
    return c.id;
  }

  async start(id: string, name: string): Promise<void> {
    this.progress('Container', name, 'Starting');
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) !== 304) throw new StatusError(1, `Error response from daemon: ${daemonMessage(err).replace(/^Error response from daemon: /, '')}`);
    }
    this.progress('Container', name, 'Started');
  }

  async stopAndRemove(c: Summary, opts: { timeout?: number; volumes?: boolean }): Promise<void> {
    const name = c.Names[0]!.replace(/^\//, '');
    if (c.State === 'running' || c.State === 'paused' || c.State === 'restarting') {
      this.progress('Container', name, 'Stopping');
      await this.docker.getContainer(c.Id).stop(opts.timeout === undefined ? {} : { t: opts.timeout }).catch((err) => {
        if (statusOf(err) !== 304) throw err;
      });
      this.progress('Container', name, 'Stopped');
    }
    this.progress('Container', name, 'Removing');
    await this.docker.getContainer(c.Id).remove({ v: !!opts.volumes, force: true });
    this.progress('Container', name, 'Removed');
  }

  /** The dependency levels of the selected services (a cycle is an error). */
  levels(names: string[]): string[][] {
    const all = { ...this.project.disabledServices, ...this.project.services };
    const selected = Object.fromEntries(names.map((n) => [n, all[n]!]));
    return dependencyLevels(selected).map((level) => level.filter((n) => n in selected));
  }

  /** A random one-off slug (64 hex), as compose's. */
  static slug(): string {
    return randomBytes(32).toString('hex');
  }

  /** Whether a container's config hash matches the service's current configuration. */
  static upToDate(c: Summary, hash: string): boolean {
    return c.Labels?.[CONFIG_HASH_LABEL] === hash;
  }
}

/** The replica number of a container (its label), 0 when absent. */
export function number(c: Summary): number {
  return Number(c.Labels?.[COMPOSE_LABELS.containerNumber] ?? 0);
}
