import type Dockerode from 'dockerode';
import { COMPOSE_LABELS, containerName, selectServices, serviceConfigHash, type ServiceConfig } from '../compose/index.js';
import { StatusError } from '../exit.js';
import { ComposeRunner, number, type Summary } from './runner.js';

export interface UpOptions {
  services: string[];
  build?: boolean;
  noBuild?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  noDeps?: boolean;
  removeOrphans?: boolean;
  noStart?: boolean;
  scale: Record<string, number>;
  timeout?: number;
  pull: (image: string) => Promise<void>;
  buildImage?: (service: ServiceConfig, image: string) => Promise<void>;
  warn: (text: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for a dependency's condition as compose v2's `waitDependencies` (polls every 500 ms). */
async function waitFor(runner: ComposeRunner, dep: string, condition: string, required: boolean): Promise<void> {
  if (condition === 'service_started') return;
  const list = await runner.containers({ service: dep });
  for (const c of list) {
    const name = c.Names[0]!.replace(/^\//, '');
    runner.progress('Container', name, 'Waiting');
    for (;;) {
      const info = await runner.docker.getContainer(c.Id).inspect();
      if (condition === 'service_healthy') {
        const health = (info.State as { Health?: { Status: string } }).Health;
        if (!health) {
          if (!required) break;
          throw new StatusError(1, `dependency failed to start: container ${name} has no healthcheck configured`);
        }
        if (health.Status === 'healthy') {
          runner.progress('Container', name, 'Healthy');
          break;
        }
        if (health.Status === 'unhealthy') throw new StatusError(1, `dependency failed to start: container ${name} is unhealthy`);
        if (!info.State.Running) throw new StatusError(1, `dependency failed to start: container ${name} exited (${info.State.ExitCode})`);
      } else if (condition === 'service_completed_successfully') {
        if (!info.State.Running && info.State.Status !== 'created') {
          if (info.State.ExitCode !== 0) throw new StatusError(1, `service "${dep}" didn't complete successfully: exit ${info.State.ExitCode}`);
          runner.progress('Container', name, 'Exited');
          break;
        }
      }
      await sleep(500);
    }
  }
}

async function imageId(docker: Dockerode, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** Converges one service to `scale` containers with its current configuration. */
async function convergeService(runner: ComposeRunner, service: ServiceConfig, scale: number, o: UpOptions, firstContainer: Map<string, string>): Promise<void> {
  const image = await runner.ensureImage(service, { build: o.build, noBuild: o.noBuild, pull: o.pull, buildImage: o.buildImage });
  const digest = runner.imageIds.get(image) ?? (await imageId(runner.docker, image));
  const hash = serviceConfigHash(service);
  const existing = await runner.containers({ service: service.name });
  const containerOf = (s: string): string | undefined => firstContainer.get(s);
  if (service.container_name && scale > 1) throw new StatusError(1, `service "${service.name}" has container_name set and can not be scaled`);
  const byNumber = new Map<number, Summary>();
  for (const c of existing) {
    if (byNumber.has(number(c)) || number(c) > scale || number(c) < 1) {
      await runner.stopAndRemove(c, { timeout: o.timeout });
    } else byNumber.set(number(c), c);
  }
  for (let n = 1; n <= scale; n++) {
    const name = containerName(runner.project.name, service, n);
    const c = byNumber.get(n);
    let id: string;
    if (!c) {
      id = await runner.createContainer(service, n, name, containerOf);
      if (!o.noStart) await runner.start(id, name);
    } else {
      const stale = !ComposeRunner.upToDate(c, hash) || (digest !== undefined && c.Labels?.[COMPOSE_LABELS.image] !== undefined && c.Labels[COMPOSE_LABELS.image] !== digest);
      if (o.forceRecreate || (stale && !o.noRecreate)) {
        runner.progress('Container', name, 'Recreate');
        const old = runner.docker.getContainer(c.Id);
        if (c.State === 'running') await old.stop(o.timeout === undefined ? {} : { t: o.timeout }).catch(() => {});
        await old.rename({ name: `${c.Id.slice(0, 12)}_${name}` });
        id = await runner.createContainer(service, n, name, containerOf);
        await old.remove({ force: true });
        runner.progress('Container', name, 'Recreated');
        if (!o.noStart) await runner.start(id, name);
      } else {
        id = c.Id;
        if (c.State === 'running') runner.progress('Container', name, 'Running');
        else if (!o.noStart) await runner.start(id, name);
      }
    }
    if (n === 1) firstContainer.set(service.name, id);
  }
}

/** `compose up`: networks, volumes, then each dependency level in parallel, waiting on conditions. */
export async function up(runner: ComposeRunner, o: UpOptions): Promise<string[]> {
  const project = runner.project;
  const names = selectServices(project, o.services, o.noDeps);
  const all = { ...project.disabledServices, ...project.services };
  const services = names.map((n) => all[n]!);
  await runner.ensureNetworks(services);
  await runner.ensureVolumes(services);
  const orphans = (await runner.allProjectContainers()).filter((c) => c.Labels?.[COMPOSE_LABELS.oneoff] !== 'True' && !((c.Labels?.[COMPOSE_LABELS.service] ?? '') in all));
  if (orphans.length) {
    if (o.removeOrphans) for (const c of orphans) await runner.stopAndRemove(c, { timeout: o.timeout });
    else o.warn(`Found orphan containers ([${orphans.map((c) => c.Names[0]!.replace(/^\//, '')).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
  }
  const firstContainer = new Map<string, string>();
  for (const level of runner.levels(names)) {
    await Promise.all(level.map(async (name) => {
      const service = all[name]!;
      for (const [dep, d] of Object.entries(service.depends_on)) if (names.includes(dep)) await waitFor(runner, dep, d.condition, d.required);
      await convergeService(runner, service, o.scale[name] ?? service.scale, o, firstContainer);
    }));
  }
  return names;
}
