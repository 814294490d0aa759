import type { CommandContext } from '../context.js';
import { attachStreams, consoleSize, followTerminalSize } from '../attach.js';
import { buildCreateBody, createContainer, parseCreateArgs } from '../create.js';
import { StatusError, daemonMessage, startErrorStatus } from '../exit.js';
import { registerWait } from '../wait.js';

/**
 * `tdock run [OPTIONS] IMAGE [COMMAND] [ARG...]`, in docker's order: create (pulling a missing
 * image), attach before start, register the wait (next-exit, or removed with --rm), start, follow
 * the terminal size, then exit with the container's status.
 */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseCreateArgs(ctx, 'run', argv, (cmd) => {
    cmd.option('-d, --detach', 'Run container in background and print container ID');
    cmd.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    cmd.option('--no-sig-proxy', 'Proxy received signals to the process');
  });
  if (!parsed) return 0;
  const f = parsed.flags;
  const body = buildCreateBody(ctx, parsed, f.tty ? consoleSize(ctx) : [0, 0]);
  if (f.rm && f.restart && f.restart !== 'no') throw new StatusError(125, 'tdock: Conflicting options: --restart and --rm.\nSee \'tdock run --help\'.');
  const container = await createContainer(ctx, parsed, body);
  const attachStdin = body.AttachStdin === true;
  const attached = !f.detach && (body.AttachStdout === true || body.AttachStderr === true || attachStdin);
  const session = attached ? await attachStreams(ctx, container, { stdin: attachStdin, tty: !!f.tty, detachKeys: f.detachKeys }) : undefined;
  const { result: exit } = await registerWait(ctx, container.id, f.rm ? 'removed' : 'next-exit');
  try {
    await container.start();
  } catch (err) {
    const message = daemonMessage(err);
    session?.socket.destroy();
    if (f.rm) await exit.catch(() => undefined);
    throw new StatusError(startErrorStatus(message), `tdock: ${message}.`);
  }
  if (!attached) {
    ctx.out(`${container.id}\n`);
    return 0;
  }
  const stopResize = f.tty ? followTerminalSize(ctx, (h, w) => container.resize({ h, w })) : () => {};
  const signals = f.tty || f.sigProxy === false ? [] : proxySignals(container);
  try {
    await session!.done;
    if (session!.detached()) return 0;
    const result = await Promise.race([exit, session!.done.then(() => undefined)]);
    const status = result ?? (await exit.catch(() => undefined));
    if (!status) return 0;
    if (status.Error?.Message) throw new StatusError(125, `tdock: ${status.Error.Message}`);
    return status.StatusCode;
  } finally {
    stopResize();
    for (const off of signals) off();
  }
}

function proxySignals(container: { kill(opts: { signal: string }): Promise<unknown> }): (() => void)[] {
  return (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const).map((sig) => {
    const handler = (): void => {
      void container.kill({ signal: sig.slice(3) }).catch(() => {});
    };
    process.on(sig, handler);
    return () => process.off(sig, handler);
  });
}
