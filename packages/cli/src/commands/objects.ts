import type { CommandContext } from '../context.js';
import { StatusError, daemonMessage } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { filtersJson } from '../filters.js';
import { inspectKinds } from './inspect.js';
import { humanSize } from '../format/index.js';

function requireArgs(name: string, args: string[], min: number, exact = false): void {
  if (exact ? args.length !== min : args.length < min) {
    const what = exact ? `exactly ${min} argument${min === 1 ? '' : 's'}` : `at least ${min} argument${min === 1 ? '' : 's'}`;
    throw new StatusError(1, `"tdock ${name}" requires ${what}.\nSee 'tdock ${name} --help'.`);
  }
}

function keyValues(items: string[]): Record<string, string> {
  return Object.fromEntries(items.map((i) => (i.includes('=') ? [i.slice(0, i.indexOf('=')), i.slice(i.indexOf('=') + 1)] : [i, ''])));
}

/** What `tdock volume|network|system` list as their subcommands. */
export const GROUP_COMMANDS: Record<string, Record<string, string>> = {
  volume: { create: 'Create a volume', inspect: 'Display detailed information on one or more volumes', ls: 'List volumes', prune: 'Remove unused local volumes', rm: 'Remove one or more volumes' },
  network: { connect: 'Connect a container to a network', create: 'Create a network', disconnect: 'Disconnect a container from a network', inspect: 'Display detailed information on one or more networks', ls: 'List networks', prune: 'Remove all unused networks', rm: 'Remove one or more networks' },
  system: { df: 'Show tdock disk usage', events: 'Get real time events from the server', info: 'Display system-wide information', prune: 'Remove unused data' },
};

/** The one-line description cobra prints under a group's usage. */
const GROUP_DESCRIPTIONS: Record<string, string> = { volume: 'Manage volumes', network: 'Manage networks', system: 'Manage tdock' };

/** Help for a command group (`tdock volume`, on stdout), or docker's error for an unknown subcommand. */
export function groupHelp(ctx: CommandContext, group: string, sub: string | undefined, subs: Record<string, string>): number {
  if (sub !== undefined && sub !== '--help' && sub !== '-h') {
    throw new StatusError(1, `tdock: unknown command: tdock ${group} ${sub}\n\nUsage:  tdock ${group} COMMAND\n\nRun 'tdock ${group} --help' for more information`);
  }
  // cobra: each name padded to max(11, longest name), then one space.
  const width = Math.max(11, ...Object.keys(subs).map((k) => k.length));
  const description = GROUP_DESCRIPTIONS[group] ? `${GROUP_DESCRIPTIONS[group]}\n\n` : '';
  // Bare `tdock volume` prints to stderr (cobra's ShowHelp(Err)); `--help` to stdout.
  (sub === undefined ? ctx.err.bind(ctx) : ctx.out.bind(ctx))(`Usage:  tdock ${group} COMMAND\n\n${description}Commands:\n${Object.entries(subs).map(([k, v]) => `  ${k.padEnd(width)} ${v}`).join('\n')}\n\nRun 'tdock ${group} COMMAND --help' for more information on a command.\n`);
  return 0;
}

