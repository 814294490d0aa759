import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CommandContext } from '../context.js';
import { attachStreams, followSession } from '../attach.js';
import { StatusError, daemonMessage } from '../exit.js';
import { collect, makeCommand, Option, parseArgs } from '../flags.js';
import { parseNormalizedNamed, referenceName, type Reference } from '@tdock/core';
import { ProgressRenderer, StreamError, followProgress } from '../progress.js';
import { INDEX_SERVER, configPath, convertToHostname, readAuth, writeAuth, removeAuth, registryKey } from '../auth.js';

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
  if (await followSession(ctx, container, session, tty)) return 0;
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
  let input: NodeJS.ReadableStream;
  if (source === '-') input = ctx.io.stdin!;
  else {
    let fd: number;
    try {
      fd = fs.openSync(source, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new StatusError(1, `open ${source}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
    }
    input = fs.createReadStream('', { fd });
  }
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

/** docker/cli opts.ParseRestartPolicy: the name is the daemon's to check. */
function parseRestartPolicy(text: string): { Name: string; MaximumRetryCount: number } {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const count = colon < 0 ? '' : text.slice(colon + 1);
  if (colon >= 0 && name === '') throw new StatusError(1, 'invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[+-]?\d+$/.test(count)) throw new StatusError(1, 'invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: count === '' ? 0 : Number(count) };
}

/** A pflag value parse error: a usage error (125) in docker's words. */
function flagValue<T>(flag: string, text: string | undefined, parse: (t: string) => T, zero: T): T {
  if (text === undefined) return zero;
  try {
    return parse(text);
  } catch (err) {
    throw new StatusError(125, `invalid argument "${text}" for "${flag}" flag: ${(err as Error).message}\nSee 'tdock update --help'.`);
  }
}

function goInt(t: string): number {
  if (!/^[+-]?\d+$/.test(t.trim())) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(t)}: invalid syntax`);
  return Number(t);
}

/** `tdock update [OPTIONS] CONTAINER...`: docker/cli's runUpdate (every Resources field is sent, zero when unset). */
export async function update(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('update', '[OPTIONS] CONTAINER [CONTAINER...]', 'Update configuration of one or more containers')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds')
    .option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits');
  cmd.addOption(new Option('--kernel-memory <bytes>', 'Kernel memory limit (deprecated)').hideHelp());
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  need('update', parsed.args, 1, false);
  const o = parsed.opts as Record<string, string | undefined>;
  if (Object.values(o).every((v) => v === undefined)) throw new StatusError(1, 'you must provide one or more flags when using this command');
  const { ramInBytes } = await import('@tdock/core');
  const bytes = (t: string): number => {
    try {
      return ramInBytes(t);
    } catch {
      throw new Error(`invalid size: '${t}'`);
    }
  };
  const swap = (t: string): number => (t === '-1' ? -1 : bytes(t));
  const cpus = (t: string): number => {
    const n = Number(t);
    if (!Number.isFinite(n)) throw new Error(`failed to parse ${t} as a rational number`);
    return Math.round(n * 1e9);
  };
  const pids = flagValue('--pids-limit', o.pidsLimit, goInt, 0);
  const body: Record<string, unknown> = {
    BlkioWeight: flagValue('--blkio-weight', o.blkioWeight, goInt, 0),
    CpusetCpus: o.cpusetCpus ?? '',
    CpusetMems: o.cpusetMems ?? '',
    CpuShares: flagValue('-c, --cpu-shares', o.cpuShares, goInt, 0),
    Memory: flagValue('-m, --memory', o.memory, bytes, 0),
    MemoryReservation: flagValue('--memory-reservation', o.memoryReservation, bytes, 0),
    MemorySwap: flagValue('--memory-swap', o.memorySwap, swap, 0),
    KernelMemory: flagValue('--kernel-memory', o.kernelMemory, bytes, 0),
    CpuPeriod: flagValue('--cpu-period', o.cpuPeriod, goInt, 0),
    CpuQuota: flagValue('--cpu-quota', o.cpuQuota, goInt, 0),
    CpuRealtimePeriod: flagValue('--cpu-rt-period', o.cpuRtPeriod, goInt, 0),
    CpuRealtimeRuntime: flagValue('--cpu-rt-runtime', o.cpuRtRuntime, goInt, 0),
    NanoCpus: flagValue('--cpus', o.cpus, cpus, 0),
    ...(pids !== 0 ? { PidsLimit: pids } : {}),
    RestartPolicy: o.restart ? parseRestartPolicy(o.restart) : { Name: '', MaximumRetryCount: 0 },
  };
  const docker = await ctx.docker();
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const id of parsed.args) {
    try {
      const r = (await docker.getContainer(id).update(body)) as { Warnings?: string[] | null } | undefined;
      ctx.out(`${id}\n`);
      warnings.push(...(r?.Warnings ?? []));
    } catch (err) {
      errors.push(daemonMessage(err));
    }
  }
  if (warnings.length) ctx.out(`${warnings.join('\n')}\n`);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
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

/** docker/cli's unencryptedWarning, printed when a password lands in config.json. */
function unencryptedWarning(file: string): string {
  return `\nWARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`;
}

/**
 * `tdock login [SERVER]`: docker/cli's runLogin. Stored credentials are tried first when no
 * username or password is given; the daemon checks them (POST /auth) and they are saved in
 * config.json under the registry's host name.
 */
export async function login(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('login', '[OPTIONS] [SERVER]', 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .option('-u, --username <string>', 'Username');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length > 1) throw new StatusError(1, `"tdock login" requires at most 1 argument.\nSee 'tdock login --help'.`);
  const o = parsed.opts as { password?: string; passwordStdin?: boolean; username?: string };
  if (o.passwordStdin) {
    if (o.password !== undefined) throw new StatusError(1, 'conflicting options: cannot specify both --password and --password-stdin');
    if (o.username === undefined) throw new StatusError(1, 'the --password-stdin option requires --username to be set');
  }
  if (o.username === '') throw new StatusError(1, 'username is empty');
  if (o.password === '') throw new StatusError(1, 'password is empty');
  const user = o.username ?? '';
  let password = o.password ?? '';
  if (password) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (o.passwordStdin) {
    let text = '';
    for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) text += chunk.toString();
    password = text.replace(/\n$/, '').replace(/\r$/, '');
  }
  const given = parsed.args[0] ?? '';
  const isDefault = given === '' || given === 'docker.io' || given === INDEX_SERVER;
  const server = isDefault ? INDEX_SERVER : convertToHostname(given);
  const docker = await ctx.docker();
  const check = async (username: string, pw: string): Promise<string> => {
    const res = (await docker.checkAuth({ username, password: pw, serveraddress: server })) as { Status?: string } | undefined;
    if (writeAuth(ctx.io.env, server, username, pw)) ctx.err(unencryptedWarning(configPath(ctx.io.env)));
    return res?.Status ?? 'Login Succeeded';
  };
  if (!user && !password) {
    const stored = readAuth(ctx.io.env, server);
    if (stored?.username && stored.password) {
      ctx.err(`Authenticating with existing credentials... [Username: ${stored.username}]\n\n Info -> To login with a different account, run 'tdock logout' followed by 'tdock login'\n\n\n`);
      try {
        ctx.out(`${await check(stored.username, stored.password)}\n`);
        return 0;
      } catch (err) {
        ctx.err((err as { statusCode?: number }).statusCode === 401 ? 'Stored credentials invalid or expired\n' : `Login did not succeed, error: ${daemonMessage(err)}\n`);
      }
    }
  }
  const stdin = ctx.io.stdin as NodeJS.ReadStream | undefined;
  if ((!user || !password) && !stdin?.isTTY) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
  const creds = await promptCredentials(ctx, stdin!, user, password, readAuth(ctx.io.env, server)?.username ?? '');
  ctx.out(`${await check(creds.username, creds.password)}\n`);
  return 0;
}

/** docker/cli prompt.ReadInput: writes the prompt, reads one line from the terminal, trimmed. */
function readInput(ctx: CommandContext, stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  ctx.out(prompt);
  return new Promise((resolve) => {
    let buf = '';
    const done = (line: string): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(line.trim());
    };
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = (): void => done(buf);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/** docker/cli PromptUserForCredentials on a terminal: "Username (stored): ", then "Password: " without echo. */
async function promptCredentials(ctx: CommandContext, stdin: NodeJS.ReadStream, user: string, password: string, stored: string): Promise<{ username: string; password: string }> {
  let username = user.trim();
  if (!username) {
    username = (await readInput(ctx, stdin, stored ? `Username (${stored}): ` : 'Username: ')) || stored;
    if (!username) throw new StatusError(1, 'Error: Non-null Username Required');
  }
  let pw = password.trim();
  if (!pw) {
    const { spawnSync } = await import('node:child_process');
    const stty = (arg: string): void => void spawnSync('stty', [arg], { stdio: [(stdin as unknown as { fd?: number }).fd ?? 0, 'ignore', 'ignore'] });
    stty('-echo');
    try {
      pw = await readInput(ctx, stdin, 'Password: ');
    } finally {
      stty('echo');
    }
    ctx.out('\n');
    if (!pw) throw new StatusError(1, 'Error: Password Required');
  }
  return { username, password: pw };
}

/** `tdock logout [SERVER]`: docker/cli's runLogout (erases every form of the key it may be saved under). */
export async function logout(ctx: CommandContext, argv: string[]): Promise<number> {
  const parsed = parseArgs(makeCommand('logout', '[SERVER]', 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.'), argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length > 1) throw new StatusError(1, `"tdock logout" requires at most 1 argument.\nSee 'tdock logout --help'.`);
  const given = parsed.args[0] ?? '';
  if (!given) {
    ctx.out(`Removing login credentials for ${INDEX_SERVER}\n`);
    removeAuth(ctx.io.env, [INDEX_SERVER]);
    return 0;
  }
  const host = convertToHostname(given);
  ctx.out(`Removing login credentials for ${host}\n`);
  removeAuth(ctx.io.env, [given, host, `http://${host}`, `https://${host}`]);
  return 0;
}
