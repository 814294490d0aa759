import type { CommandContext } from '../context.js';

/** A CLI command: runs with the arguments after its name and resolves with the exit status. */
export type CommandRun = (ctx: CommandContext, argv: string[]) => Promise<number>;

interface Entry {
  summary: string;
  load: () => Promise<CommandRun>;
}

/** Every command, loaded only when used so `tdock --version` stays fast. */
export const COMMANDS: Record<string, Entry> = {
  version: { summary: 'Show the tdock version information', load: async () => (await import('./version.js')).run },
  info: { summary: 'Display system-wide information', load: async () => (await import('./info.js')).run },
  pull: { summary: 'Download an image from a registry', load: async () => (await import('./pull.js')).run },
  create: { summary: 'Create a new container', load: async () => (await import('./create.js')).run },
  run: { summary: 'Create and run a new container from an image', load: async () => (await import('./run.js')).run },
};

/** Aliases as docker has them (`container ls` is `ps`, `image ls` is `images`, ...). */
export const ALIASES: Record<string, string[]> = {
  'container create': ['create'],
  'container run': ['run'],
  'image pull': ['pull'],
  'system info': ['info'],
};

export function lookupCommand(argv: string[]): { entry: Entry; rest: string[]; name: string } | undefined {
  const [first, second] = argv;
  if (first === undefined) return undefined;
  if (second !== undefined) {
    const two = `${first} ${second}`;
    const alias = ALIASES[two];
    if (alias) {
      const [target, ...prefix] = alias;
      const entry = COMMANDS[target!];
      if (entry) return { entry, rest: [...prefix, ...argv.slice(2)], name: two };
    }
  }
  const entry = COMMANDS[first];
  return entry ? { entry, rest: argv.slice(1), name: first } : undefined;
}
