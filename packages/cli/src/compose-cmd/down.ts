import { COMPOSE_LABELS, serviceImageName } from '../compose/index.js';
import { networkName } from './convert.js';
import { ComposeRunner, type Summary } from './runner.js';

export interface DownOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  rmi?: 'local' | 'all';
  timeout?: number;
}

/** `compose down`: containers in reverse dependency order, then networks, volumes and images. */
export async function down(runner: ComposeRunner, o: DownOptions): Promise<void> {
  const project = runner.project;
  const all = { ...project.disabledServices, ...project.services };
  const containers = await runner.allProjectContainers();
  const byService = new Map<string, Summary[]>();
  const orphans: Summary[] = [];
  for (const c of containers) {
    const svc = c.Labels?.[COMPOSE_LABELS.service] ?? '';
    if (!(svc in all) && c.Labels?.[COMPOSE_LABELS.oneoff] !== 'True') orphans.push(c);
    else (byService.get(svc) ?? byService.set(svc, []).get(svc)!).push(c);
  }
  const known = [...byService.keys()].filter((s) => s in all);
  for (const level of runner.levels(known).reverse()) {
    await Promise.all(level.flatMap((s) => (byService.get(s) ?? []).map((c) => runner.stopAndRemove(c, { timeout: o.timeout, volumes: o.volumes }))));
  }
  if (o.removeOrphans) await Promise.all(orphans.map((c) => runner.stopAndRemove(c, { timeout: o.timeout, volumes: o.volumes })));
  const netKeys = new Set(Object.values(all).flatMap((s) => (s.network_mode ? [] : Object.keys(s.networks))));
  for (const key of [...netKeys].sort()) {
    if (project.networks[key]?.external) continue;
    const name = networkName(project, key);
    try {
      const info = (await runner.docker.getNetwork(name).inspect()) as { Labels?: Record<string, string> };
      if (info.Labels?.[COMPOSE_LABELS.project] !== project.name) continue;
    } catch {
      continue;
    }
    runner.progress('Network', name, 'Removing');
    await runner.docker.getNetwork(name).remove();
    runner.progress('Network', name, 'Removed');
  }
  if (o.volumes) {
    for (const [, vol] of Object.entries(project.volumes).sort(([a], [b]) => a.localeCompare(b))) {
      if (vol.external) continue;
      try {
        await runner.docker.getVolume(vol.name).inspect();
      } catch {
        continue;
      }
      runner.progress('Volume', vol.name, 'Removing');
      await runner.docker.getVolume(vol.name).remove();
      runner.progress('Volume', vol.name, 'Removed');
    }
  }
  if (o.rmi) {
    for (const svc of Object.values(all)) {
      if (o.rmi === 'local' && svc.image) continue;
      const image = serviceImageName(project.name, svc);
      try {
        runner.progress('Image', image, 'Removing');
        await runner.docker.getImage(image).remove();
        runner.progress('Image', image, 'Removed');
      } catch {
        // Missing or in use: compose goes on.
      }
    }
  }
}
