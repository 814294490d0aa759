import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { buildImage } from '../build-context.js';
import { StatusError } from '../exit.js';
import { collect, makeCommand, parseArgs } from '../flags.js';
import { StreamError } from '../progress.js';
import { parseUlimit } from '../run-options.js';
import { ramInBytes } from '@tdock/core';

function keyValues(items: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (env[item] !== undefined) out[item] = env[item]!;
  }
  return out;
}

function intFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new StatusError(125, `invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax\nSee 'tdock build --help'.`);
  return Number(v);
}

function bytesFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === '-1') return -1;
  try {
    return ramInBytes(v);
  } catch {
    throw new StatusError(125, `invalid argument "${v}" for "--${name}" flag: invalid size: '${v}'\nSee 'tdock build --help'.`);
  }
}

/** The resource flags as `/build` query parameters (docker's names). */
function buildResources(o: { addHost: string[]; cpuPeriod?: string; cpuQuota?: string; cpuShares?: string; cpusetCpus?: string; cpusetMems?: string; memory?: string; memorySwap?: string; shmSize?: string; ulimit: string[] }): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  const nums: Array<[string, number | undefined]> = [
    ['memory', bytesFlag('memory', o.memory)], ['memswap', bytesFlag('memory-swap', o.memorySwap)], ['shmsize', bytesFlag('shm-size', o.shmSize)],
    ['cpushares', intFlag('cpu-shares', o.cpuShares)], ['cpuperiod', intFlag('cpu-period', o.cpuPeriod)], ['cpuquota', intFlag('cpu-quota', o.cpuQuota)],
  ];
  for (const [k, v] of nums) if (v !== undefined) out[k] = v;
  if (o.cpusetCpus) out.cpusetcpus = o.cpusetCpus;
  if (o.cpusetMems) out.cpusetmems = o.cpusetMems;
  if (o.addHost.length) out.extrahosts = o.addHost;
  if (o.ulimit.length) out.ulimits = JSON.stringify(o.ulimit.map(parseUlimit));
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
    .option('--target <string>', 'Set the target build stage to build.')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping ("host:ip")', collect, [])
    .option('--cache-from <strings>', 'Images to consider as cache sources', collect, [])
    .option('--cpu-period <int>', 'Limit the CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit the CPU CFS (Completely Fair Scheduler) quota')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--force-rm', 'Always remove intermediate containers')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
    .option('--rm [bool]', 'Remove intermediate containers after a successful build (default true)')
    .option('--shm-size <bytes>', 'Size of "/dev/shm"')
    .option('--ulimit <ulimit>', 'Ulimit options', collect, []);
  const parsed = parseArgs(cmd, argv, (t) => ctx.out(t));
  if (!parsed) return 0;
  if (parsed.args.length !== 1) throw new StatusError(1, `"tdock build" requires exactly 1 argument.\nSee 'tdock build --help'.`);
  const o = parsed.opts as {
    buildArg: string[]; file?: string; iidfile?: string; label: string[]; network?: string; cache?: boolean; platform?: string; pull?: boolean; quiet?: boolean; tag: string[]; target?: string;
    addHost: string[]; cacheFrom: string[]; cpuPeriod?: string; cpuQuota?: string; cpuShares?: string; cpusetCpus?: string; cpusetMems?: string; forceRm?: boolean;
    memory?: string; memorySwap?: string; rm?: boolean | string; shmSize?: string; ulimit: string[];
  };
  const resources = buildResources(o);
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
      cacheFrom: o.cacheFrom.flatMap((c) => c.split(',')).filter(Boolean), rm: o.rm === undefined || o.rm === true || !['false', '0'].includes(String(o.rm)), forceRm: !!o.forceRm, resources,
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
