/**
 * OCI bundles for the runtime benchmarks: `runc spec`'s default config, adjusted to run one command
 * without a terminal in a new network namespace (runc's default has one: "network none"), and a
 * bundle directory holding it with a private copy of the kit's busybox rootfs.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The parts of an OCI config the adjustment touches; the rest is kept as is. */
export interface BundleConfig {
  process?: { terminal?: boolean; args?: string[]; [k: string]: unknown };
  root?: { path?: string; readonly?: boolean };
  hostname?: string;
  linux?: { namespaces?: { type: string; path?: string }[]; cgroupsPath?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * `runc spec`'s config adjusted for a benchmark: no terminal, `args`, hostname `bench`, a new
 * network namespace (added when missing, a joined one made new), so nothing but loopback exists,
 * and no ambient capabilities (runc's default lists them without an inheritable set: runc ignores
 * the failing raise, @tdock/runtime reports it; Docker sets none).
 */
export function adjustSpec(spec: BundleConfig, args: string[]): BundleConfig {
  const out = structuredClone(spec);
  const caps = out.process?.capabilities as Record<string, unknown> | undefined;
  if (caps) delete caps.ambient;
  out.process = { ...(out.process ?? {}), terminal: false, args: [...args] };
  out.hostname = 'bench';
  const namespaces = (out.linux?.namespaces ?? []).filter((n) => n.type !== 'network');
  out.linux = { ...(out.linux ?? {}), namespaces: [...namespaces, { type: 'network' }] };
  return out;
}

/** Writes `<dir>/config.json` (from `runc spec`, adjusted) and `<dir>/rootfs` (a copy of `rootfs`). */
export async function makeBundle(dir: string, rootfs: string, args: string[]): Promise<BundleConfig> {
  await mkdir(dir, { recursive: true });
  await run('runc', ['spec', '--bundle', dir]);
  const spec = adjustSpec(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as BundleConfig, args);
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  await run('cp', ['-a', rootfs, path.join(dir, 'rootfs')]);
  return spec;
}
