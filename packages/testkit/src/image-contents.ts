// The content of the kit's small images: the busybox rootfs, the small arm64 layer of the index,
// and the malicious layers.
import { copyFile, chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LayerEntry } from './layer.js';
import { run } from './proc.js';

/** Where the kit takes busybox from (Debian's busybox-static). */
export const BUSYBOX_BINARY = '/bin/busybox';

/** The PATH of every kit image's config. */
export const IMAGE_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  'tdtest:x:1000:1000:tdock test user:/tmp:/bin/sh',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'nobody:x:65534:', 'tdtest:x:1000:', ''].join('\n');

/**
 * Builds the busybox rootfs at `root`: the static busybox binary, a symlink per applet
 * (`busybox --list-full`), /etc/passwd and /etc/group (root, nobody, tdtest uid 1000), /tmp (1777),
 * /root (0700) and empty /proc, /sys, /dev.
 */
export async function makeBusyboxRootfs(root: string): Promise<void> {
  const dirs: [string, number][] = [
    ['bin', 0o755], ['sbin', 0o755], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
    ['etc', 0o755], ['tmp', 0o1777], ['root', 0o700], ['proc', 0o555], ['sys', 0o555], ['dev', 0o755],
    ['var', 0o755],
  ];
  await mkdir(root, { recursive: true });
  await chmod(root, 0o755);
  for (const [d, mode] of dirs) {
    await mkdir(join(root, d), { recursive: true });
    await chmod(join(root, d), mode);
  }
  await copyFile(BUSYBOX_BINARY, join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const { stdout } = await run(BUSYBOX_BINARY, ['--list-full']);
  const applets = [...new Set(stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'bin/busybox'))].sort();
  for (const a of applets) {
    await mkdir(dirname(join(root, a)), { recursive: true });
    await symlink('/bin/busybox', join(root, a));
  }
  await writeFile(join(root, 'etc/passwd'), PASSWD);
  await writeFile(join(root, 'etc/group'), GROUP);
  await chmod(join(root, 'etc/passwd'), 0o644);
  await chmod(join(root, 'etc/group'), 0o644);
}

/** The one small layer of the index's non-native platform entry (never run, only chosen or skipped). */
export function otherPlatformLayer(arch: string): LayerEntry[] {
  return [
    { name: 'etc', type: 'directory' },
    { name: 'etc/platform', type: 'file', content: Buffer.from(`linux/${arch}\n`) },
  ];
}

/** The kinds of malicious image the kit provides. */
export type MaliciousKind = 'traversal' | 'absolute' | 'symlinkEscape' | 'symlinkEscapeAbsolute' | 'hardlinkEscape';

/** A malicious one-layer image: its entries (in this order) and the host paths a broken unpacker would touch. */
export interface MaliciousSpec {
  kind: MaliciousKind;
  description: string;
  entries: LayerEntry[];
  /** Host paths outside the unpack root that must not exist (or be unchanged) after an unpack attempt. */
  escapes: string[];
}

/** The malicious layers. Every escape target lives under /tmp with a `tdock-kit-escape-` name. */
export function maliciousSpecs(): MaliciousSpec[] {
  const up = '../../../../../../../../../../../../../..';
  const payload = Buffer.from('pwned by a malicious layer\n');
  return [
    {
      kind: 'traversal',
      description: 'a file named with ../ components leading out of the root',
      entries: [
        { name: 'ok.txt', type: 'file', content: Buffer.from('fine\n') },
        { name: `${up}/tmp/tdock-kit-escape-traversal`, type: 'file', content: payload },
        { name: `sub/${up}/tmp/tdock-kit-escape-traversal2`, type: 'file', content: payload },
      ],
      escapes: ['/tmp/tdock-kit-escape-traversal', '/tmp/tdock-kit-escape-traversal2'],
    },
    {
      kind: 'absolute',
      description: 'a file with an absolute path (must land inside the root, or be refused)',
      entries: [{ name: '/tmp/tdock-kit-escape-absolute', type: 'file', content: payload }],
      escapes: ['/tmp/tdock-kit-escape-absolute'],
    },
    {
      kind: 'symlinkEscape',
      description: 'a symlink pointing outside via ../, then a file written through it',
      entries: [
        { name: 'escape', type: 'symlink', linkname: `${up}/tmp` },
        { name: 'escape/tdock-kit-escape-symlink', type: 'file', content: payload },
      ],
      escapes: ['/tmp/tdock-kit-escape-symlink'],
    },
    {
      kind: 'symlinkEscapeAbsolute',
      description: 'an absolute symlink to /tmp, then a file written through it',
      entries: [
        { name: 'escape', type: 'symlink', linkname: '/tmp' },
        { name: 'escape/tdock-kit-escape-symlink-abs', type: 'file', content: payload },
      ],
      escapes: ['/tmp/tdock-kit-escape-symlink-abs'],
    },
    {
      kind: 'hardlinkEscape',
      description: 'a hardlink to a host path outside the root (../../tmp/tdock-kit-escape-hardlink-target), then a ' +
        'write to the link. Tests create the target with known content first and check it is unchanged and not linked.',
      entries: [
        { name: 'etc', type: 'directory' },
        { name: 'etc/target-link', type: 'link', linkname: `${up}/tmp/tdock-kit-escape-hardlink-target` },
        { name: 'etc/target-link', type: 'file', content: payload },
      ],
      escapes: ['/tmp/tdock-kit-escape-hardlink-target'],
    },
  ];
}
