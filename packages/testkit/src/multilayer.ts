// The `multilayer` image: nine layers that exercise what a layer store must get right (whiteouts,
// opaque directories, hardlinks, symlinks, setuid, xattrs, long PAX names, a big incompressible
// layer, an empty layer), and the merged tree a correct store must produce from them.
import { createCipheriv } from 'node:crypto';
import { sha256 } from './image-writer.js';
import type { LayerEntry } from './layer.js';

/** One path of the expected merged tree of `multilayer`. */
export interface TreeEntry {
  /** Path relative to the rootfs, no leading slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits, including setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Files: size in bytes. */
  size?: number;
  /** Files: `sha256:<hex>` of the content. */
  digest?: string;
  /** Symlinks: the target as written. */
  linkname?: string;
  /** Extended attributes (name → value), files only, when present. */
  xattrs?: Record<string, string>;
  /** Files that are hardlinks of each other share this value (the group's first path); absent for single-link files. */
  hardlinkGroup?: string;
}

/** Size of the big incompressible file in layer 1 (20 MiB and a bit). */
export const BIG_FILE_SIZE = 20 * 1024 * 1024 + 12345;

/** Deterministic pseudo-random bytes (AES-128-CTR keystream of a fixed key), incompressible by gzip. */
export function pseudoRandomBytes(size: number, seed = 'tdock-testkit'): Buffer {
  const key = Buffer.alloc(16);
  key.write(seed.slice(0, 16));
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

const txt = (s: string): Buffer => Buffer.from(s);
const LONG_DIR = `long/${'d'.repeat(120)}`;
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(150)}.txt`;

/** The layers of `multilayer`, bottom first. */
export function multilayerLayers(): LayerEntry[][] {
  return [
    [ // 0: base
      { name: 'data', type: 'directory' },
      { name: 'data/gone-dir', type: 'directory' },
      { name: 'data/gone-dir/inner.txt', type: 'file', content: txt('inside a directory deleted later\n') },
      { name: 'data/hl-a', type: 'file', content: txt('hardlinked content\n') },
      { name: 'data/hl-b', type: 'link', linkname: 'data/hl-a' },
      { name: 'data/replaced', type: 'directory' },
      { name: 'data/replaced/old1.txt', type: 'file', content: txt('old 1\n') },
      { name: 'data/replaced/sub', type: 'directory' },
      { name: 'data/replaced/sub/old2.txt', type: 'file', content: txt('old 2\n') },
      { name: 'data/to-delete.txt', type: 'file', content: txt('deleted in layer 3\n') },
      { name: 'data/xattr-file', type: 'file', content: txt('has xattrs\n'),
        pax: { 'SCHILY.xattr.user.tdock': 'hello-xattr', 'SCHILY.xattr.user.second': '2' } },
      { name: 'etc', type: 'directory' },
      { name: 'etc/config.txt', type: 'file', content: txt('v1\n') },
      { name: 'etc/swap', type: 'file', content: txt('a file that becomes a directory in layer 5\n') },
      { name: 'usr', type: 'directory' },
      { name: 'usr/bin', type: 'directory' },
      { name: 'usr/bin/sgid-tool', type: 'file', mode: 0o2755, content: txt('#!/bin/sh\necho sgid\n') },
      { name: 'usr/bin/suid-tool', type: 'file', mode: 0o4755, content: txt('#!/bin/sh\necho suid\n') },
    ],
    [ // 1: a big incompressible file
      { name: 'big', type: 'directory' },
      { name: 'big/random.bin', type: 'file', content: pseudoRandomBytes(BIG_FILE_SIZE) },
    ],
    [ // 2: symlinks
      { name: 'etc/abs-link', type: 'symlink', linkname: '/etc/config.txt' },
      { name: 'etc/dangling', type: 'symlink', linkname: 'does-not-exist' },
      { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
      { name: 'usr/lib', type: 'directory' },
      { name: 'usr/lib/libfoo.so', type: 'symlink', linkname: 'libfoo.so.1' },
      { name: 'usr/lib/libfoo.so.1', type: 'symlink', linkname: 'libfoo.so.1.2' },
      { name: 'usr/lib/libfoo.so.1.2', type: 'file', content: txt('not really a library\n') },
    ],
    [ // 3: whiteouts and an overwrite
      { name: 'data/.wh.gone-dir', type: 'file' },
      { name: 'data/.wh.to-delete.txt', type: 'file' },
      { name: 'etc/config.txt', type: 'file', mode: 0o600, content: txt('v2, overwritten in layer 3\n') },
    ],
    [ // 4: opaque directory
      { name: 'data/replaced', type: 'directory', mode: 0o750 },
      { name: 'data/replaced/.wh..wh..opq', type: 'file' },
      { name: 'data/replaced/new.txt', type: 'file', content: txt('the only file left in data/replaced\n') },
    ],
    [ // 5: owners, permissions, a file replaced by a directory
      { name: 'etc/swap', type: 'directory' },
      { name: 'etc/swap/inside.txt', type: 'file', content: txt('etc/swap is a directory now\n') },
      { name: 'home', type: 'directory' },
      { name: 'home/tdtest', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
      { name: 'home/tdtest/.profile', type: 'file', mode: 0o600, uid: 1000, gid: 1000, content: txt('export PS1=tdtest\n') },
      { name: 'shared', type: 'directory', mode: 0o1777 },
      { name: 'shared/group-file', type: 'file', mode: 0o664, uid: 0, gid: 1000, content: txt('group writable\n') },
    ],
    [ // 6: long names (PAX) and a hardlink group inside one layer
      { name: 'links', type: 'directory' },
      { name: 'links/a', type: 'file', content: txt('three names, one inode\n') },
      { name: 'links/b', type: 'link', linkname: 'links/a' },
      { name: 'links/c', type: 'link', linkname: 'links/a' },
      { name: 'long', type: 'directory' },
      { name: LONG_DIR, type: 'directory' },
      { name: LONG_FILE, type: 'file', content: txt('a path longer than 255 bytes\n') },
      { name: `${LONG_DIR}/hardlink-to-long`, type: 'link', linkname: LONG_FILE },
    ],
    [], // 7: an empty layer (a tar with only its end blocks), as `docker build` produces
    [ // 8: final touches: delete one name of a hardlink pair
      { name: 'data/.wh.hl-b', type: 'file' },
      { name: 'etc/final.txt', type: 'file', content: txt('last layer\n') },
    ],
  ];
}

function xattrsOf(e: LayerEntry): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.pax ?? {})) if (k.startsWith('SCHILY.xattr.')) out[k.slice('SCHILY.xattr.'.length)] = v;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Applies layers the way a correct layer store does (whiteouts, opaque dirs, replace on type
 * change, hardlinks resolved against the tree) and returns the merged tree, sorted by path.
 */
export function mergeLayers(layers: readonly (readonly LayerEntry[])[]): TreeEntry[] {
  const tree = new Map<string, TreeEntry>();
  const removeUnder = (p: string, keep?: Set<string>): void => {
    for (const k of [...tree.keys()]) if ((k === p || k.startsWith(`${p}/`)) && !keep?.has(k)) tree.delete(k);
  };
  for (const layer of layers) {
    const added = new Set<string>();
    for (const e of layer) {
      const name = e.name.replace(/\/+$/, '');
      const slash = name.lastIndexOf('/');
      const dir = slash >= 0 ? name.slice(0, slash) : '';
      const base = name.slice(slash + 1);
      if (base === '.wh..wh..opq') {
        for (const k of [...tree.keys()]) if (k.startsWith(`${dir}/`) && !added.has(k)) tree.delete(k);
        continue;
      }
      if (base.startsWith('.wh.')) {
        removeUnder(dir ? `${dir}/${base.slice(4)}` : base.slice(4));
        continue;
      }
      const existing = tree.get(name);
      if (!(existing?.type === 'directory' && e.type === 'directory')) removeUnder(name);
      added.add(name);
      const meta = { path: name, mode: e.mode ?? (e.type === 'directory' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0 };
      if (e.type === 'directory') tree.set(name, { ...meta, type: 'directory' });
      else if (e.type === 'symlink') tree.set(name, { ...meta, type: 'symlink', linkname: e.linkname ?? '' });
      else if (e.type === 'link') {
        const target = tree.get(e.linkname ?? '');
        if (!target || target.type !== 'file') throw new Error(`hardlink ${name} to missing ${e.linkname}`);
        const group = target.hardlinkGroup ?? target.path;
        target.hardlinkGroup = group;
        tree.set(name, { ...target, path: name, hardlinkGroup: group });
      } else {
        const content = Buffer.isBuffer(e.content) ? e.content : Buffer.alloc(0);
        const x = xattrsOf(e);
        tree.set(name, { ...meta, type: 'file', size: content.length, digest: sha256(content), ...(x ? { xattrs: x } : {}) });
      }
    }
  }
  const counts = new Map<string, number>();
  for (const t of tree.values()) if (t.hardlinkGroup) counts.set(t.hardlinkGroup, (counts.get(t.hardlinkGroup) ?? 0) + 1);
  const out = [...tree.values()].map((t) => {
    if (t.hardlinkGroup && counts.get(t.hardlinkGroup) === 1) {
      const { hardlinkGroup: _g, ...rest } = t;
      return rest;
    }
    return t;
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
