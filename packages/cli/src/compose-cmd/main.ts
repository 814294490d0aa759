import type Dockerode from 'dockerode';
import { TdockError } from '@tdock/core';
import type { CommandContext } from '../context.js';
import { StatusError, daemonMessage } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { COMPOSE_LABELS, containerName, loadProject, renderConfigYaml, selectServices, serviceImageName, type Project, type ServiceConfig } from '../compose/index.js';
import { formatComposePs, LogPrefixer, type ComposePsInput } from '../format/index.js';
import { ComposeRunner, type Progress } from './runner.js';
import { up } from './up.js';
import { down } from './down.js';
import { followLogs } from './logs.js';

interface Global {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile: string[];
  profile: string[];
}

const SUBCOMMANDS: Record<string, string> = {
  build: 'Build or rebuild services', config: 'Parse, resolve and render compose file in canonical format', down: 'Stop and remove containers, networks',
  exec: 'Execute a command in a running container', images: 'List images used by the created containers', kill: 'Force stop service containers',
  logs: 'View output from containers', ls: 'List running compose projects', port: 'Print the public port for a port binding', ps: 'List containers',
  pull: 'Pull service images', push: 'Push service images', restart: 'Restart service containers', rm: 'Removes stopped service containers',
  run: 'Run a one-off command on a service', start: 'Start services', stop: 'Stop services', top: 'Display the running processes', up: 'Create and start containers',
};

function parseGlobal(argv: string[]): { g: Global; rest: string[] } {
  const g: Global = { file: [], envFile: [], profile: [] };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new StatusError(1, `flag needs an argument: ${flag}`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const v = (): string => inline ?? value(flag);
    if (flag === '-f' || flag === '--file') g.file.push(v());
    else if (flag === '-p' || flag === '--project-name') g.projectName = v();
    else if (flag === '--project-directory') g.projectDirectory = v();
    else if (flag === '--env-file') g.envFile.push(v());
    else if (flag === '--profile') g.profile.push(v());
    else if (flag === '--ansi' || flag === '--progress' || flag === '--parallel') v();
    else if (flag === '--compatibility' || flag === '--dry-run') continue;
    else break;
  }
  return { g, rest: argv.slice(i) };
}

function load(ctx: CommandContext, g: Global, services: string[] = []): Project {
  try {
    return loadProject({
      cwd: process.cwd(), env: ctx.io.env, files: g.file.length ? g.file : undefined, projectName: g.projectName,
      projectDirectory: g.projectDirectory, envFiles: g.envFile, profiles: g.profile.length ? g.profile : undefined, services,
      onWarning: (m) => ctx.err(`WARN[0000] ${m}\n`),
    });
  } catch (err) {
    if (err instanceof TdockError) throw new StatusError(1, err.message);
    throw err;
  }
}

function progressWriter(ctx: CommandContext): Progress {
  return (kind, name, status) => ctx.err(` ${kind} ${name}  ${status}\n`);
}

async function pullQuiet(ctx: CommandContext, docker: Dockerode, image: string): Promise<void> {
  ctx.err(` Image ${image}  Pulling\n`);
  const { parseNormalizedNamed, referenceName } = await import('@tdock/core');
  const ref = parseNormalizedNamed(image);
  const stream = (await docker.createImage({ fromImage: referenceName(ref), tag: ref.digest ?? ref.tag ?? 'latest' })) as unknown as NodeJS.ReadableStream;
  let body = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) body += chunk.toString();
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
    if (msg.error || msg.errorDetail) throw new StatusError(1, `Error response from daemon: ${msg.errorDetail?.message ?? msg.error}`);
  }
  ctx.err(` Image ${image}  Pulled\n`);
}

async function buildService(ctx: CommandContext, docker: Dockerode, service: ServiceConfig, image: string): Promise<void> {
  const { buildImage } = await import('../build-context.js');
  ctx.err(` Image ${image}  Building\n`);
  const b = service.build!;
  await buildImage(docker, { context: b.context, dockerfile: b.dockerfile, tags: [image, ...(b.tags ?? [])], buildArgs: b.args, target: b.target, labels: b.labels, network: b.network, noCache: b.no_cache, pull: b.pull }, (text) => ctx.err(text));
  ctx.err(` Image ${image}  Built\n`);
}

