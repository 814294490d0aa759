import fs from 'node:fs';
import type { Command } from 'commander';
import type Dockerode from 'dockerode';
import type { CommandContext } from './context.js';
import { StatusError, daemonMessage } from './exit.js';
import { addContainerFlags } from './container-flags.js';
import { makeCommand, parseArgs } from './flags.js';
import { familiarWithTag, pullImage } from './images.js';
import { toCreateBody, type ContainerFlagValues, type CreateBody } from './run-options.js';

export interface ParsedCreate {
  flags: ContainerFlagValues & { pull: string; quiet?: boolean; platform?: string; name?: string; cidfile?: string; detachKeys?: string; sigProxy?: boolean };
  image: string;
  command: string[];
}

/** Parses `create`/`run` arguments; returns null when help was printed. */
export function parseCreateArgs(ctx: CommandContext, name: 'create' | 'run', argv: string[], extra: (cmd: Command) => void = () => {}): ParsedCreate | null {
  const cmd = addContainerFlags(makeCommand(name, '[OPTIONS] IMAGE [COMMAND] [ARG...]', name === 'run' ? 'Create and run a new container from an image' : 'Create a new container', { interspersed: false }));
  extra(cmd);
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return null;
  if (parsed.args.length < 1) throw new StatusError(125, `"tdock ${name}" requires at least 1 argument.\nSee 'tdock ${name} --help'.`);
  const [image, ...command] = parsed.args as [string, ...string[]];
  return { flags: parsed.opts as unknown as ParsedCreate['flags'], image, command };
}

/** The create body for parsed flags, reading --env-file and --label-file. */
export function buildCreateBody(ctx: CommandContext, p: ParsedCreate, consoleSize?: [number, number]): CreateBody {
  const read = (files: string[] = []): string[] => files.map((f) => fs.readFileSync(f, 'utf8'));
  const f = p.flags as ParsedCreate['flags'] & { envFile?: string[]; labelFile?: string[] };
  try {
    return toCreateBody(f, p.image, p.command, { envFiles: read(f.envFile), labelFiles: read(f.labelFile) }, ctx.io.env, consoleSize);
  } catch (err) {
    throw new StatusError(125, `${err instanceof Error ? err.message : String(err)}\nSee 'tdock run --help'.`);
  }
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/**
 * Creates the container as docker does: on "No such image" (404) it prints "Unable to find image",
 * pulls (unless --pull=never) and tries again; --pull=always pulls first. Daemon errors exit 125 for
 * run, 1 for create.
 */
export async function createContainer(ctx: CommandContext, p: ParsedCreate, body: CreateBody, command: 'run' | 'create' = 'run'): Promise<Dockerode.Container> {
  // docker create returns the daemon's error as is (exit 1); docker run wraps it (exit 125).
  const failure = (err: unknown): StatusError => (command === 'create' ? new StatusError(1, daemonMessage(err)) : new StatusError(125, `tdock: ${daemonMessage(err)}.\nSee 'tdock run --help'.`));
  const docker = await ctx.docker();
  const pull = p.flags.pull ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) throw new StatusError(125, `invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const query = { name: p.flags.name, platform: p.flags.platform };
  const create = (): Promise<Dockerode.Container> => docker.createContainer({ ...body, ...Object.fromEntries(Object.entries(query).filter(([, v]) => v)) } as Dockerode.ContainerCreateOptions);
  const doPull = async (): Promise<void> => {
    try {
      await pullImage(ctx, p.image, { platform: p.flags.platform, quiet: p.flags.quiet, forRun: true });
    } catch (err) {
      throw failure(err);
    }
  };
  try {
    if (pull === 'always') await doPull();
    let container: Dockerode.Container;
    try {
      container = await create();
    } catch (err) {
      if (statusCode(err) !== 404 || pull !== 'missing' || !/No such image/i.test(daemonMessage(err))) throw err;
      ctx.err(`Unable to find image '${familiarWithTag(p.image)}' locally\n`);
      await doPull();
      container = await create();
    }
    if (p.flags.cidfile) fs.writeFileSync(p.flags.cidfile, container.id);
    return container;
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw failure(err);
  }
}
