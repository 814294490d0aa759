import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { CommandContext } from './context.js';

/** What an attached session is wired to. */
export interface AttachOptions {
  stdin: boolean;
  tty: boolean;
  detachKeys?: string;
}

function terminal(ctx: CommandContext): { stdin?: NodeJS.ReadStream; stdout?: NodeJS.WriteStream } {
  const stdin = ctx.io.stdin as NodeJS.ReadStream | undefined;
  const stdout = ctx.io.stdout as NodeJS.WriteStream;
  return { stdin: stdin?.isTTY ? stdin : undefined, stdout: stdout.isTTY ? stdout : undefined };
}

/**
 * Attaches to a container over a hijacked connection (`Connection: Upgrade`), as docker run does
 * before start: output goes to stdout/stderr (demultiplexed unless TTY), stdin is piped when asked
 * and half-closed at its end. Resolves when the daemon closes the stream.
 */
export async function attachStreams(ctx: CommandContext, container: Dockerode.Container, opts: AttachOptions): Promise<{ done: Promise<void>; socket: Duplex }> {
  const docker = await ctx.docker();
  const socket = (await container.attach({
    stream: true,
    stdin: opts.stdin,
    stdout: true,
    stderr: true,
    hijack: true,
    ...(opts.detachKeys ? { detachKeys: opts.detachKeys } : {}),
  })) as unknown as Duplex;
  const done = new Promise<void>((resolve) => {
    socket.on('end', resolve);
    socket.on('close', resolve);
    socket.on('error', () => resolve());
  });
  if (opts.tty) socket.on('data', (chunk: Buffer) => ctx.io.stdout.write(chunk));
  else docker.modem.demuxStream(socket, ctx.io.stdout, ctx.io.stderr);
  if (opts.stdin && ctx.io.stdin) {
    const input = ctx.io.stdin;
    const term = terminal(ctx).stdin;
    if (opts.tty && term) term.setRawMode(true);
    input.on('data', (chunk: Buffer) => socket.write(chunk));
    input.on('end', () => (socket as unknown as { end(): void }).end());
    void done.then(() => {
      if (opts.tty && term) term.setRawMode(false);
      input.pause();
    });
  }
  return { done, socket };
}

/** Keeps the container's TTY the size of ours: once now and on every SIGWINCH. */
export function followTerminalSize(ctx: CommandContext, resize: (h: number, w: number) => Promise<unknown>): () => void {
  const out = terminal(ctx).stdout;
  if (!out) return () => {};
  const apply = (): void => {
    void resize(out.rows, out.columns).catch(() => {});
  };
  apply();
  process.on('SIGWINCH', apply);
  return () => process.off('SIGWINCH', apply);
}

/** The size of our terminal as [rows, columns], or [0, 0] when not a terminal. */
export function consoleSize(ctx: CommandContext): [number, number] {
  const out = terminal(ctx).stdout;
  return out ? [out.rows, out.columns] : [0, 0];
}
