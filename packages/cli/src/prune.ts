// The prune commands as docker/cli runs them: a [y/N] question unless -f, then one API call per
// kind, each printing "Deleted X:" and its list, and "Total reclaimed space:" in go-units HumanSize.
import type Dockerode from 'dockerode';
import type { CommandContext } from './context.js';

/**
 * docker/cli prompt.Confirm: writes `message [y/N] ` to stdout and reads one line from stdin; only
 * "y" or "Y" says yes (end of input says no, as when stdin is not a terminal and empty).
 */
export async function confirm(ctx: CommandContext, message: string): Promise<boolean> {
  ctx.out(`${message} [y/N] `);
  const stdin = ctx.io.stdin;
  if (!stdin) return false;
  let line = '';
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    line += chunk.toString();
    const nl = line.indexOf('\n');
    if (nl >= 0) {
      line = line.slice(0, nl);
      break;
    }
  }
  (stdin as NodeJS.ReadStream).pause?.();
  return line.trim().toLowerCase() === 'y';
}

/** What one prune printed and reclaimed. */
export interface PruneReport {
  space: number;
  output: string;
}

type Filters = Record<string, Record<string, boolean>>;

const asQuery = (f: Filters): { filters?: string } => (Object.keys(f).length ? { filters: JSON.stringify(f) } : {});

function listed(title: string, items: string[]): string {
  return items.length ? `${title}:\n${items.map((i) => `${i}\n`).join('')}` : '';
}

export async function pruneContainers(docker: Dockerode, filters: Filters): Promise<PruneReport> {
  const r = (await docker.pruneContainers(asQuery(filters))) as { ContainersDeleted?: string[] | null; SpaceReclaimed?: number };
  const deleted = r.ContainersDeleted ?? [];
  return { space: deleted.length ? r.SpaceReclaimed ?? 0 : 0, output: listed('Deleted Containers', deleted) };
}

export async function pruneNetworks(docker: Dockerode, filters: Filters): Promise<PruneReport> {
  const r = (await docker.pruneNetworks(asQuery(filters))) as { NetworksDeleted?: string[] | null };
  return { space: 0, output: listed('Deleted Networks', r.NetworksDeleted ?? []) };
}

/** Anonymous volumes only, unless `all` (API 1.42's `all=true` filter). */
export async function pruneVolumes(docker: Dockerode, filters: Filters, all: boolean): Promise<PruneReport> {
  const f: Filters = all ? { ...filters, all: { true: true } } : filters;
  const r = (await docker.pruneVolumes(asQuery(f))) as { VolumesDeleted?: string[] | null; SpaceReclaimed?: number };
  const deleted = r.VolumesDeleted ?? [];
  return { space: deleted.length ? r.SpaceReclaimed ?? 0 : 0, output: listed('Deleted Volumes', deleted) };
}

/** Dangling images only, unless `all`. */
export async function pruneImages(docker: Dockerode, filters: Filters, all: boolean): Promise<PruneReport> {
  const r = (await docker.pruneImages(asQuery({ ...filters, dangling: { [String(!all)]: true } }))) as { ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number };
  const deleted = r.ImagesDeleted ?? [];
  const lines = deleted.map((x) => (x.Untagged ? `untagged: ${x.Untagged}` : `deleted: ${x.Deleted}`));
  return { space: deleted.length ? r.SpaceReclaimed ?? 0 : 0, output: listed('Deleted Images', lines) };
}

/** POST /build/prune; a daemon without a builder (501) prunes nothing. */
export async function pruneBuildCache(docker: Dockerode, filters: Filters, all: boolean): Promise<PruneReport> {
  const modem = (docker as unknown as { modem: { dial(opts: unknown, cb: (err: unknown, data: unknown) => void): void } }).modem;
  const r = await new Promise<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>((resolve, reject) => {
    modem.dial({ path: '/build/prune?', method: 'POST', options: { ...asQuery(filters), ...(all ? { all: 'true' } : {}) }, statusCodes: { 200: true, 501: 'not implemented', 500: 'server error' } }, (err, data) => {
      if ((err as { statusCode?: number } | null)?.statusCode === 501) resolve({});
      else if (err) reject(err);
      else resolve((data ?? {}) as { CachesDeleted?: string[] | null; SpaceReclaimed?: number });
    });
  });
  return { space: r.SpaceReclaimed ?? 0, output: listed('Deleted build cache objects', r.CachesDeleted ?? []) };
}

/** Prints a report as docker's commands do (the list, then a blank line). */
export function printReport(ctx: CommandContext, r: PruneReport): void {
  if (r.output) ctx.out(`${r.output}\n`);
}
