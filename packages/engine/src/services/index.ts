// The composition root of the engine's services (DESIGN §2): stores, runtime, event bus and the
// Services the HTTP layer calls. `createServices` opens everything under the injected roots and
// reconnects to running containers (live-restore).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, loadDockerDefaultProfile, detectCgroups } from '@tdock/runtime';
import { RegistryClient } from '@tdock/registry-client';
import { familiarString, parseReference } from '@tdock/core';
import { createEventHub, type EventHub } from '../api/events-hub.js';
import { engineId, readHostFacts } from '../api/host-system.js';
import type { NetworkService, Services, SystemService } from '../api/services.js';
import type { ContainerNetworking } from './networking.js';
import type { JsonObject } from '../api/types.js';
import { ImageStore } from '../store/image-store.js';
import { sysFsOps, sysMountOps } from '../store/sys-ops.js';
import { createBuildService } from '../build/index.js';
import { Containers } from './containers.js';
import { Execs } from './exec.js';
import { imageService } from './images.js';
import { PredefinedNetworks } from './networks.js';
import { ContainerStore } from './records.js';
import { LocalVolumes } from './volumes.js';

export { Containers } from './containers.js';
export { Execs } from './exec.js';
export { imageService, credentialsOf } from './images.js';
export { LocalVolumes } from './volumes.js';
export { ContainerStore } from './records.js';
export type { ContainerRecord, ContainerState, MountPoint } from './records.js';
export { parseDetachKeys, readLogs, timeNs } from './streams.js';
export { randomId, randomName, NAME_RE } from './names.js';
export type { ContainerNetworking } from './networking.js';


/** A logger (pino's shape). */
export interface ServicesLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Roots and names the services use; all injected (DESIGN §10.4). */
export interface ServicesOptions {
  /** Persistent state: content, snapshots, images, containers, volumes. */
  dataRoot: string;
  /** Short directory for shim sockets (unix socket paths stop at 107 bytes), e.g. /run/tdock. */
  runRoot: string;
  /** cgroup parent of the containers (e.g. `tdock`; tests `tdock-test-<id>`). */
  cgroupParent: string;
  /** Default `/sys/fs/cgroup`; null: containers get no cgroups (no limits, stats, pause). */
  cgroupRoot?: string | null;
  logger?: ServicesLogger;
  /** Pre-started shim+init pairs (DESIGN §1). Default 0. */
  shimPool?: number;
  registry?: { insecureRegistries?: string[]; mirrors?: string[]; certsDir?: string };
  /** Shared event bus (default: a new one). */
  events?: EventHub;
  /**
   * The networking service (`NetworkManager` from src/network fits): the NetworkService the API
   * serves and what containers attach through. Absent: the predefined networks only, `bridge`
   * degrades to a private namespace with loopback.
   */
  networking?: ContainerNetworking & NetworkService;
  /** Reported by `/version`. */
  buildTime?: string;
  gitCommit?: string;
}

/** Services plus what the daemon needs to shut down. */
export interface EngineServices extends Services {
  events: EventHub;
  /** Stops timers and pooled shims and unmounts volumes; running containers keep running. */
  close(): Promise<void>;
}

const silent: ServicesLogger = { info: () => undefined, warn: () => undefined };