function scaleFlags(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const m = /^([^=]+)=(\d+)$/.exec(item);
    if (!m) throw new StatusError(1, `invalid --scale value: ${item}`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** `tdock compose [OPTIONS] COMMAND`: Compose projects against the daemon. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const { g, rest } = parseGlobal(argv);
  const [sub, ...args] = rest;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length)) + 3;
    ctx.out(`Usage:  tdock compose [OPTIONS] COMMAND\n\nDefine and run multi-container applications\n\nOptions:\n  -f, --file stringArray           Compose configuration files\n  -p, --project-name string        Project name\n      --project-directory string   Specify an alternate working directory\n      --env-file stringArray       Specify an alternate environment file\n      --profile stringArray        Specify a profile to enable\n\nCommands:\n${Object.entries(SUBCOMMANDS).map(([k, v]) => `  ${k.padEnd(width)}${v}`).join('\n')}\n`);
    return 0;
  }
  const handler = HANDLERS[sub];
  if (!handler) throw new StatusError(1, `unknown docker command: "compose ${sub}"`);
  try {
    return await handler(ctx, g, args);
  } catch (err) {
    if (err instanceof StatusError || err instanceof TdockError) throw err;
    if ((err as { statusCode?: number }).statusCode !== undefined) throw new StatusError(1, daemonMessage(err));
    throw err;
  }
}

type Handler = (ctx: CommandContext, g: Global, argv: string[]) => Promise<number>;

async function runner(ctx: CommandContext, g: Global, services: string[] = []): Promise<ComposeRunner> {
  const project = load(ctx, g, services);
  return new ComposeRunner(await ctx.docker(), project, progressWriter(ctx));
}

function containerLabel(c: Dockerode.ContainerInfo, key: string): string {
  return c.Labels?.[key] ?? '';
}

