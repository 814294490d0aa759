import fs from 'node:fs';
import type { CommandContext } from '../context.js';
import { StatusError } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { filtersJson } from '../filters.js';
import { goStructValue, renderTemplate, tabwrite, DOCKER_TABWRITER, humanSizeWithPrecision, naturalLess, timeAgo } from '../format/index.js';
import { StreamError } from '../progress.js';

function need(name: string, args: string[], n: number, exact = true): void {
  if (exact ? args.length !== n : args.length < n) throw new StatusError(1, `"tdock ${name}" requires ${exact ? 'exactly' : 'at least'} ${n} argument${n === 1 ? '' : 's'}.\nSee 'tdock ${name} --help'.`);
}

/** `tdock top CONTAINER [ps OPTIONS]` */
export async function top(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('top', 'CONTAINER [ps OPTIONS]', 'Display the running processes of a container', { interspersed: false }), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('top', parsed.args, 1, false);
  const [id, ...psArgs] = parsed.args as [string, ...string[]];
  const docker = await ctx.docker();
  const res = (await docker.getContainer(id).top(psArgs.length ? { ps_args: psArgs.join(' ') } : {})) as { Titles: string[]; Processes: string[][] };
  ctx.out(tabwrite([res.Titles.join('\t'), ...res.Processes.map((p) => p.join('\t'))].join('\n') + '\n', { ...DOCKER_TABWRITER, minwidth: 20 }));
  return 0;
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `tdock port CONTAINER [PRIVATE_PORT[/PROTO]]`: docker/cli's runPort (natural order, tcp by default). */
export async function port(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('port', 'CONTAINER [PRIVATE_PORT[/PROTO]]', 'List port mappings or a specific mapping for the container'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length < 1 || parsed.args.length > 2) throw new StatusError(1, `"tdock port" requires at least 1 and at most 2 arguments.\nSee 'tdock port --help'.`);
  const [name, wanted] = parsed.args as [string, string | undefined];
  const docker = await ctx.docker();
  const info = await docker.getContainer(name).inspect();
  const ports = (info.NetworkSettings.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
  const out: string[] = [];
  if (wanted !== undefined) {
    const [num = '', proto = 'tcp'] = wanted.split('/');
    if (!/^\d+$/.test(num) || Number(num) > 65535) throw new StatusError(1, `Error: invalid port (${num}): strconv.ParseUint: parsing ${JSON.stringify(num)}: ${/^\d+$/.test(num) ? 'value out of range' : 'invalid syntax'}`);
    const frontends = ports[`${num}/${proto || 'tcp'}`];
    if (!frontends?.length) throw new StatusError(1, `Error: No public port '${wanted}' published for ${name}`);
    for (const b of frontends) out.push(joinHostPort(b.HostIp, b.HostPort));
  } else {
    for (const [key, frontends] of Object.entries(ports)) for (const b of frontends ?? []) out.push(`${key} -> ${joinHostPort(b.HostIp, b.HostPort)}`);
  }
  out.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  if (out.length) ctx.out(`${out.join('\n')}\n`);
  return 0;
}

/** `tdock history IMAGE` */
export async function history(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('history', '[OPTIONS] IMAGE', 'Show the history of an image').option('-H, --human', 'Print sizes and dates in human readable format', true).option('--no-trunc', "Don't truncate output").option('-q, --quiet', 'Only show image IDs').option('--format <string>', 'Format output using a custom template');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('history', parsed.args, 1);
  const o = parsed.opts as { trunc?: boolean; quiet?: boolean; format?: string };
  const docker = await ctx.docker();
  const items = (await docker.getImage(parsed.args[0]!).history()) as { Id: string; Created: number; CreatedBy: string; Size: number; Comment: string }[];
  const id = (v: string): string => (v === '<missing>' || o.trunc === false ? v : v.replace(/^sha256:/, '').slice(0, 12));
  if (o.quiet) {
    ctx.out(items.map((h) => `${id(h.Id)}\n`).join(''));
    return 0;
  }
  if (o.format) {
    for (const h of items) ctx.out(`${renderTemplate(o.format, h)}\n`);
    return 0;
  }
  const now = Date.now();
  const rows = items.map((h) => {
    const by = h.CreatedBy.replace(/\s+/g, ' ');
    return [id(h.Id), timeAgo(h.Created, now), o.trunc === false || by.length <= 45 ? by : `${by.slice(0, 44)}…`, humanSizeWithPrecision(h.Size, 3), h.Comment].join('\t');
  });
  ctx.out(tabwrite(['IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT', ...rows].join('\n') + '\n', DOCKER_TABWRITER));
  return 0;
}

/** Go's time.Unix(0, ns).Format("2006-01-02T15:04:05.000000000Z07:00") in the local time zone. */
export function rfc3339NanoFixed(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const offset = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
  const frac = String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, '0');
  const zone = offset === 0 ? 'Z' : `${offset > 0 ? '+' : '-'}${String(Math.trunc(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
  return `${local}.${frac}${zone}`;
}

interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  scope?: string;
  time?: number;
  timeNano?: number;
}

/** docker/cli prettyPrintEvent; `nanos` are the digits of timeNano as sent (JSON numbers lose them). */
export function prettyEvent(e: EventMessage, nanos: bigint): string {
  const time = nanos !== 0n ? `${rfc3339NanoFixed(nanos)} ` : e.time ? `${rfc3339NanoFixed(BigInt(e.time) * 1_000_000_000n)} ` : '';
  const attrs = Object.keys(e.Actor.Attributes ?? {}).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => `${k}=${e.Actor.Attributes![k]}`);
  return `${time}${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

/** An events.Message as a Go struct (field order for `{{json .}}`; omitempty where docker has it). */
function eventStruct(e: EventMessage): EventMessage {
  return goStructValue({
    ...(e.status ? { status: e.status } : {}), ...(e.id ? { id: e.id } : {}), ...(e.from ? { from: e.from } : {}),
    Type: e.Type ?? '', Action: e.Action ?? '', Actor: goStructValue({ ID: e.Actor?.ID ?? '', Attributes: e.Actor?.Attributes ?? {} }),
    scope: e.scope ?? '', time: e.time ?? 0, timeNano: e.timeNano ?? 0,
  });
}

/** `tdock events`: streams events until interrupted (or --until), as docker/cli's runEvents. */
export async function events(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('events', '[OPTIONS]', 'Get real time events from the server')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template:\n\'json\':             Print in JSON format\n\'TEMPLATE\':         Print output using the given Go template.')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length) throw new StatusError(1, `"tdock events" accepts no arguments.\nSee 'tdock events --help'.`);
  const o = parsed.opts as { filter: string[]; format?: string; since?: string; until?: string };
  const format = o.format === 'json' ? '{{json .}}' : o.format;
  if (format) {
    try {
      renderTemplate(format, eventStruct({ Type: '', Action: '', Actor: { ID: '' } }));
    } catch (err) {
      throw new StatusError(64, `Error parsing format: ${(err as Error).message}`);
    }
  }
  const { timestampArg } = await import('./logs.js');
  const docker = await ctx.docker();
  const now = Date.now();
  const f = filtersJson(o.filter);
  const stream = (await docker.getEvents({ ...(f ? { filters: f } : {}), ...(o.since ? { since: timestampArg(o.since, now) } : {}), ...(o.until ? { until: timestampArg(o.until, now) } : {}) } as never)) as unknown as NodeJS.ReadableStream;
  let buf = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const e = JSON.parse(line) as EventMessage;
      if (format) ctx.out(`${renderTemplate(format, eventStruct(e))}\n`);
      else ctx.out(prettyEvent(e, BigInt(/"timeNano":\s*(\d+)/.exec(line)?.[1] ?? '0')));
    }
  }
  return 0;
}

