import type { Duplex } from 'node:stream';
import type { CommandContext } from '../context.js';
import { consoleSize, followTerminalSize, makeRaw } from '../attach.js';
import { StatusError } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { parseEnvFile } from '../run-options.js';
import fs from 'node:fs';

/** `tdock exec [OPTIONS] CONTAINER COMMAND [ARG...]`, exiting with the command's exit code. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('exec', '[OPTIONS] CONTAINER COMMAND [ARG...]', 'Execute a command in a running container', { interspersed: false })
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <file>', 'Read in a file of environment variables', collect, [])
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length < 2) throw new StatusError(1, `"tdock exec" requires at least 2 arguments.\nSee 'tdock exec --help'.`);
  const o = parsed.opts as { detach?: boolean; detachKeys?: string; env: string[]; envFile: string[]; interactive?: boolean; privileged?: boolean; tty?: boolean; user?: string; workdir?: string };
  const [id, ...command] = parsed.args as [string, ...string[]];
  const docker = await ctx.docker();
  const container = docker.getContainer(id);
  await container.inspect();
  const env = [...o.envFile.flatMap((f) => parseEnvFile(fs.readFileSync(f, 'utf8'), ctx.io.env)), ...o.env];
  const exec = await container.exec({
    User: o.user ?? '', Privileged: !!o.privileged, Tty: !!o.tty, AttachStdin: !!o.interactive && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach,
    DetachKeys: o.detachKeys ?? '', Env: env.length ? env : undefined, WorkingDir: o.workdir ?? '', Cmd: command,
    ...(o.tty ? { ConsoleSize: consoleSize(ctx) } : {}),
  } as never);
  if (o.detach) {
    await exec.start({ Detach: true, Tty: !!o.tty });
    return 0;
  }
  const socket = (await exec.start({ hijack: true, stdin: !!o.interactive, Detach: false, Tty: !!o.tty })) as unknown as Duplex;
  const done = new Promise<void>((resolve) => {
    socket.on('end', resolve);
    socket.on('close', resolve);
    socket.on('error', () => resolve());
  });
  if (o.tty) socket.on('data', (c: Buffer) => ctx.io.stdout.write(c));
  else docker.modem.demuxStream(socket, ctx.io.stdout, ctx.io.stderr);
  const input = ctx.io.stdin as NodeJS.ReadStream | undefined;
  const raw = !!o.tty && !!o.interactive && input?.isTTY === true;
  let restore: (() => void) | undefined;
  if (o.interactive && input) {
    if (raw) restore = makeRaw(input);
    input.on('data', (c: Buffer) => socket.write(c));
    input.on('end', () => socket.end());
  }
  const stopResize = o.tty ? followTerminalSize(ctx, (h, w) => exec.resize({ h, w })) : () => {};
  try {
    await done;
  } finally {
    stopResize();
    restore?.();
    input?.pause();
  }
  const info = await exec.inspect();
  return info.ExitCode ?? 0;
}