const HANDLERS: Record<string, Handler> = {
  async up(ctx, g, argv) {
    const cmd = makeCommand('compose up', '[OPTIONS] [SERVICE...]', 'Create and start containers')
      .option('-d, --detach', 'Detached mode: Run containers in the background')
      .option('--build', 'Build images before starting containers')
      .option('--no-build', "Don't build an image, even if it's policy")
      .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
      .option('--no-recreate', "If containers already exist, don't recreate them")
      .option('--no-deps', "Don't start linked services")
      .option('--no-start', "Don't start the services after creating them")
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
      .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
      .option('--scale <scale>', 'Scale SERVICE to NUM instances', collect, [])
      .option('--abort-on-container-exit', 'Stops all containers if any container was stopped')
      .option('--exit-code-from <service>', 'Return the exit code of the selected service container')
      .option('-t, --timeout <int>', 'Use this timeout in seconds for container shutdown');
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const o = parsed.opts as { detach?: boolean; build?: boolean; forceRecreate?: boolean; recreate?: boolean; deps?: boolean; start?: boolean; removeOrphans?: boolean; wait?: boolean; scale: string[]; abortOnContainerExit?: boolean; exitCodeFrom?: string; timeout?: string };
    const r = await runner(ctx, g, parsed.args);
    const docker = r.docker;
    const names = await up(r, {
      services: parsed.args, build: o.build, noBuild: o.build === false, forceRecreate: o.forceRecreate, noRecreate: o.recreate === false, noDeps: o.deps === false,
      removeOrphans: o.removeOrphans, noStart: o.start === false, scale: scaleFlags(o.scale), timeout: o.timeout === undefined ? undefined : Number(o.timeout),
      pull: (image) => pullQuiet(ctx, docker, image), buildImage: (s, image) => buildService(ctx, docker, s, image), warn: (t) => ctx.err(`WARN[0000] ${t}\n`),
    });
    if (o.wait) return waitHealthy(r, names);
    if (o.detach || o.start === false) return 0;
    const containers = (await r.containers({ all: true })).filter((c) => names.includes(containerLabel(c, COMPOSE_LABELS.service)));
    return followLogs(ctx, docker, containers, { follow: true, abortOnExit: !!o.abortOnContainerExit || !!o.exitCodeFrom, exitCodeFrom: o.exitCodeFrom, onAbort: async () => {
      for (const c of await r.containers({ all: false })) await r.docker.getContainer(c.Id).stop({ t: o.timeout === undefined ? 10 : Number(o.timeout) }).catch(() => {});
    } });
  },

  async down(ctx, g, argv) {
    const cmd = makeCommand('compose down', '[OPTIONS] [SERVICES]', 'Stop and remove containers, networks')
      .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
      .option('--rmi <type>', 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")')
      .option('-t, --timeout <int>', 'Specify a shutdown timeout in seconds');
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const o = parsed.opts as { volumes?: boolean; removeOrphans?: boolean; rmi?: string; timeout?: string };
    if (o.rmi && o.rmi !== 'local' && o.rmi !== 'all') throw new StatusError(1, `invalid value for --rmi: "${o.rmi}"`);
    await down(await runner(ctx, g), { volumes: o.volumes, removeOrphans: o.removeOrphans, rmi: o.rmi as 'local' | 'all' | undefined, timeout: o.timeout === undefined ? undefined : Number(o.timeout) });
    return 0;
  },

  async ps(ctx, g, argv) {
    const cmd = makeCommand('compose ps', '[OPTIONS] [SERVICE...]', 'List containers')
      .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
      .option('-q, --quiet', 'Only display IDs')
      .option('--services', 'Display services')
      .option('--format <string>', 'Format output using a custom template')
      .option('--status <string>', 'Filter services by status', collect, []);
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const o = parsed.opts as { all?: boolean; quiet?: boolean; services?: boolean; format?: string; status: string[] };
    const r = await runner(ctx, g);
    let list = await r.containers({ all: !!o.all || o.status.length > 0 });
    if (o.all) list = [...list, ...(await r.containers({ all: true, oneoff: true }))];
    if (parsed.args.length) list = list.filter((c) => parsed.args.includes(containerLabel(c, COMPOSE_LABELS.service)));
    if (o.status.length) list = list.filter((c) => o.status.includes(c.State));
    if (o.services) {
      ctx.out([...new Set(list.map((c) => containerLabel(c, COMPOSE_LABELS.service)))].sort().map((s) => `${s}\n`).join(''));
      return 0;
    }
    ctx.out(formatComposePs(list as unknown as ComposePsInput[], { format: o.format, quiet: o.quiet, nowMs: Date.now() }));
    return 0;
  },

  async logs(ctx, g, argv) {
    const cmd = makeCommand('compose logs', '[OPTIONS] [SERVICE...]', 'View output from containers')
      .option('-f, --follow', 'Follow log output')
      .option('-n, --tail <string>', 'Number of lines to show from the end of the logs for each container', 'all')
      .option('-t, --timestamps', 'Show timestamps')
      .option('--no-color', 'Produce monochrome output')
      .option('--no-log-prefix', "Don't print prefix in logs");
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const o = parsed.opts as { follow?: boolean; tail: string; timestamps?: boolean; color?: boolean; logPrefix?: boolean };
    const r = await runner(ctx, g);
    let list = await r.containers({ all: true });
    if (parsed.args.length) list = list.filter((c) => parsed.args.includes(containerLabel(c, COMPOSE_LABELS.service)));
    return followLogs(ctx, r.docker, list, { follow: !!o.follow, tail: o.tail, timestamps: !!o.timestamps, color: o.color !== false, prefix: o.logPrefix !== false });
  },

  async config(ctx, g, argv) {
    const cmd = makeCommand('compose config', '[OPTIONS] [SERVICE...]', 'Parse, resolve and render compose file in canonical format')
      .option('-q, --quiet', 'Only validate the configuration, don\'t print anything')
      .option('--services', 'Print the service names, one per line')
      .option('--volumes', 'Print the volume names, one per line')
      .option('--images', 'Print the image names, one per line');
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const o = parsed.opts as { quiet?: boolean; services?: boolean; volumes?: boolean; images?: boolean };
    const project = load(ctx, g, parsed.args);
    if (o.quiet) return 0;
    if (o.services) ctx.out(Object.keys(project.services).map((s) => `${s}\n`).join(''));
    else if (o.volumes) ctx.out(Object.keys(project.volumes).map((v) => `${v}\n`).join(''));
    else if (o.images) ctx.out(Object.values(project.services).map((s) => `${serviceImageName(project.name, s)}\n`).join(''));
    else ctx.out(renderConfigYaml(project));
    return 0;
  },

  stop: (ctx, g, argv) => eachServiceContainer(ctx, g, argv, 'stop', 'Stopping', 'Stopped', async (c, o) => void (await c.stop(o.timeout === undefined ? {} : { t: Number(o.timeout) }).catch(ignore304)), true),
  start: (ctx, g, argv) => eachServiceContainer(ctx, g, argv, 'start', 'Starting', 'Started', async (c) => void (await c.start().catch(ignore304))),
  restart: (ctx, g, argv) => eachServiceContainer(ctx, g, argv, 'restart', 'Restarting', 'Started', async (c, o) => void (await c.restart(o.timeout === undefined ? {} : { t: Number(o.timeout) }))),
  kill: (ctx, g, argv) => eachServiceContainer(ctx, g, argv, 'kill', 'Killing', 'Killed', async (c, o) => void (await c.kill(o.signal ? { signal: o.signal } : {})), true),
  rm: (ctx, g, argv) => eachServiceContainer(ctx, g, argv, 'rm', 'Removing', 'Removed', async (c, o) => void (await c.remove({ force: !!o.force || !!o.stop, v: !!o.volumes }))),

  async exec(ctx, g, argv) {
    const cmd = makeCommand('compose exec', '[OPTIONS] SERVICE COMMAND [ARGS...]', 'Execute a command in a running container', { interspersed: false })
      .option('-d, --detach', 'Detached mode: Run command in the background')
      .option('-e, --env <list>', 'Set environment variables', collect, [])
      .option('--index <int>', 'Index of the container if service has multiple replicas', '1')
      .option('-T, --no-TTY', 'Disable pseudo-TTY allocation')
      .option('-u, --user <string>', 'Run the command as this user')
      .option('-w, --workdir <string>', 'Path to workdir directory for this command');
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    if (parsed.args.length < 2) throw new StatusError(1, 'compose exec requires a service and a command');
    const o = parsed.opts as { detach?: boolean; env: string[]; index: string; TTY?: boolean; user?: string; workdir?: string };
    const r = await runner(ctx, g);
    const [service, ...command] = parsed.args as [string, ...string[]];
    const c = (await r.containers({ service })).find((x) => containerLabel(x, COMPOSE_LABELS.containerNumber) === o.index && x.State === 'running');
    if (!c) throw new StatusError(1, `service "${service}" is not running`);
    const tty = o.TTY !== false && (ctx.io.stdout as NodeJS.WriteStream).isTTY === true && (ctx.io.stdin as NodeJS.ReadStream | undefined)?.isTTY === true;
    const execArgs = [...(o.detach ? ['-d'] : []), ...(tty ? ['-it'] : []), ...o.env.flatMap((e) => ['-e', e]), ...(o.user ? ['-u', o.user] : []), ...(o.workdir ? ['-w', o.workdir] : []), c.Id, ...command];
    return (await import('../commands/exec.js')).run(ctx, execArgs);
  },

  async run(ctx, g, argv) {
    const cmd = makeCommand('compose run', '[OPTIONS] SERVICE [COMMAND] [ARGS...]', 'Run a one-off command on a service', { interspersed: false })
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('-e, --env <list>', 'Set environment variables', collect, [])
      .option('--name <string>', 'Assign a name to the container')
      .option('--no-deps', "Don't start linked services")
      .option('--rm', 'Automatically remove the container when it exits')
      .option('-T, --no-TTY', 'Disable pseudo-TTY allocation')
      .option('-u, --user <string>', 'Run as specified username or uid')
      .option('-w, --workdir <string>', 'Working directory inside the container');
    const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    if (parsed.args.length < 1) throw new StatusError(1, 'compose run requires a service');
    const o = parsed.opts as { detach?: boolean; env: string[]; name?: string; deps?: boolean; rm?: boolean; TTY?: boolean; user?: string; workdir?: string };
    const [serviceName, ...command] = parsed.args as [string, ...string[]];
    const r = await runner(ctx, g, [serviceName]);
    const all = { ...r.project.disabledServices, ...r.project.services };
    const service = all[serviceName];
    if (!service) throw new StatusError(1, `no such service: ${serviceName}`);
    const deps = o.deps === false ? [] : selectServices(r.project, [serviceName]).filter((s) => s !== serviceName);
    if (deps.length) await up(r, { services: deps, scale: {}, pull: (image) => pullQuiet(ctx, r.docker, image), buildImage: (s, image) => buildService(ctx, r.docker, s, image), warn: (t) => ctx.err(`WARN[0000] ${t}\n`) });
    else await r.ensureNetworks([service]);
    await r.ensureVolumes([service]);
    await r.ensureImage(service, { pull: (image) => pullQuiet(ctx, r.docker, image), buildImage: (s, image) => buildService(ctx, r.docker, s, image) });
    const slug = ComposeRunner.slug();
    const { toCreateBody } = await import('./convert.js');
    const tty = o.TTY !== false && (ctx.io.stdout as NodeJS.WriteStream).isTTY === true;
    const body = toCreateBody(r.project, { ...service, ...(o.user ? { user: o.user } : {}), ...(o.workdir ? { working_dir: o.workdir } : {}) }, { oneoff: true, slug, command: command.length ? command : undefined, extraEnv: o.env, publish: false, tty, interactive: !o.detach });
    if (o.rm) body.HostConfig.AutoRemove = true;
    const { oneoffContainerName } = await import('../compose/index.js');
    const name = o.name ?? oneoffContainerName(r.project.name, serviceName, slug);
    const container = await r.docker.createContainer({ ...body, name } as Dockerode.ContainerCreateOptions);
    if (o.detach) {
      await container.start();
      ctx.out(`${name}\n`);
      return 0;
    }
    const { attachStreams } = await import('../attach.js');
    const { registerWait } = await import('../wait.js');
    const session = await attachStreams(ctx, container, { stdin: true, tty });
    const { result } = await registerWait(ctx, container.id, o.rm ? 'removed' : 'next-exit');
    await container.start();
    await session.done;
    return (await result).StatusCode;
  },

  async pull(ctx, g, argv) {
    const parsed = parseArgs(makeCommand('compose pull', '[OPTIONS] [SERVICE...]', 'Pull service images').option('-q, --quiet', 'Pull without printing progress information').option('--ignore-buildable', 'Ignore images that can be built'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const r = await runner(ctx, g, parsed.args);
    for (const name of selectServices(r.project, parsed.args, true)) {
      const s = r.project.services[name];
      if (!s || (s.build && (parsed.opts.ignoreBuildable || !s.image))) continue;
      await pullQuiet(ctx, r.docker, serviceImageName(r.project.name, s));
    }
    return 0;
  },

  async build(ctx, g, argv) {
    const parsed = parseArgs(makeCommand('compose build', '[OPTIONS] [SERVICE...]', 'Build or rebuild services').option('--no-cache', 'Do not use cache when building the image').option('--pull', 'Always attempt to pull a newer version of the image'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const r = await runner(ctx, g, parsed.args);
    for (const name of selectServices(r.project, parsed.args, true)) {
      const s = r.project.services[name];
      if (!s?.build) continue;
      const withFlags = { ...s, build: { ...s.build, no_cache: parsed.opts.cache === false || s.build.no_cache, pull: !!parsed.opts.pull || s.build.pull } };
      await buildService(ctx, r.docker, withFlags, serviceImageName(r.project.name, s));
    }
    return 0;
  },

  async push(ctx, g, argv) {
    const parsed = parseArgs(makeCommand('compose push', '[OPTIONS] [SERVICE...]', 'Push service images'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const r = await runner(ctx, g, parsed.args);
    for (const name of selectServices(r.project, parsed.args, true)) {
      const s = r.project.services[name];
      if (!s?.image) continue;
      await (await import('../commands/extra.js')).push(ctx, ['-q', s.image]);
    }
    return 0;
  },

  async top(ctx, g, argv) {
    const parsed = parseArgs(makeCommand('compose top', '[SERVICES...]', 'Display the running processes'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const r = await runner(ctx, g);
    const { top } = await import('../commands/more.js');
    for (const c of await r.containers({ all: false })) {
      if (parsed.args.length && !parsed.args.includes(containerLabel(c, COMPOSE_LABELS.service))) continue;
      ctx.out(`${c.Names[0]!.replace(/^\//, '')}\n`);
      await top(ctx, [c.Id]);
      ctx.out('\n');
    }
    return 0;
  },

  async images(ctx, g, argv) {
    const parsed = parseArgs(makeCommand('compose images', '[OPTIONS] [SERVICE...]', 'List images used by the created containers').option('-q, --quiet', 'Only display IDs'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const r = await runner(ctx, g);
    const { tabwrite, DOCKER_TABWRITER, humanSize } = await import('../format/index.js');
    const rows: string[] = ['CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE'];
    for (const c of await r.containers({ all: true })) {
      const info = await r.docker.getImage(c.ImageID).inspect().catch(() => undefined);
      if (parsed.opts.quiet) {
        ctx.out(`${c.ImageID.replace(/^sha256:/, '')}\n`);
        continue;
      }
      const [repo = '<none>', tag = '<none>'] = (info?.RepoTags?.[0] ?? c.Image).split(/:(?=[^:/]+$)/);
      rows.push([c.Names[0]!.replace(/^\//, ''), repo, tag, c.ImageID.replace(/^sha256:/, '').slice(0, 12), humanSize(info?.Size ?? 0)].join('\t'));
    }
    if (!parsed.opts.quiet) ctx.out(tabwrite(rows.join('\n') + '\n', DOCKER_TABWRITER));
    return 0;
  },

  async port(ctx, g, argv) {
    const parsed = parseArgs(makeCommand('compose port', '[OPTIONS] SERVICE PRIVATE_PORT', 'Print the public port for a port binding').option('--index <int>', 'Index of the container if service has multiple replicas', '1').option('--protocol <string>', 'tcp or udp', 'tcp'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    if (parsed.args.length !== 2) throw new StatusError(1, 'compose port requires a service and a port');
    const r = await runner(ctx, g);
    const c = (await r.containers({ service: parsed.args[0] })).find((x) => containerLabel(x, COMPOSE_LABELS.containerNumber) === parsed.opts.index);
    if (!c) throw new StatusError(1, `service "${parsed.args[0]}" is not running`);
    const p = c.Ports.find((x) => String(x.PrivatePort) === parsed.args[1] && x.Type === parsed.opts.protocol && x.PublicPort);
    if (!p) throw new StatusError(1, `no port ${parsed.args[1]}/${String(parsed.opts.protocol)} for container ${c.Names[0]!.replace(/^\//, '')}`);
    ctx.out(`${p.IP || '0.0.0.0'}:${p.PublicPort}\n`);
    return 0;
  },

  async ls(ctx, _g, argv) {
    const parsed = parseArgs(makeCommand('compose ls', '[OPTIONS]', 'List running compose projects').option('-a, --all', 'Show all stopped Compose projects').option('-q, --quiet', 'Only display project names'), argv, (t) => ctx.out(t));
    if (!parsed) return 0;
    const docker = await ctx.docker();
    const list = await docker.listContainers({ all: !!parsed.opts.all, filters: JSON.stringify({ label: [COMPOSE_LABELS.project] }) });
    const projects = new Map<string, { states: Map<string, number>; files: string }>();
    for (const c of list) {
      const name = containerLabel(c, COMPOSE_LABELS.project);
      const p = projects.get(name) ?? projects.set(name, { states: new Map(), files: containerLabel(c, COMPOSE_LABELS.configFiles) }).get(name)!;
      p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
    }
    const names = [...projects.keys()].sort();
    if (parsed.opts.quiet) {
      ctx.out(names.map((n) => `${n}\n`).join(''));
      return 0;
    }
    const { tabwrite, DOCKER_TABWRITER } = await import('../format/index.js');
    const rows = names.map((n) => {
      const p = projects.get(n)!;
      return [n, [...p.states].sort(([a], [b]) => a.localeCompare(b)).map(([s, k]) => `${s}(${k})`).join(', '), p.files].join('\t');
    });
    ctx.out(tabwrite(['NAME\tSTATUS\tCONFIG FILES', ...rows].join('\n') + '\n', DOCKER_TABWRITER));
    return 0;
  },
};

function ignore304(err: unknown): void {
  if ((err as { statusCode?: number }).statusCode !== 304) throw err;
}

/** stop/start/restart/kill/rm over the project's containers, optionally of some services. */
async function eachServiceContainer(ctx: CommandContext, g: Global, argv: string[], name: string, doing: string, done: string, action: (c: Dockerode.Container, o: Record<string, string | boolean | undefined>) => Promise<void>, runningOnly = false): Promise<number> {
  const cmd = makeCommand(`compose ${name}`, '[OPTIONS] [SERVICE...]', SUBCOMMANDS[name]!);
  if (name === 'stop' || name === 'restart') cmd.option('-t, --timeout <int>', 'Specify a shutdown timeout in seconds');
  if (name === 'kill') cmd.option('-s, --signal <string>', 'SIGNAL to send to the container', 'SIGKILL');
  if (name === 'rm') cmd.option('-f, --force', "Don't ask to confirm removal").option('-s, --stop', 'Stop the containers, if required, before removing').option('-v, --volumes', 'Remove any anonymous volumes attached to containers');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const r = await runner(ctx, g);
  const list = (await r.containers({ all: true })).filter((c) => !parsed.args.length || parsed.args.includes(containerLabel(c, COMPOSE_LABELS.service)));
  for (const c of list) {
    if (runningOnly && c.State !== 'running') continue;
    if (name === 'rm' && c.State === 'running' && !parsed.opts.stop) continue;
    const cname = c.Names[0]!.replace(/^\//, '');
    ctx.err(` Container ${cname}  ${doing}\n`);
    await action(r.docker.getContainer(c.Id), parsed.opts as Record<string, string | boolean | undefined>);
    ctx.err(` Container ${cname}  ${done}\n`);
  }
  return 0;
}

/** Waits until every container of the services runs (and is healthy when it has a health check). */
async function waitHealthy(r: ComposeRunner, names: string[]): Promise<number> {
  for (;;) {
    const list = (await r.containers({ all: true })).filter((c) => names.includes(containerLabel(c, COMPOSE_LABELS.service)));
    let ready = true;
    for (const c of list) {
      const info = await r.docker.getContainer(c.Id).inspect();
      const health = (info.State as { Health?: { Status: string } }).Health;
      if (!info.State.Running) throw new StatusError(1, `container ${c.Names[0]!.replace(/^\//, '')} exited (${info.State.ExitCode})`);
      if (health?.Status === 'unhealthy') throw new StatusError(1, `container ${c.Names[0]!.replace(/^\//, '')} is unhealthy`);
      if (health && health.Status !== 'healthy') ready = false;
    }
    if (ready) return 0;
    await new Promise((res) => setTimeout(res, 500));
  }
}

export { containerName, LogPrefixer };
