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
  start: { summary: 'Start one or more stopped containers', load: async () => (await import('./lifecycle.js')).start },
  stop: { summary: 'Stop one or more running containers', load: async () => (await import('./lifecycle.js')).stop },
  restart: { summary: 'Restart one or more containers', load: async () => (await import('./lifecycle.js')).restart },
  kill: { summary: 'Kill one or more running containers', load: async () => (await import('./lifecycle.js')).kill },
  rm: { summary: 'Remove one or more containers', load: async () => (await import('./lifecycle.js')).rm },
  pause: { summary: 'Pause all processes within one or more containers', load: async () => (await import('./lifecycle.js')).pause },
  unpause: { summary: 'Unpause all processes within one or more containers', load: async () => (await import('./lifecycle.js')).unpause },
  wait: { summary: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./lifecycle.js')).wait },
  rename: { summary: 'Rename a container', load: async () => (await import('./lifecycle.js')).rename },
  ps: { summary: 'List containers', load: async () => (await import('./lists.js')).ps },
  images: { summary: 'List images', load: async () => (await import('./lists.js')).images },
  logs: { summary: 'Fetch the logs of a container', load: async () => (await import('./logs.js')).run },
  exec: { summary: 'Execute a command in a running container', load: async () => (await import('./exec.js')).run },
  tag: { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./objects.js')).tag },
  rmi: { summary: 'Remove one or more images', load: async () => (await import('./objects.js')).rmi },
  volume: { summary: 'Manage volumes', load: async () => (await import('./objects.js')).volume },
  network: { summary: 'Manage networks', load: async () => (await import('./objects.js')).network },
  top: { summary: 'Display the running processes of a container', load: async () => (await import('./more.js')).top },
  port: { summary: 'List port mappings or a specific mapping for the container', load: async () => (await import('./more.js')).port },
  history: { summary: 'Show the history of an image', load: async () => (await import('./more.js')).history },
  events: { summary: 'Get real time events from the server', load: async () => (await import('./more.js')).events },
  save: { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./more.js')).save },
  load: { summary: 'Load an image from a tar archive or STDIN', load: async () => (await import('./more.js')).load },
  attach: { summary: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./extra.js')).attach },
  cp: { summary: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./extra.js')).cp },
  diff: { summary: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./extra.js')).diff },
  export: { summary: "Export a container's filesystem as a tar archive", load: async () => (await import('./extra.js')).exportCmd },
  import: { summary: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./extra.js')).importCmd },
  commit: { summary: "Create a new image from a container's changes", load: async () => (await import('./extra.js')).commit },
  update: { summary: 'Update configuration of one or more containers', load: async () => (await import('./extra.js')).update },
  push: { summary: 'Upload an image to a registry', load: async () => (await import('./extra.js')).push },
  login: { summary: 'Authenticate to a registry', load: async () => (await import('./extra.js')).login },
  logout: { summary: 'Log out from a registry', load: async () => (await import('./extra.js')).logout },
  stats: { summary: 'Display a live stream of container(s) resource usage statistics', load: async () => (await import('./system.js')).stats },
  system: { summary: 'Manage tdock (df, prune, info, events)', load: async () => (await import('./system.js')).system },
  completion: { summary: 'Print the bash or zsh completion script', load: async () => (await import('./completion.js')).run },
  build: { summary: 'Build an image from a Dockerfile', load: async () => (await import('./build.js')).run },
  compose: { summary: 'Define and run multi-container applications', load: async () => (await import('../compose-cmd/main.js')).run },
  inspect: { summary: 'Return low-level information on Docker objects', load: async () => (await import('./inspect.js')).run },
};

/** Aliases as docker has them (`container ls` is `ps`, `image ls` is `images`, ...). */
export const ALIASES: Record<string, string[]> = {
  'container create': ['create'],
  'container run': ['run'],
  'image pull': ['pull'],
  'container start': ['start'],
  'container stop': ['stop'],
  'container restart': ['restart'],
  'container kill': ['kill'],
  'container rm': ['rm'],
  'container pause': ['pause'],
  'container unpause': ['unpause'],
  'container wait': ['wait'],
  'container rename': ['rename'],
  'container ls': ['ps'],
  'container ps': ['ps'],
  'container list': ['ps'],
  'container logs': ['logs'],
  'container exec': ['exec'],
  'image ls': ['images'],
  'image list': ['images'],
  'image tag': ['tag'],
  'image history': ['history'],
  'image save': ['save'],
  'image load': ['load'],
  'container top': ['top'],
  'container attach': ['attach'],
  'container stats': ['stats'],
  'container cp': ['cp'],
  'container diff': ['diff'],
  'container export': ['export'],
  'container commit': ['commit'],
  'container update': ['update'],
  'image import': ['import'],
  'image push': ['push'],
  'image build': ['build'],
  'builder build': ['build'],
  'container port': ['port'],
  'system events': ['events'],
  'image rm': ['rmi'],
  'image remove': ['rmi'],
  'system info': ['info'],
  'image inspect': ['inspect', '--type', 'image'],
  'container inspect': ['inspect', '--type', 'container'],
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
