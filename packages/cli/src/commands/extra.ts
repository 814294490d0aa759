import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CommandContext } from '../context.js';
import { attachStreams, followTerminalSize } from '../attach.js';
import { StatusError } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { parseNormalizedNamed, referenceName, type Reference } from '@tdock/core';
import { ProgressRenderer, StreamError, followProgress } from '../progress.js';
import { readAuth, writeAuth, removeAuth, registryKey } from '../auth.js';

function need(name: string, args: string[], n: number, exact = true): void {
  if (exact ? args.length !== n : args.length < n) throw new StatusError(1, `"tdock ${name}" requires ${exact ? 'exactly' : 'at least'} ${n} argument${n === 1 ? '' : 's'}.\nSee 'tdock ${name} --help'.`);
}

/** `tdock attach CONTAINER`: stdin, stdout and stderr of a running container; exits with its code. */
export async function attach(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('attach', '[OPTIONS] CONTAINER', "Attach local standard input, output, and error streams to a running container")
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy', 'Proxy all received signals to the process', true);
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('attach', parsed.args, 1);
  const o = parsed.opts as { detachKeys?: string; stdin?: boolean };
  const docker = await ctx.docker();
  const container = docker.getContainer(parsed.args[0]!);
  const info = await container.inspect();
  if (!info.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
  if (info.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
  const tty = !!info.Config.Tty;
  const session = await attachStreams(ctx, container, { stdin: o.stdin !== false && !!info.Config.OpenStdin, tty, detachKeys: o.detachKeys });
  const stopResize = tty ? followTerminalSize(ctx, (h, w) => container.resize({ h, w })) : () => {};
  try {
    await session.done;
  } finally {
    stopResize();
  }
  if (session.detached()) return 0;
  const after = await container.inspect();
  if (after.State.Running) return 0;
  return after.State.ExitCode;
}

/** Splits `CONTAINER:PATH`; undefined for a local path. */
function splitCpArg(arg: string): { container?: string; path: string } {
  if (path.isAbsolute(arg) || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** `tdock cp`: copies between a container and the local filesystem, as tar streams. */
export async function cp(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('cp', '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       tdock cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', 'Copy files/folders between a container and the local filesystem')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('cp', parsed.args, 2);
  const src = splitCpArg(parsed.args[0]!);
  const dst = splitCpArg(parsed.args[1]!);
  if (src.container && dst.container) throw new StatusError(1, 'copying between containers is not supported');
  if (!src.container && !dst.container) throw new StatusError(1, 'must specify at least one container source');
  const docker = await ctx.docker();
  const { default: tarFs } = await import('tar-fs');
  if (src.container) {
    const c = docker.getContainer(src.container);
    const stream = (await c.getArchive({ path: src.path })) as unknown as NodeJS.ReadableStream;
    if (dst.path === '-') {
      await pipeline(stream, ctx.io.stdout, { end: false });
      return 0;
    }
    const exists = fs.existsSync(dst.path) && fs.statSync(dst.path).isDirectory();
    const base = path.posix.basename(src.path.replace(/\/+$/, '')) || '/';
    const target = exists ? dst.path : path.dirname(path.resolve(dst.path));
    const rename = exists ? undefined : path.basename(dst.path);
    await pipeline(stream, tarFs.extract(target, {
      map: (h) => {
        if (rename && (h.name === base || h.name.startsWith(`${base}/`))) h.name = rename + h.name.slice(base.length);
        return h;
      },
      ...(parsed.opts.archive ? {} : { chown: false }),
    }));
    return 0;
  }
  const c = docker.getContainer(dst.container!);
  const local = path.resolve(src.path);
  if (!fs.existsSync(local)) throw new StatusError(1, `lstat ${local}: no such file or directory`);
  const tar = tarFs.pack(path.dirname(local), { entries: [path.basename(local)] });
  await c.putArchive(tar as unknown as NodeJS.ReadableStream, { path: dst.path });
  return 0;
}

/** `tdock diff CONTAINER`: A/C/D lines as docker prints them. */
export async function diff(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('diff', 'CONTAINER', "Inspect changes to files or directories on a container's filesystem"), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('diff', parsed.args, 1);
  const docker = await ctx.docker();
  const changes = ((await docker.getContainer(parsed.args[0]!).changes()) ?? []) as { Path: string; Kind: number }[];
  ctx.out(changes.map((c) => `${['C', 'A', 'D'][c.Kind] ?? '?'} ${c.Path}\n`).join(''));
  return 0;
}

/** `tdock export [-o FILE] CONTAINER` */
export async function exportCmd(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('export', '[OPTIONS] CONTAINER', "Export a container's filesystem as a tar archive").option('-o, --output <string>', 'Write to a file, instead of STDOUT'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('export', parsed.args, 1);
  const out = parsed.opts.output as string | undefined;
  if (!out && (ctx.io.stdout as NodeJS.WriteStream).isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const docker = await ctx.docker();
  const stream = (await docker.getContainer(parsed.args[0]!).export()) as unknown as NodeJS.ReadableStream;
  await pipeline(stream, out ? fs.createWriteStream(out) : ctx.io.stdout, { end: !!out });
  return 0;
}

/** `tdock import file|- [REPOSITORY[:TAG]]` */
export async function importCmd(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('import', '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', 'Import the contents from a tarball to create a filesystem image')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('import', parsed.args, 1, false);
  const [source, repoTag] = parsed.args as [string, string | undefined];
  const o = parsed.opts as { change: string[]; message?: string; platform?: string };
  const docker = await ctx.docker();
  const ref = repoTag ? parseNormalizedNamed(repoTag) : undefined;
  const input = source === '-' ? ctx.io.stdin! : fs.createReadStream(source);
  const stream = (await docker.importImage(input as NodeJS.ReadableStream, { ...(ref ? { repo: referenceName(ref), tag: ref.tag ?? 'latest' } : {}), changes: o.change, ...(o.message ? { message: o.message } : {}), ...(o.platform ? { platform: o.platform } : {}) } as never)) as unknown as NodeJS.ReadableStream;
  let id = '';
  let body = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) body += chunk.toString();
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { status?: string; error?: string };
    if (msg.error) throw new StreamError(msg.error, 1);
    if (msg.status) id = msg.status;
  }
  ctx.out(`${id}\n`);
  return 0;
}

/** `tdock commit CONTAINER [REPOSITORY[:TAG]]` */
export async function commit(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('commit', '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', "Create a new image from a container's changes")
    .option('-a, --author <string>', 'Author')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .option('--no-pause', 'Do not pause the container during commit');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('commit', parsed.args, 1, false);
  const o = parsed.opts as { author?: string; change: string[]; message?: string; pause?: boolean };
  const ref: Reference | undefined = parsed.args[1] ? parseNormalizedNamed(parsed.args[1]) : undefined;
  const docker = await ctx.docker();
  const res = (await docker.getContainer(parsed.args[0]!).commit({ ...(ref ? { repo: referenceName(ref), tag: ref.tag ?? 'latest' } : {}), author: o.author, comment: o.message, changes: o.change, pause: o.pause !== false } as never)) as unknown as { Id: string };
  ctx.out(`${res.Id}\n`);
  return 0;
}

/** `tdock update [OPTIONS] CONTAINER...` */
export async function update(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('update', '[OPTIONS] CONTAINER [CONTAINER...]', 'Update configuration of one or more containers')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('update', parsed.args, 1, false);
  const o = parsed.opts as { cpus?: string; cpuShares?: string; cpusetCpus?: string; memory?: string; memorySwap?: string; pidsLimit?: string; restart?: string };
  const { ramInBytes } = await import('@tdock/core');
  const body: Record<string, unknown> = {};
  if (o.cpus) body.NanoCpus = Math.round(Number(o.cpus) * 1e9);
  if (o.cpuShares) body.CpuShares = Number(o.cpuShares);
  if (o.cpusetCpus) body.CpusetCpus = o.cpusetCpus;
  if (o.memory) body.Memory = ramInBytes(o.memory);
  if (o.memorySwap) body.MemorySwap = o.memorySwap === '-1' ? -1 : ramInBytes(o.memorySwap);
  if (o.pidsLimit) body.PidsLimit = Number(o.pidsLimit);
  if (o.restart) {
    const [Name, count] = o.restart.split(':');
    body.RestartPolicy = { Name, ...(count ? { MaximumRetryCount: Number(count) } : {}) };
  }
  const docker = await ctx.docker();
  for (const id of parsed.args) {
    await docker.getContainer(id).update(body);
    ctx.out(`${id}\n`);
  }
  return 0;
}

/** `tdock push NAME[:TAG]` with per-layer progress. */
export async function push(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('push', '[OPTIONS] NAME[:TAG]', 'Upload an image to a registry').option('-a, --all-tags', 'Push all tags of an image to the repository').option('-q, --quiet', 'Suppress verbose output');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('push', parsed.args, 1);
  const ref = parseNormalizedNamed(parsed.args[0]!);
  const docker = await ctx.docker();
  const auth = readAuth(ctx.io.env, registryKey(ref));
  const image = docker.getImage(referenceName(ref));
  const stream = (await image.push({ tag: ref.tag ?? (parsed.opts.allTags ? '' : 'latest'), ...(auth ? { authconfig: auth } : {}) } as never)) as unknown as NodeJS.ReadableStream;
  const out = parsed.opts.quiet ? { write: () => true } : ctx.io.stdout;
  try {
    await followProgress(stream, new ProgressRenderer(out as NodeJS.WritableStream, (ctx.io.stdout as NodeJS.WriteStream).isTTY === true));
  } catch (err) {
    if (err instanceof StreamError) throw new StatusError(1, err.message);
    throw err;
  }
  return 0;
}

/** `tdock login [SERVER]`: checks the credentials with the daemon and stores them as docker does. */
export async function login(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('login', '[OPTIONS] [SERVER]', 'Authenticate to a registry')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .option('-u, --username <string>', 'Username');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const o = parsed.opts as { password?: string; passwordStdin?: boolean; username?: string };
  let password = o.password;
  if (o.passwordStdin) {
    if (!o.username) throw new StatusError(1, 'Must provide --username with --password-stdin');
    let text = '';
    for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) text += chunk.toString();
    password = text.replace(/\r?\n$/, '');
  }
  if (!o.username || !password) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
  const server = parsed.args[0] ?? 'https://index.docker.io/v1/';
  const docker = await ctx.docker();
  await docker.checkAuth({ username: o.username, password, serveraddress: server });
  writeAuth(ctx.io.env, server, o.username, password);
  ctx.out('Login Succeeded\n');
  return 0;
}

/** `tdock logout [SERVER]` */
export async function logout(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('logout', '[SERVER]', 'Log out from a registry'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  const server = parsed.args[0] ?? 'https://index.docker.io/v1/';
  ctx.out(removeAuth(ctx.io.env, server) ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
  return 0;
}
