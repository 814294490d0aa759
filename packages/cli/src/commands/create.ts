import type { CommandContext } from '../context.js';
import { buildCreateBody, createContainer, parseCreateArgs } from '../create.js';

/** `tdock create [OPTIONS] IMAGE [COMMAND] [ARG...]`: prints the new container's ID. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseCreateArgs(ctx, 'create', argv);
  if (!parsed) return 0;
  const body = buildCreateBody(ctx, parsed);
  const container = await createContainer(ctx, parsed, body, 'create');
  ctx.out(`${container.id}\n`);
  return 0;
}
