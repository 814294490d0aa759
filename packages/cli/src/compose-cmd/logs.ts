import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { CommandContext } from '../context.js';
import { LogPrefixer } from '../format/index.js';

export interface LogOptions {
  follow: boolean;
  tail?: string;
  timestamps?: boolean;
  color?: boolean;
  prefix?: boolean;
  /** Stop everything (through onAbort) as soon as one container exits. */
  abortOnExit?: boolean;
  exitCodeFrom?: string;
  onAbort?: () => Promise<void>;
}

/** Splits a byte stream into lines, calling back with each complete line (without the newline). */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return new Promise((resolve) => {
    const done = (): void => {
      if (buf) onLine(buf);
      buf = '';
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/**
 * Prints the containers' logs with compose's `name  | ` prefixes (coloured on a terminal); with
 * `follow`, until every container has exited, printing `name exited with code N` for each. Returns
 * the exit code compose uses: that of --exit-code-from's container, else 0.
 */
export async function followLogs(ctx: CommandContext, docker: Dockerode, containers: Dockerode.ContainerInfo[], o: LogOptions): Promise<number> {
  const isTty = (ctx.io.stdout as NodeJS.WriteStream).isTTY === true;
  const prefixer = new LogPrefixer({ color: (o.color ?? true) && isTty, prefix: o.prefix ?? true });
  const names = containers.map((c) => c.Names[0]!.replace(/^\//, ''));
  for (const n of names) prefixer.register(n);
  let exitCode = 0;
  let aborting = false;
  await Promise.all(containers.map(async (c, i) => {
    const name = names[i]!;
    const container = docker.getContainer(c.Id);
    const info = await container.inspect();
    const body = (await container.logs({ stdout: true, stderr: true, follow: o.follow as true, tail: o.tail === undefined || o.tail === 'all' ? undefined : Number(o.tail), timestamps: o.timestamps } as never)) as unknown as NodeJS.ReadableStream | Buffer;
    const raw = Buffer.isBuffer(body) ? Object.assign(new PassThrough(), {}) : body;
    const out = new PassThrough();
    const err = new PassThrough();
    const print = (line: string): void => {
      const ts = o.timestamps ? /^(\S+) (.*)$/s.exec(line) : null;
      ctx.out(ts ? prefixer.format(name, ts[2]!, ts[1]) : prefixer.format(name, line));
    };
    if (info.Config.Tty) raw.pipe(out);
    else {
      docker.modem.demuxStream(raw, out, err);
      raw.on('end', () => {
        out.end();
        err.end();
      });
    }
    if (Buffer.isBuffer(body)) (raw as PassThrough).end(body);
    await Promise.all([lines(out, print), info.Config.Tty ? Promise.resolve() : lines(err, print)]);
    if (!o.follow) return;
    const exit = (await container.wait().catch(() => ({ StatusCode: -1 }))) as { StatusCode: number };
    ctx.out(prefixer.status(name, `exited with code ${exit.StatusCode}`));
    const service = c.Labels?.['com.docker.compose.service'];
    if (o.exitCodeFrom ? service === o.exitCodeFrom : o.abortOnExit) exitCode = exit.StatusCode;
    if (o.abortOnExit && !aborting) {
      aborting = true;
      ctx.err('Aborting on container exit...\n');
      await o.onAbort?.();
    }
  }));
  return exitCode;
}