/** `tdock save [-o FILE] IMAGE...` */
export async function save(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('save', '[OPTIONS] IMAGE [IMAGE...]', 'Save one or more images to a tar archive (streamed to STDOUT by default)').option('-o, --output <string>', 'Write to a file, instead of STDOUT'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('save', parsed.args, 1, false);
  const out = parsed.opts.output as string | undefined;
  if (!out && (ctx.io.stdout as NodeJS.WriteStream).isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const docker = await ctx.docker();
  const stream = await (docker as unknown as { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> }).getImages({ names: parsed.args });
  const { pipeline } = await import('node:stream/promises');
  await pipeline(stream, out ? fs.createWriteStream(out) : ctx.io.stdout, { end: !!out });
  return 0;
}

/** `tdock load [-i FILE] [-q]` */
export async function load(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('load', '[OPTIONS]', 'Load an image from a tar archive or STDIN').option('-i, --input <string>', 'Read from tar archive file, instead of STDIN').option('-q, --quiet', 'Suppress the load output'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const input = parsed.opts.input as string | undefined;
  if (!input && (ctx.io.stdin as NodeJS.ReadStream | undefined)?.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
  const docker = await ctx.docker();
  const stream = (await docker.loadImage(input ? fs.createReadStream(input) : ctx.io.stdin!, { quiet: !!parsed.opts.quiet })) as unknown as NodeJS.ReadableStream;
  let body = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) body += chunk.toString();
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { stream?: string; error?: string; errorDetail?: { message?: string } };
    if (msg.error || msg.errorDetail) throw new StreamError(msg.errorDetail?.message ?? msg.error ?? 'load failed', 1);
    if (msg.stream) ctx.out(msg.stream);
  }
  return 0;
}
