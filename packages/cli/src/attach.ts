import { spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { CommandContext } from './context.js';

/**
 * Puts the terminal in raw mode as docker's term.MakeRaw does, and returns the undo. libuv's raw
 * mode keeps output post-processing (OPOST/ONLCR), so the container's "\r\n" would reach the screen
 * as "\r\r\n"; `stty -opost` on the same terminal clears it. setRawMode(false) restores the
 * termios libuv saved before, OPOST included.
 */
export function makeRaw(term: NodeJS.ReadStream): () => void {
  term.setRawMode(true);
  spawnSync('stty', ['-opost'], { stdio: [(term as unknown as { fd?: number }).fd ?? 0, 'ignore', 'ignore'] });
  return () => {
    term.setRawMode(false);
  };
}

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
/** docker's `--detach-keys` syntax (`ctrl-p,ctrl-q`, `a`, `ctrl-@`) to the bytes it stands for. */
export function parseDetachKeys(spec: string | undefined): Buffer {
  const keys = (spec || 'ctrl-p,ctrl-q').split(',');
  return Buffer.from(keys.map((k) => {
    const m = /^ctrl-(.)$/i.exec(k);
    if (m) {
      const c = m[1]!.toLowerCase();
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
      if (c in special) return special[c]!;
    }
    if (k.length === 1) return k.charCodeAt(0);
    throw new Error(`Invalid detach keys (${spec}) provided`);
  }));
}

/**
 * Watches input for the detach sequence as docker's escape proxy does: bytes that might start the
 * sequence are held back; the whole sequence is swallowed and reported; anything else passes.
 */
export class DetachScanner {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward and whether the sequence was completed. */
  push(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held.length]) {
        this.held.push(byte);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detached: true };
      } else {
        out.push(...this.held);
        this.held = [];
        if (byte === this.keys[0]) this.held.push(byte);
        else out.push(byte);
      }
    }
    return { forward: Buffer.from(out), detached: false };
  }
}

export async function attachStreams(ctx: CommandContext, container: Dockerode.Container, opts: AttachOptions): Promise<{ done: Promise<void>; socket: Duplex; detached: () => boolean }> {
  const docker = await ctx.docker();
  const socket = (await container.attach({
    stream: true,
    stdin: opts.stdin,
    stdout: true,
    stderr: true,
    hijack: true,
    ...(opts.detachKeys ? { detachKeys: opts.detachKeys } : {}),
  })) as unknown as Duplex;
  let wasDetached = false;
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
    const restore = opts.tty && term ? makeRaw(term) : undefined;
    const scanner = opts.tty ? new DetachScanner(parseDetachKeys(opts.detachKeys)) : undefined;
    input.on('data', (chunk: Buffer) => {
      if (!scanner) return void socket.write(chunk);
      const { forward, detached } = scanner.push(chunk);
      if (forward.length) socket.write(forward);
      if (detached) {
        wasDetached = true;
        socket.destroy();
      }
    });
    input.on('end', () => (socket as unknown as { end(): void }).end());
    void done.then(() => {
      restore?.();
      input.pause();
    });
  }
  return { done, socket, detached: () => wasDetached };
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

/**
 * Waits for an attach session to end (`tdock attach`, `tdock start -a`), the container's terminal
 * following ours meanwhile when it has one. True when the user detached with the detach keys.
 */
export async function followSession(ctx: CommandContext, container: Dockerode.Container, session: { done: Promise<void>; detached: () => boolean }, tty: boolean): Promise<boolean> {
  const stopResize = tty ? followTerminalSize(ctx, (h, w) => container.resize({ h, w })) : () => {};
  try {
    await session.done;
  } finally {
    stopResize();
  }
  return session.detached();
}

/** The size of our terminal as [rows, columns], or [0, 0] when not a terminal. */
export function consoleSize(ctx: CommandContext): [number, number] {
  const out = terminal(ctx).stdout;
  return out ? [out.rows, out.columns] : [0, 0];
}
