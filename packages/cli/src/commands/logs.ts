import { Readable } from 'node:stream';
import type { CommandContext } from '../context.js';
import { StatusError } from '../exit.js';
import { makeCommand, parseArgs } from '../flags.js';

/** docker's --since/--until: a Go duration back from now, an RFC 3339 time, or unix seconds. */
export function timestampArg(value: string, nowMs: number): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(value);
  if (d) {
    const mult: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    return ((nowMs / 1000) - Number(d[1]) * mult[d[2]!]!).toFixed(9);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new StatusError(1, `invalid value for "since": failed to parse value as time or duration: "${value}"`);
  return (t / 1000).toFixed(9);
}

/** `tdock logs [OPTIONS] CONTAINER` */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('logs', '[OPTIONS] CONTAINER', 'Fetch the logs of a container')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length !== 1) throw new StatusError(1, `"tdock logs" requires exactly 1 argument.\nSee 'tdock logs --help'.`);
  const o = parsed.opts as { details?: boolean; follow?: boolean; since?: string; tail: string; timestamps?: boolean; until?: string };
  const docker = await ctx.docker();
  const container = docker.getContainer(parsed.args[0]!);
  const info = await container.inspect();
  const now = Date.now();
  const query = {
    stdout: true, stderr: true, tail: o.tail, follow: !!o.follow, timestamps: !!o.timestamps, details: !!o.details,
    ...(o.since ? { since: timestampArg(o.since, now) } : {}), ...(o.until ? { until: timestampArg(o.until, now) } : {}),
  };
  const body = (await container.logs(query as never)) as unknown as NodeJS.ReadableStream | Buffer;
  const stream = Buffer.isBuffer(body) ? bufferStream(body) : body;
  if (info.Config.Tty) {
    for await (const chunk of stream as AsyncIterable<Buffer>) ctx.io.stdout.write(chunk);
  } else {
    docker.modem.demuxStream(stream, ctx.io.stdout, ctx.io.stderr);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  }
  return 0;
}

function bufferStream(buf: Buffer): NodeJS.ReadableStream {
  return Readable.from([buf]);
}
