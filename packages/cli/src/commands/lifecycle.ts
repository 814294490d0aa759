import type Dockerode from 'dockerode';
import type { CommandContext } from '../context.js';
import { StatusError, daemonMessage } from '../exit.js';
import { makeCommand, parseArgs } from '../flags.js';

type Action = (docker: Dockerode, id: string, opts: Record<string, unknown>) => Promise<string | void>;

/**
 * One command that acts on each named container in turn (stop, kill, rm, ...), as docker does:
 * it prints each name that succeeded, reports each failure on stderr and exits 1 if any failed.
 */
async function eachContainer(ctx: CommandContext, name: string, description: string, argv: string[], define: (cmd: ReturnType<typeof makeCommand>) => void, action: Action, parallel = false): Promise<number> {
  const cmd = makeCommand(name, '[OPTIONS] CONTAINER [CONTAINER...]', description);
  define(cmd);
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length < 1) throw new StatusError(1, `"tdock ${name}" requires at least 1 argument.\nSee 'tdock ${name} --help'.`);
  const docker = await ctx.docker();
  const run = async (id: string): Promise<{ id: string; out?: string | void; err?: unknown }> => {
    try {
      return { id, out: await action(docker, id, parsed.opts) };
    } catch (err) {
      return { id, err };
    }
  };
  const results = parallel ? await Promise.all(parsed.args.map(run)) : [];
  if (!parallel) for (const id of parsed.args) results.push(await run(id));
  let failed = false;
  for (const r of results) {
    if (r.err !== undefined && (r.err as { statusCode?: number }).statusCode !== 304) {
      failed = true;
      ctx.err(`${daemonMessage(r.err)}\n`);
    } else ctx.out(`${r.out ?? r.id}\n`);
  }
  return failed ? 1 : 0;
}

const timeoutOpt = (cmd: ReturnType<typeof makeCommand>): void => {
  cmd.option('-s, --signal <string>', 'Signal to send to the container');
  cmd.option('-t, --timeout <int>', 'Seconds to wait before killing the container');
};

function stopQuery(opts: Record<string, unknown>): Record<string, string> {
  const q: Record<string, string> = {};
  if (opts.timeout !== undefined) q.t = String(opts.timeout);
  if (opts.signal !== undefined) q.signal = String(opts.signal);
  return q;
}

export const stop = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(ctx, 'stop', 'Stop one or more running containers', argv, timeoutOpt, async (d, id, o) => void (await d.getContainer(id).stop(stopQuery(o))), true);

export const restart = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(ctx, 'restart', 'Restart one or more containers', argv, timeoutOpt, async (d, id, o) => void (await d.getContainer(id).restart(stopQuery(o))));

export const kill = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(ctx, 'kill', 'Kill one or more running containers', argv, (c) => c.option('-s, --signal <string>', 'Signal to send to the container'), async (d, id, o) => void (await d.getContainer(id).kill(o.signal ? { signal: o.signal } : {})), true);

export const rm = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(
    ctx, 'rm', 'Remove one or more containers', argv,
    (c) => c.option('-f, --force', 'Force the removal of a running container (uses SIGKILL)').option('-l, --link', 'Remove the specified link').option('-v, --volumes', 'Remove anonymous volumes associated with the container'),
    async (d, id, o) => void (await d.getContainer(id).remove({ force: !!o.force, v: !!o.volumes, link: !!o.link })),
    true,
  );

export const pause = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(ctx, 'pause', 'Pause all processes within one or more containers', argv, () => {}, async (d, id) => void (await d.getContainer(id).pause()));

export const unpause = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(ctx, 'unpause', 'Unpause all processes within one or more containers', argv, () => {}, async (d, id) => void (await d.getContainer(id).unpause()));

export const wait = (ctx: CommandContext, argv: string[]): Promise<number> =>
  eachContainer(ctx, 'wait', 'Block until one or more containers stop, then print their exit codes', argv, () => {}, async (d, id) => {
    const r = (await d.getContainer(id).wait()) as { StatusCode: number };
    return String(r.StatusCode);
  });

/**
 * `tdock start [-a] [-i] CONTAINER...`: docker/cli's runStart. With -a or -i one container is
 * attached before it starts and its exit code becomes ours; otherwise each is started in turn.
 */
export async function start(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('start', '[OPTIONS] CONTAINER [CONTAINER...]', 'Start one or more stopped containers')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-i, --interactive', "Attach container's STDIN");
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length < 1) throw new StatusError(1, `"tdock start" requires at least 1 argument.\nSee 'tdock start --help'.`);
  const o = parsed.opts as { attach?: boolean; interactive?: boolean; detachKeys?: string };
  const docker = await ctx.docker();
  if (o.attach || o.interactive) {
    if (parsed.args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    const { attachStreams, followSession } = await import('../attach.js');
    const { registerWait } = await import('../wait.js');
    const info = await docker.getContainer(parsed.args[0]!).inspect();
    const container = docker.getContainer(info.Id);
    const tty = !!info.Config.Tty;
    const session = await attachStreams(ctx, container, { stdin: !!o.interactive && !!info.Config.OpenStdin, tty, ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}) });
    const { result: exit } = await registerWait(ctx, info.Id, info.HostConfig.AutoRemove ? 'removed' : 'next-exit');
    try {
      await container.start();
    } catch (err) {
      session.socket.destroy();
      if (info.HostConfig.AutoRemove) await exit.catch(() => undefined);
      throw err;
    }
    if (await followSession(ctx, container, session, tty)) return 0;
    const status = await exit.catch(() => undefined);
    return status?.StatusCode ?? 0;
  }
  const failed: string[] = [];
  for (const id of parsed.args) {
    try {
      await docker.getContainer(id).start();
      ctx.out(`${id}\n`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 304) {
        ctx.out(`${id}\n`);
        continue;
      }
      ctx.err(`${daemonMessage(err)}\n`);
      failed.push(id);
    }
  }
  if (failed.length) throw new StatusError(1, `Error: failed to start containers: ${failed.join(', ')}`);
  return 0;
}

/** `tdock rename CONTAINER NEW_NAME` */
export async function rename(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('rename', 'CONTAINER NEW_NAME', 'Rename a container');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length !== 2) throw new StatusError(1, `"tdock rename" requires exactly 2 arguments.\nSee 'tdock rename --help'.`);
  const docker = await ctx.docker();
  await docker.getContainer(parsed.args[0]!).rename({ name: parsed.args[1]! });
  return 0;
}
