import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { buildImage } from '../build-context.js';
import { StatusError } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { StreamError } from '../progress.js';

function keyValues(items: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (env[item] !== undefined) out[item] = env[item]!;
  }
  return out;
}

/** `tdock build [OPTIONS] PATH | -`: the legacy builder's API, with docker build's flags. */
export async function run(ctx: CommandContext, argv: string[]): Promise<number> {
  const cmd = makeCommand('build', '[OPTIONS] PATH | -', 'Build an image from a Dockerfile')
    .option('--build-arg <list>', 'Set build-time variables', collect, [])
    .option('-f, --file <string>', "Name of the Dockerfile (default: 'PATH/Dockerfile')")
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('--label <list>', 'Set metadata for an image', collect, [])
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--progress <string>', 'Set type of progress output (auto, plain, tty)', 'auto')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect, [])
    .option('--target <string>', 'Set the target build stage to build.');
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length !== 1) throw new StatusError(1, `"tdock build" requires exactly 1 argument.\nSee 'tdock build --help'.`);
  const o = parsed.opts as { buildArg: string[]; file?: string; iidfile?: string; label: string[]; network?: string; cache?: boolean; platform?: string; pull?: boolean; quiet?: boolean; tag: string[]; target?: string };
  let context = parsed.args[0]!;
  let tmp: string | undefined;
  let dockerfile = o.file ?? 'Dockerfile';
  if (context === '-') {
    // A Dockerfile on stdin, with an empty context (docker's `docker build - < Dockerfile`).
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-build-'));
    let text = '';
    for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) text += chunk.toString();
    fs.writeFileSync(path.join(tmp, 'Dockerfile'), text);
    context = tmp;
    dockerfile = 'Dockerfile';
  } else if (o.file === '-') {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-build-'));
    let text = '';
    for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) text += chunk.toString();
    dockerfile = path.join(tmp, 'Dockerfile');
    fs.writeFileSync(dockerfile, text);
  } else if (o.file) dockerfile = path.resolve(o.file);
  if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) throw new StatusError(1, `unable to prepare context: path "${context}" not found`);
  const docker = await ctx.docker();
  try {
    const id = await buildImage(docker, {
      context, dockerfile: path.isAbsolute(dockerfile) ? dockerfile : path.join(path.resolve(context), dockerfile), tags: o.tag, buildArgs: keyValues(o.buildArg, ctx.io.env),
      labels: keyValues(o.label, {}), target: o.target, network: o.network, noCache: o.cache === false, pull: o.pull, quiet: o.quiet, platform: o.platform,
    }, (text) => ctx.out(text));
    if (o.iidfile) {
      if (!id) throw new StatusError(1, `Server did not provide an image ID. Cannot write ${o.iidfile}`);
      fs.writeFileSync(o.iidfile, id);
    }
    if (o.quiet && id) ctx.out(`${id}\n`);
    return 0;
  } catch (err) {
    if (err instanceof StreamError) {
      ctx.err(`${err.message}\n`);
      return err.code;
    }
    throw err;
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