/** `tdock tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` */
export async function tag(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('tag', 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  requireArgs('tag', parsed.args, 2, true);
  const [src, target] = parsed.args as [string, string];
  const colon = target.lastIndexOf(':');
  const hasTag = colon > target.lastIndexOf('/');
  const docker = await ctx.docker();
  await docker.getImage(src).tag({ repo: hasTag ? target.slice(0, colon) : target, tag: hasTag ? target.slice(colon + 1) : 'latest' });
  return 0;
}

/** `tdock rmi [-f] [--no-prune] IMAGE...`: prints Untagged/Deleted lines as docker does. */
export async function rmi(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('rmi', '[OPTIONS] IMAGE [IMAGE...]', 'Remove one or more images').option('-f, --force', 'Force removal of the image').option('--no-prune', 'Do not delete untagged parents');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  requireArgs('rmi', parsed.args, 1);
  const o = parsed.opts as { force?: boolean; prune?: boolean };
  const docker = await ctx.docker();
  let failed = false;
  for (const name of parsed.args) {
    try {
      const items = (await docker.getImage(name).remove({ force: !!o.force, noprune: o.prune === false })) as unknown as { Untagged?: string; Deleted?: string }[];
      for (const i of items) ctx.out(i.Untagged ? `Untagged: ${i.Untagged}\n` : `Deleted: ${i.Deleted}\n`);
    } catch (err) {
      failed = true;
      ctx.err(`${daemonMessage(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** `tdock volume create|rm|inspect|prune` (ls is in lists.ts). */
export async function volume(ctx: CommandContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const cmd = makeCommand('volume create', '[OPTIONS] [VOLUME]', 'Create a volume')
        .option('-d, --driver <string>', 'Specify volume driver name', 'local')
        .option('--label <list>', 'Set metadata for a volume', collect, [])
        .option('-o, --opt <map>', 'Set driver specific options', collect, [])
        .option('--name <string>', 'Specify volume name');
      const parsed = parseArgs(cmd, rest, (t) => ctx.out(t));
      if (!parsed) return 0;
      const o = parsed.opts as { driver: string; label: string[]; opt: string[]; name?: string };
      const v = (await (await ctx.docker()).createVolume({ Name: parsed.args[0] ?? o.name ?? '', Driver: o.driver, DriverOpts: keyValues(o.opt), Labels: keyValues(o.label) })) as unknown as { name: string };
      ctx.out(`${v.name}\n`);
      return 0;
    }
    case 'rm':
    case 'remove': {
      const parsed = parseArgs(makeCommand('volume rm', '[OPTIONS] VOLUME [VOLUME...]', 'Remove one or more volumes').option('-f, --force', 'Force the removal of one or more volumes'), rest, (t) => ctx.out(t));
      if (!parsed) return 0;
      requireArgs('volume rm', parsed.args, 1);
      let failed = false;
      for (const name of parsed.args) {
        try {
          await (await ctx.docker()).getVolume(name).remove({ force: !!parsed.opts.force } as never);
          ctx.out(`${name}\n`);
        } catch (err) {
          failed = true;
          ctx.err(`${daemonMessage(err)}\n`);
        }
      }
      return failed ? 1 : 0;
    }
    case 'inspect':
      return inspectKinds(ctx, rest, 'volume inspect', ['volume']);
    case 'prune':
      return volumePrune(ctx, rest);
    case 'ls':
    case 'list':
      return (await import('./lists.js')).volumeLs(ctx, rest);
    default:
      return groupHelp(ctx, 'volume', sub, GROUP_COMMANDS.volume);
  }
}

/** `tdock network create|rm|inspect|connect|disconnect|prune` (ls is in lists.ts). */
export async function network(ctx: CommandContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      // pflag StringSlice flags: repeatable, and comma-separated values split.
      const slice = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',')];
      const cmd = makeCommand('network create', '[OPTIONS] NETWORK', 'Create a network')
        .option('--attachable', 'Enable manual container attachment')
        .option('--aux-address <map>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver', collect, [])
        .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
        .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', slice, [])
        .option('--internal', 'Restrict external access to the network')
        .option('--ip-range <strings>', 'Allocate container ip from a sub-range', slice, [])
        .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
        .option('--ipam-opt <map>', 'Set IPAM driver specific options', collect, [])
        .option('--ipv4', 'Enable or disable IPv4 address assignment (default true)')
        .option('--ipv6', 'Enable or disable IPv6 address assignment')
        .option('--label <list>', 'Set metadata on a network', collect, [])
        .option('-o, --opt <map>', 'Set driver specific options', collect, [])
        .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', slice, []);
      const parsed = parseArgs(cmd, rest, (t) => ctx.out(t));
      if (!parsed) return 0;
      requireArgs('network create', parsed.args, 1, true);
      const o = parsed.opts as { attachable?: boolean; auxAddress: string[]; driver: string; gateway: string[]; internal?: boolean; ipRange: string[]; ipamDriver: string; ipamOpt: string[]; ipv4?: boolean; ipv6?: boolean; label: string[]; opt: string[]; subnet: string[] };
      const { createIpamConfig } = await import('../ipam.js');
      const ipam = createIpamConfig({ driver: o.ipamDriver, subnets: o.subnet, ipRanges: o.ipRange, gateways: o.gateway, auxAddresses: keyValues(o.auxAddress), driverOpts: keyValues(o.ipamOpt) });
      const body = {
        Name: parsed.args[0]!, Driver: o.driver, Options: keyValues(o.opt), IPAM: ipam, Internal: !!o.internal, Attachable: !!o.attachable, Labels: keyValues(o.label),
        ...(o.ipv4 !== undefined ? { EnableIPv4: o.ipv4 } : {}), ...(o.ipv6 !== undefined ? { EnableIPv6: o.ipv6 } : {}),
      };
      const net = (await (await ctx.docker()).createNetwork(body)) as unknown as { id: string };
      ctx.out(`${net.id}\n`);
      return 0;
    }
    case 'rm':
    case 'remove': {
      const parsed = parseArgs(makeCommand('network rm', 'NETWORK [NETWORK...]', 'Remove one or more networks').option('-f, --force', 'Do not error if the network does not exist'), rest, (t) => ctx.out(t));
      if (!parsed) return 0;
      requireArgs('network rm', parsed.args, 1);
      let failed = false;
      for (const name of parsed.args) {
        try {
          await (await ctx.docker()).getNetwork(name).remove();
          ctx.out(`${name}\n`);
        } catch (err) {
          if (parsed.opts.force && (err as { statusCode?: number }).statusCode === 404) continue;
          failed = true;
          ctx.err(`${daemonMessage(err)}\n`);
        }
      }
      if (failed) throw new StatusError(1, 'exit status 1');
      return 0;
    }
    case 'connect':
    case 'disconnect': {
      const cmd = makeCommand(`network ${sub}`, '[OPTIONS] NETWORK CONTAINER', `${sub === 'connect' ? 'Connect a container to' : 'Disconnect a container from'} a network`);
      if (sub === 'connect') cmd.option('--alias <list>', 'Add network-scoped alias for the container', collect, []).option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")');
      else cmd.option('-f, --force', 'Force the container to disconnect from a network');
      const parsed = parseArgs(cmd, rest, (t) => ctx.out(t));
      if (!parsed) return 0;
      requireArgs(`network ${sub}`, parsed.args, 2, true);
      const [net, container] = parsed.args as [string, string];
      const o = parsed.opts as { alias?: string[]; ip?: string; force?: boolean };
      if (sub === 'connect') await (await ctx.docker()).getNetwork(net).connect({ Container: container, EndpointConfig: { Aliases: o.alias ?? [], ...(o.ip ? { IPAMConfig: { IPv4Address: o.ip } } : {}) } });
      else await (await ctx.docker()).getNetwork(net).disconnect({ Container: container, Force: !!o.force });
      return 0;
    }
    case 'inspect':
      return inspectKinds(ctx, rest, 'network inspect', ['network']);
    case 'prune':
      return networkPrune(ctx, rest);
    case 'ls':
    case 'list':
      return (await import('./lists.js')).networkLs(ctx, rest);
    default:
      return groupHelp(ctx, 'network', sub, GROUP_COMMANDS.network);
  }
}

/** `tdock volume prune [-a] [-f] [--filter]`: docker/cli volume runPrune. */
async function volumePrune(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('volume prune', '[OPTIONS]', 'Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length) throw new StatusError(1, `"tdock volume prune" accepts no arguments.\nSee 'tdock volume prune --help'.`);
  const o = parsed.opts as { all?: boolean; force?: boolean; filter: string[] };
  const filters = JSON.parse(filtersJson(o.filter) ?? '{}') as Record<string, Record<string, boolean>>;
  if (o.all && filters.all) throw new StatusError(1, 'conflicting options: cannot specify both --all and --filter all=1');
  const what = o.all ? 'all local volumes' : 'anonymous local volumes';
  const { confirm, pruneVolumes, printReport } = await import('../prune.js');
  if (!o.force && !(await confirm(ctx, `WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue?`))) return 0;
  const r = await pruneVolumes(await ctx.docker(), filters, !!o.all);
  printReport(ctx, r);
  ctx.out(`Total reclaimed space: ${humanSize(r.space)}\n`);
  return 0;
}

/** `tdock network prune [-f] [--filter]`: docker/cli network runPrune (no space line). */
async function networkPrune(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('network prune', '[OPTIONS]', 'Remove all unused networks')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length) throw new StatusError(1, `"tdock network prune" accepts no arguments.\nSee 'tdock network prune --help'.`);
  const o = parsed.opts as { force?: boolean; filter: string[] };
  const filters = JSON.parse(filtersJson(o.filter) ?? '{}') as Record<string, Record<string, boolean>>;
  const { confirm, pruneNetworks, printReport } = await import('../prune.js');
  if (!o.force && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?'))) return 0;
  printReport(ctx, await pruneNetworks(await ctx.docker(), filters));
  return 0;
}
