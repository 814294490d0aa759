// The `debian` image's rootfs: `debootstrap --variant=minbase bookworm` from the mirror apt on this
// machine is configured with (read at run time; never written into the repo or the image).
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './proc.js';

/** The suite the `debian` image is made from. */
export const DEBIAN_SUITE = 'bookworm';

/**
 * Reads the Debian mirror from apt's own configuration: deb822 `URIs:` in
 * `<etcApt>/sources.list.d/*.sources` first, then classic `deb URI suite ...` lines in
 * `<etcApt>/sources.list` and `<etcApt>/sources.list.d/*.list`. Prefers an entry for `suite`
 * that is not a security archive.
 */
export async function aptMirror(etcApt = '/etc/apt', suite = DEBIAN_SUITE): Promise<string> {
  const candidates: { uri: string; suites: string[] }[] = [];
  const dir = join(etcApt, 'sources.list.d');
  const files = existsSync(dir) ? (await readdir(dir)).sort() : [];
  for (const f of files.filter((n) => n.endsWith('.sources'))) {
    const text = await readFile(join(dir, f), 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const fields = new Map<string, string>();
      for (const line of stanza.split('\n')) {
        if (line.startsWith('#')) continue;
        const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
        if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
      }
      if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
      if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
      const suites = (fields.get('suites') ?? '').split(/\s+/);
      for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) candidates.push({ uri, suites });
    }
  }
  const lists = [join(etcApt, 'sources.list'), ...files.filter((n) => n.endsWith('.list')).map((n) => join(dir, n))];
  for (const file of lists) {
    if (!existsSync(file)) continue;
    for (const raw of (await readFile(file, 'utf8')).split('\n')) {
      const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
      if (line[0] === 'deb' && line[1] && line[2]) candidates.push({ uri: line[1], suites: [line[2]] });
    }
  }
  const good = (c: { uri: string }): boolean => /^(https?|file):/.test(c.uri) && !/security/.test(c.uri);
  const pick = candidates.find((c) => good(c) && c.suites.includes(suite)) ?? candidates.find(good);
  if (!pick) throw new Error(`no Debian mirror found in ${etcApt} (sources.list.d/*.sources or sources.list)`);
  return pick.uri;
}

/** Paths debootstrap leaves that must not go into an image (host details, the mirror, device nodes, caches). */
const STRIP_GLOBS: readonly [string, (name: string) => boolean][] = [
  ['etc/apt/sources.list.d', () => true],
  ['dev', () => true],
  ['var/cache/apt', (n) => n.endsWith('.bin')],
  ['var/cache/apt/archives', (n) => n.endsWith('.deb')],
  ['var/lib/apt/lists', (n) => n !== 'partial'],
  ['var/lib/apt/lists/partial', () => true],
  ['var/log', (n) => ['bootstrap.log', 'dpkg.log', 'alternatives.log'].includes(n)],
  ['var/log/apt', () => true],
];

/** Removes from a debootstrap tree what must not ship (see {@link STRIP_GLOBS} and the fixed files). */
export async function stripRootfs(root: string): Promise<void> {
  for (const f of ['etc/apt/sources.list', 'etc/resolv.conf', 'etc/hostname', 'etc/machine-id']) {
    await rm(join(root, f), { force: true });
  }
  for (const [dir, match] of STRIP_GLOBS) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const name of await readdir(abs)) if (match(name)) await rm(join(abs, name), { recursive: true, force: true });
  }
}

/** Checks that `mirror` appears in none of the files apt or debootstrap would have put it in. */
export async function assertNoMirror(root: string, mirror: string): Promise<void> {
  const host = new URL(mirror).host;
  const res = await run('grep', ['-rlsF', '--', host, join(root, 'etc'), join(root, 'var/lib/apt'), join(root, 'var/log'), join(root, 'var/cache')], { allowFail: true });
  const hits = res.stdout.split('\n').filter(Boolean);
  if (hits.length) throw new Error(`mirror address left in the debian rootfs: ${hits.join(', ')}`);
}

/** Runs debootstrap into `dir` (must not exist or be empty), then strips it. Takes about a minute. */
export async function debootstrapRootfs(dir: string): Promise<void> {
  if (!existsSync('/usr/sbin/debootstrap')) throw new Error('debootstrap is missing: apt-get install debootstrap');
  const mirror = await aptMirror();
  await run('/usr/sbin/debootstrap', ['--variant=minbase', DEBIAN_SUITE, dir, mirror]);
  await stripRootfs(dir);
  await assertNoMirror(dir, mirror);
}
