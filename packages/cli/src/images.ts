import { familiarString, parseNormalizedNamed, referenceName, type Reference } from '@tdock/core';
import type { CommandContext } from './context.js';
import { readAuth, registryKey } from './auth.js';
import { ProgressRenderer, followProgress } from './progress.js';

function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as NodeJS.WriteStream).isTTY === true;
}

/** Pulls an image as `docker pull` does, rendering progress to stdout (or nothing when quiet). */
export async function pullImage(ctx: CommandContext, image: string, opts: { platform?: string; quiet?: boolean; all?: boolean; forRun?: boolean } = {}): Promise<Reference> {
  const ref = parseNormalizedNamed(image);
  const tagged = ref.tag === undefined && ref.digest === undefined && !opts.all;
  if (tagged && !opts.quiet && !opts.forRun) ctx.out('Using default tag: latest\n');
  const docker = await ctx.docker();
  const query: Record<string, string> = { fromImage: referenceName(ref), tag: ref.digest ?? ref.tag ?? (opts.all ? '' : 'latest') };
  if (opts.platform) query.platform = opts.platform;
  // As docker does, the credentials `login` stored for the registry go along (X-Registry-Auth).
  const auth = readAuth(ctx.io.env, registryKey(ref));
  const stream = (await docker.createImage({ ...query, ...(auth ? { authconfig: auth } : {}) })) as NodeJS.ReadableStream;
  // docker run writes the pull's progress to stderr, docker pull to stdout.
  const out = opts.forRun ? ctx.io.stderr : ctx.io.stdout;
  const renderer = new ProgressRenderer(opts.quiet ? devNull() : out, isTerminal(out));
  await followProgress(stream, renderer);
  const full = tagged ? { ...ref, tag: 'latest' } : ref;
  if (!opts.quiet && !opts.forRun) ctx.out(`${referenceString(full)}\n`);
  return full;
}

function referenceString(ref: Reference): string {
  return `${referenceName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

function devNull(): NodeJS.WritableStream {
  return { write: () => true } as unknown as NodeJS.WritableStream;
}

/** The familiar form with the default tag, as docker prints "Unable to find image 'x:latest'". */
export function familiarWithTag(image: string): string {
  const ref = parseNormalizedNamed(image);
  return familiarString(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref);
}
