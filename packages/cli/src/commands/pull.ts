import type { CommandContext } from '../context.js';
import { StatusError } from '../exit.js';
import { makeCommand, parseArgs } from '../flags.js';
import { pullImage } from '../images.js';
import { StreamError } from '../progress.js';

/** `tdock pull [OPTIONS] NAME[:TAG|@DIGEST]` */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('pull', '[OPTIONS] NAME[:TAG|@DIGEST]', 'Download an image from a registry')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length !== 1) throw new StatusError(125, `"tdock pull" requires exactly 1 argument.\nSee 'tdock pull --help'.`);
  const o = parsed.opts as { allTags?: boolean; platform?: string; quiet?: boolean };
  try {
    await pullImage(ctx, parsed.args[0]!, { platform: o.platform, quiet: o.quiet, all: o.allTags });
  } catch (err) {
    if (err instanceof StreamError) throw new StatusError(1, err.message);
    throw err;
  }
  return 0;
}
