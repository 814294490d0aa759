import type { CommandContext } from '../context.js';
import { StatusError } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { filtersJson } from '../filters.js';
import { bytesSize, humanSize, humanSizeWithPrecision, naturalLess, renderTemplate, tabwrite, DOCKER_TABWRITER } from '../format/index.js';

/** The parts of Docker's stats JSON that `docker stats` shows. */
interface StatsJson {
  id?: string;
  name?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

/** One row of `docker stats`, computed as docker/cli's formatter does. */
export function statsRow(s: StatsJson, id: string): string[] {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus ?? 1;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const cache = s.memory_stats?.stats?.total_inactive_file ?? s.memory_stats?.stats?.inactive_file ?? 0;
  const mem = Math.max(0, (s.memory_stats?.usage ?? 0) - cache);
  const limit = s.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') read += e.value;
    if (e.op.toLowerCase() === 'write') write += e.value;
  }
  const h = (n: number): string => humanSizeWithPrecision(n, 3);
  return [
    id.slice(0, 12), (s.name ?? '').replace(/^\//, ''), `${cpu.toFixed(2)}%`, `${bytesSize(mem)} / ${bytesSize(limit)}`,
    `${limit ? ((mem / limit) * 100).toFixed(2) : '0.00'}%`, `${h(rx)} / ${h(tx)}`, `${h(read)} / ${h(write)}`, String(s.pids_stats?.current ?? 0),
  ];
}

const STATS_HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

/** `tdock stats [--no-stream] [CONTAINER...]`: a live table, redrawn every second on a terminal. */
export async function stats(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('stats', '[OPTIONS] [CONTAINER...]', 'Display a live stream of container(s) resource usage statistics')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', 'Do not truncate output');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const o = parsed.opts as { all?: boolean; format?: string; stream?: boolean };
  const docker = await ctx.docker();
  const ids = parsed.args.length ? parsed.args : (await docker.listContainers({ all: !!o.all })).map((c) => c.Id);
  const once = async (): Promise<string> => {
    const rows = await Promise.all(ids.map(async (id) => {
      const s = (await docker.getContainer(id).stats({ stream: false })) as unknown as StatsJson;
      return o.format ? renderTemplate(o.format, s) : statsRow(s, s.id ?? id).join('\t');
    }));
    return o.format ? rows.join('\n') + '\n' : tabwrite([STATS_HEADER.join('\t'), ...rows].join('\n') + '\n', DOCKER_TABWRITER);
  };
  if (o.stream === false || !(ctx.io.stdout as NodeJS.WriteStream).isTTY) {
    ctx.out(await once());
    return 0;
  }
  for (;;) {
    const text = await once();
    ctx.out(`\x1b[2J\x1b[H${text}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `tdock system df|prune|info|events` */
export async function system(ctx: CommandContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'df':
      return df(ctx, rest);
    case 'prune':
      return prune(ctx, rest);
    case 'info':
      return (await import('./info.js')).run(ctx, rest);
    case 'events':
      return (await import('./more.js')).events(ctx, rest);
    default: {
      const { groupHelp, GROUP_COMMANDS } = await import('./objects.js');
      return groupHelp(ctx, 'system', sub, GROUP_COMMANDS.system!);
    }
  }
}

interface DiskUsage {
  LayersSize?: number;
  Images?: { Containers: number; Size: number; SharedSize: number }[] | null;
  Containers?: { State: string; SizeRw?: number }[] | null;
  Volumes?: { UsageData?: { Size: number; RefCount: number } }[] | null;
  BuildCache?: { Size: number; InUse: boolean }[] | null;
}

async function df(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('system df', '[OPTIONS]', 'Show docker disk usage').option('-v, --verbose', 'Show detailed information on space usage').option('--format <string>', 'Format output using a custom template'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const docker = await ctx.docker();
  const d = (await docker.df()) as DiskUsage;
  const h = humanSize;
  const pct = (part: number, total: number): string => (total > 0 ? ` (${Math.trunc((part * 100) / total)}%)` : '');
  const images = d.Images ?? [];
  const activeImages = images.filter((i) => i.Containers > 0);
  const imagesSize = d.LayersSize ?? 0;
  const reclaimImages = imagesSize - activeImages.reduce((a, i) => a + i.Size - i.SharedSize, 0);
  const containers = d.Containers ?? [];
  const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => c.State !== 'running').reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const vols = d.Volumes ?? [];
  const vSize = vols.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vReclaim = vols.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const cache = d.BuildCache ?? [];
  const bSize = cache.reduce((a, b) => a + b.Size, 0);
  const bReclaim = cache.filter((b) => !b.InUse).reduce((a, b) => a + b.Size, 0);
  const rows = [
    'TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE',
    `Images\t${images.length}\t${activeImages.length}\t${h(imagesSize)}\t${h(Math.max(0, reclaimImages))}${pct(Math.max(0, reclaimImages), imagesSize)}`,
    `Containers\t${containers.length}\t${containers.filter((c) => c.State === 'running').length}\t${h(cSize)}\t${h(cReclaim)}${pct(cReclaim, cSize)}`,
    `Local Volumes\t${vols.length}\t${vols.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length}\t${h(vSize)}\t${h(vReclaim)}${pct(vReclaim, vSize)}`,
    `Build Cache\t${cache.length}\t${cache.filter((b) => b.InUse).length}\t${h(bSize)}\t${h(bReclaim)}`,
  ];
  ctx.out(tabwrite(rows.join('\n') + '\n', DOCKER_TABWRITER));
  return 0;
}

/** `tdock system prune`: docker/cli system runPrune (containers, networks, [volumes], images, build cache). */
async function prune(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('system prune', '[OPTIONS]', 'Remove unused data')
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length) throw new StatusError(1, `"tdock system prune" accepts no arguments.\nSee 'tdock system prune --help'.`);
  const o = parsed.opts as { all?: boolean; filter: string[]; force?: boolean; volumes?: boolean };
  const filters = JSON.parse(filtersJson(o.filter) ?? '{}') as Record<string, Record<string, boolean>>;
  if (o.volumes && filters.until) throw new StatusError(1, 'ERROR: The "until" filter is not supported with "--volumes"');
  const p = await import('../prune.js');
  if (!o.force && !(await p.confirm(ctx, confirmationMessage(o.all === true, o.volumes === true, filters)))) return 0;
  const docker = await ctx.docker();
  const steps = [
    () => p.pruneContainers(docker, filters),
    () => p.pruneNetworks(docker, filters),
    ...(o.volumes ? [() => p.pruneVolumes(docker, filters, false)] : []),
    () => p.pruneImages(docker, filters, !!o.all),
    () => p.pruneBuildCache(docker, filters, !!o.all),
  ];
  let reclaimed = 0;
  for (const step of steps) {
    const r = await step();
    reclaimed += r.space;
    p.printReport(ctx, r);
  }
  ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

/** docker/cli's confirmationTemplate for `system prune`. */
function confirmationMessage(all: boolean, volumes: boolean, filters: Record<string, Record<string, boolean>>): string {
  const warnings = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(volumes ? ['all anonymous volumes not used by at least one container'] : []),
    all ? 'all images without at least one container associated to them' : 'all dangling images',
    all ? 'all build cache' : 'unused build cache',
  ];
  const shown = ['label', 'label!', 'until'].flatMap((name) => Object.keys(filters[name] ?? {}).map((v) => `${name}=${v}`));
  shown.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  const filterText = shown.length ? `\n  Items to be pruned will be filtered with:${shown.map((f) => `\n  - ${f}`).join('')}\n` : '';
  return `WARNING! This will remove:${warnings.map((w) => `\n  - ${w}`).join('')}\n${filterText}\nAre you sure you want to continue?`;
}
