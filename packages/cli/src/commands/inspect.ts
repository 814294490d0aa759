import type Dockerode from 'dockerode';
import type { CommandContext } from '../context.js';
import { StatusError, daemonMessage } from '../exit.js';
import { makeCommand, parseArgs } from '../flags.js';
import { renderTemplate } from '../format/index.js';

type Kind = 'container' | 'image' | 'network' | 'volume';
const ORDER: Kind[] = ['container', 'image', 'network', 'volume'];

async function inspectOne(docker: Dockerode, kind: Kind, name: string, size: boolean): Promise<unknown> {
  switch (kind) {
    case 'container': return docker.getContainer(name).inspect({ size } as never);
    case 'image': return docker.getImage(name).inspect();
    case 'network': return docker.getNetwork(name).inspect();
    case 'volume': return docker.getVolume(name).inspect();
  }
}

/** `tdock inspect`: tries container, image, network, volume in turn, as docker does. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  return inspectKinds(ctx, argv, 'inspect', ORDER);
}

/** The shared body of `inspect` and `container|image|network|volume inspect`. */
export async function inspectKinds(ctx: CommandContext, argv: string[], name: string, kinds: Kind[]): Promise<number> {
  const cmd = makeCommand(name, '[OPTIONS] NAME|ID [NAME|ID...]', 'Return low-level information on Docker objects')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .option('--type <string>', 'Only inspect objects of the given type');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length < 1) throw new StatusError(1, `"tdock ${name}" requires at least 1 argument.\nSee 'tdock ${name} --help'.`);
  const o = parsed.opts as { format?: string; size?: boolean; type?: string };
  const order = o.type ? [o.type as Kind] : kinds;
  const docker = await ctx.docker();
  const found: unknown[] = [];
  let failed = false;
  for (const target of parsed.args) {
    let value: unknown;
    let notFound: unknown;
    for (const kind of order) {
      try {
        value = await inspectOne(docker, kind, target, !!o.size);
        break;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
        notFound = err;
      }
    }
    if (value === undefined) {
      failed = true;
      // A typed inspect (`volume inspect`, `--type image`) reports the daemon's own words, as docker does.
      ctx.err(order.length === 1 ? `${daemonMessage(notFound)}\n` : `Error: No such object: ${target}\n`);
    } else found.push(value);
  }
  if (o.format) for (const v of found) ctx.out(`${renderTemplate(o.format, v)}\n`);
  else ctx.out(`${JSON.stringify(found, null, 4)}\n`);
  return failed ? 1 : 0;
}