/** Opens the stores and the runtime, restores running containers, and returns the Services. */
export async function createServices(opts: ServicesOptions): Promise<EngineServices> {
  const log = opts.logger ?? silent;
  const events = opts.events ?? createEventHub();
  const publish = (e: Parameters<EventHub['publish']>[0]): void => void events.publish(e);
  fs.mkdirSync(opts.dataRoot, { recursive: true, mode: 0o711 });
  fs.mkdirSync(opts.runRoot, { recursive: true, mode: 0o711 });
  const cgroupRoot = opts.cgroupRoot === undefined ? '/sys/fs/cgroup' : opts.cgroupRoot;
  const store = new ContainerStore(path.join(opts.dataRoot, 'containers'));
  store.load((m) => log.warn({}, m));
  const volumes = new LocalVolumes(path.join(opts.dataRoot, 'volumes'), publish);
  volumes.load();
  const late: { containers?: Containers } = {};
  const images = await ImageStore.open({ dataRoot: opts.dataRoot, fsOps: sysFsOps(), usedBy: (id) => late.containers?.imageUser(id) });
  const runtime = new Runtime({
    stateRoot: path.join(opts.dataRoot, 'runtime'),
    socketDir: opts.runRoot,
    ...(cgroupRoot ? { cgroups: { root: cgroupRoot, parent: opts.cgroupParent } } : {}),
  });
  if (opts.shimPool) await runtime.prestart(opts.shimPool);
  const cgroupVersion = cgroupRoot ? detectCgroups(cgroupRoot).version : undefined;
  const ctr = new Containers({
    store, images, volumes, runtime, publish, log,
    seccompProfile: loadDockerDefaultProfile(),
    ...(opts.networking ? { networking: opts.networking } : {}),
    ...(cgroupVersion ? { cgroupVersion } : {}),
    hostLimits: () => ({ features: runtime.cgroupFeatures(), ncpu: os.availableParallelism() }),
    pidOf: (ref) => {
      const r = store.get(ref);
      if (!r.State.Running) throw new Error(`cannot join the namespaces of container ${r.Id}: it is not running`);
      return r.State.Pid;
    },
    imageName: (imageId, ref) => {
      const rec = images.tryResolve(ref);
      if (rec && rec.id === imageId) return ref;
      const refs = images.metadata.referencesOf(imageId);
      return refs[0] ? familiarString(parseReference(refs[0])) : imageId;
    },
  });
  late.containers = ctr;
  volumes.inUse = (name) => ctr.volumeUsers(name);
  await ctr.restore();
  const exec = new Execs({ store, runtime, publish });
  const id = engineId(opts.dataRoot);
  const system: SystemService = {
    facts: async () => readHostFacts({ dataRoot: opts.dataRoot, ...(cgroupRoot ? { cgroupRoot } : {}), ...(opts.buildTime ? { buildTime: opts.buildTime } : {}), ...(opts.gitCommit ? { gitCommit: opts.gitCommit } : {}) }, () => ({ containers: ctr.counts(), images: images.metadata.images().length })),
    diskUsage: async () => {
      const du = await images.diskUsage((imageId) => store.all().filter((r) => r.Image === imageId).length);
      const cs = await ctr.list({ all: true, limit: -1, size: true, filters: new Map() });
      return { LayersSize: du.LayersSize, Images: du.Images as unknown as JsonObject[], Containers: cs, Volumes: volumes.diskUsage(), BuildCache: [] };
    },
    auth: async (config, signal) => {
      const client = new RegistryClient({ ...(opts.registry?.insecureRegistries ? { insecureRegistries: opts.registry.insecureRegistries } : {}) });
      try {
        await client.login(config.serveraddress || 'https://index.docker.io/v1/', { ...(config.username ? { username: config.username } : {}), ...(config.password ? { password: config.password } : {}), ...(config.identitytoken ? { identityToken: config.identitytoken } : {}) }, { signal });
      } finally {
        await client.close();
      }
      return { Status: 'Login Succeeded', IdentityToken: '' };
    },
  };
  const imageSvc = imageService({ store: images, publish, containerCount: (imageId) => store.all().filter((r) => r.Image === imageId).length, ...(opts.registry ? { registry: opts.registry } : {}) });
  const build = createBuildService({
    store: images, runtime, images: imageSvc, mounts: sysMountOps(), seccompProfile: loadDockerDefaultProfile(), ...(cgroupVersion ? { cgroupVersion } : {}),
    ...(opts.networking ? { networking: opts.networking } : {}),
    keepContainer: (k) => ctr.adoptBuildContainer(k),
    containers: {
      reserveName: (cid) => store.reserveName(cid, undefined).slice(1),
      releaseName: (name) => store.releaseName(`/${name}`),
      event: (action, cid, attributes) => publish({ Type: 'container', Action: action, Actor: { ID: cid, Attributes: attributes } }),
    },
    onImage: (imageId, tags) => tags.forEach((name) => publish({ Type: 'image', Action: 'tag', Actor: { ID: imageId, Attributes: { name } } })),
  });
  return {
    system, containers: ctr, exec, events, volumes, build,
    images: imageSvc,
    networks: opts.networking ?? new PredefinedNetworks(store, id),
    async close(): Promise<void> {
      ctr.close();
      runtime.close();
      volumes.close();
    },
  };
}
