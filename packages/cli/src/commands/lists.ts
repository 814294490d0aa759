import type { CommandContext } from '../context.js';
import { makeCommand, parseArgs, collect } from '../flags.js';
import { filtersJson } from '../filters.js';
import { formatContainers, formatImages, formatNetworks, formatVolumes, type ApiContainerSummary, type ApiImageSummary, type ApiNetwork, type ApiVolume } from '../format/index.js';

function listCommand(name: string, usage: string, description: string): ReturnType<typeof makeCommand> {
  return makeCommand(name, usage, description)
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display IDs');
}

/** `tdock ps`: GET /containers/json rendered as docker's table or --format. */
export async function ps(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = listCommand('ps', '[OPTIONS]', 'List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-s, --size', 'Display total file sizes');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const o = parsed.opts as { all?: boolean; last?: string; latest?: boolean; trunc?: boolean; size?: boolean; filter: string[]; format?: string; quiet?: boolean };
  const docker = await ctx.docker();
  const limit = o.latest ? 1 : o.last !== undefined ? Number(o.last) : undefined;
  const list = (await docker.listContainers({ all: !!o.all || limit !== undefined, ...(limit !== undefined ? { limit } : {}), size: !!o.size, ...(filtersJson(o.filter) ? { filters: filtersJson(o.filter) } : {}) })) as unknown as ApiContainerSummary[];
  ctx.out(formatContainers(list, { format: o.format, quiet: o.quiet, trunc: o.trunc !== false, nowMs: Date.now(), size: o.size }));
  return 0;
}

/** `tdock images`: GET /images/json rendered as docker's table or --format. */
export async function images(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = listCommand('images', '[OPTIONS] [REPOSITORY[:TAG]]', 'List images')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('--no-trunc', "Don't truncate output");
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const o = parsed.opts as { all?: boolean; digests?: boolean; trunc?: boolean; filter: string[]; format?: string; quiet?: boolean };
  const filter = [...o.filter, ...(parsed.args[0] ? [`reference=${parsed.args[0]}`] : [])];
  const docker = await ctx.docker();
  const f = filtersJson(filter);
  const list = (await docker.listImages({ all: !!o.all, ...(f ? { filters: f } : {}) })) as unknown as ApiImageSummary[];
  ctx.out(formatImages(list, { format: o.format, quiet: o.quiet, trunc: o.trunc !== false, nowMs: Date.now(), digests: o.digests }));
  return 0;
}

/** `tdock volume ls` */
export async function volumeLs(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(listCommand('volume ls', '[OPTIONS]', 'List volumes'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const o = parsed.opts as { filter: string[]; format?: string; quiet?: boolean };
  const docker = await ctx.docker();
  const f = filtersJson(o.filter);
  const res = (await docker.listVolumes(f ? { filters: f } : {})) as unknown as { Volumes: ApiVolume[] | null };
  ctx.out(formatVolumes(res.Volumes ?? [], { format: o.format, quiet: o.quiet }));
  return 0;
}

/** `tdock network ls` */
export async function networkLs(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = listCommand('network ls', '[OPTIONS]', 'List networks').option('--no-trunc', 'Do not truncate the output');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const o = parsed.opts as { filter: string[]; format?: string; quiet?: boolean; trunc?: boolean };
  const docker = await ctx.docker();
  const f = filtersJson(o.filter);
  const list = (await docker.listNetworks(f ? { filters: f } : {})) as unknown as ApiNetwork[];
  ctx.out(formatNetworks(list, { format: o.format, quiet: o.quiet, trunc: o.trunc !== false, nowMs: Date.now() }));
  return 0;
}
