import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sysFsOps } from '../../src/store/sys-ops.js';
import { unpackLayer } from '../../src/store/unpack.js';
import { buildTar, type TarWriteHeader } from '../../src/store/tar-writer.js';
import { sha256Digest } from '../../src/store/digest.js';

type E = TarWriteHeader & { data?: Uint8Array };
const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_600_000_000 };
const f = (name: string, data: string, extra: Partial<E> = {}): E => ({ ...base, name, type: 'file', data: Buffer.from(data), ...extra });
const d = (name: string, extra: Partial<E> = {}): E => ({ ...base, name, type: 'dir', mode: 0o755, ...extra });
const CAP = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // vfs_cap_data v2, cap_net_bind_service

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += 1000) yield b.subarray(i, i + 1000);
}

describe('store: layer unpack', () => {
  const ops = sysFsOps();
  let tmp: string;
  let root: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-unpack-'));
    root = join(tmp, 'fs');
    await mkdir(root);
    await writeFile(join(tmp, 'canary'), 'untouched');
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  const longName = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(50)}.txt`;
  const rich: E[] = [
    d('usr/'), d('usr/bin/'),
    f('usr/bin/su', 'su', { mode: 0o4755, uid: 0, gid: 0 }),
    f('usr/bin/ping', 'ping', { mode: 0o755, xattrs: new Map([['security.capability', CAP], ['user.note', Buffer.from([0xff, 0x00, 0x80])]]) }),
    d('tmp/', { mode: 0o1777 }),
    d('home/', { mode: 0o2775, uid: 1000, gid: 1000, mtime: 1_234_567_890 }),
    f('home/file', 'hello', { uid: 1000, gid: 1001, mtime: 1_111_111_111 }),
    { ...base, name: 'home/hard', type: 'link', linkname: 'home/file' },
    { ...base, name: 'home/sym', type: 'symlink', linkname: '/etc/passwd', uid: 1000, gid: 1000 },
    { ...base, name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 },
    { ...base, name: 'run/fifo', type: 'fifo', mode: 0o600 },
    f(longName, 'long'),
  ];

  async function checkRich(): Promise<void> {
    const su = await lstat(join(root, 'usr/bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755, 'setuid kept');
    assert.deepEqual(ops.lgetxattr(join(root, 'usr/bin/ping'), 'security.capability'), CAP, 'binary capability xattr kept');
    assert.deepEqual(ops.lgetxattr(join(root, 'usr/bin/ping'), 'user.note'), Buffer.from([0xff, 0x00, 0x80]));
    assert.equal((await lstat(join(root, 'tmp'))).mode & 0o7777, 0o1777, 'sticky kept');
    const home = await lstat(join(root, 'home'));
    assert.equal(home.mode & 0o7777, 0o2775, 'setgid dir kept');
    assert.equal(home.uid, 1000);
    assert.equal(Math.floor(home.mtimeMs / 1000), 1_234_567_890, 'dir mtime applied last');
    const file = await lstat(join(root, 'home/file'));
    assert.equal(file.uid, 1000);
    assert.equal(file.gid, 1001);
    assert.equal(file.nlink, 2, 'hardlink shares the inode');
    assert.equal((await lstat(join(root, 'home/hard'))).ino, file.ino);
    assert.equal(Math.floor(file.mtimeMs / 1000), 1_111_111_111);
    assert.equal(await readlink(join(root, 'home/sym')), '/etc/passwd');
    assert.equal((await lstat(join(root, 'home/sym'))).uid, 1000);
    const dev = await lstat(join(root, 'dev/null'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, 0x103);
    assert.ok((await lstat(join(root, 'run/fifo'))).isFIFO());
    assert.equal(await readFile(join(root, longName), 'utf8'), 'long', 'PAX long name');
  }

  it('unpacks an uncompressed layer with every entry type and checks the diff ID', async () => {
    const tar = buildTar(rich);
    const r = await unpackLayer(once(tar), root, ops, { expectedDiffId: sha256Digest(tar) });
    assert.equal(r.diffId, sha256Digest(tar));
    assert.equal(r.size, tar.length);
    await checkRich();
  });

  it('unpacks gzip and zstd layers (detected by magic)', async () => {
    const tar = buildTar(rich);
    await unpackLayer(once(gzipSync(tar)), root, ops, { expectedDiffId: sha256Digest(tar) });
    await checkRich();
    const root2 = join(tmp, 'fs2');
    await mkdir(root2);
    const zst = execFileSync('zstd', ['-q', '-c'], { input: tar });
    root = root2;
    await unpackLayer(once(zst), root2, ops, { expectedDiffId: sha256Digest(tar) });
    await checkRich();
  });

  it('turns OCI whiteouts into overlay whiteouts', async () => {
    const tar = buildTar([d('etc/'), f('etc/.wh.gone', ''), d('var/lib/'), f('var/lib/.wh..wh..opq', ''), f('var/lib/new', 'n'), f('keep', 'k'), f('.wh.keep', '')]);
    await unpackLayer(once(tar), root, ops);
    const wh = await lstat(join(root, 'etc/gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.deepEqual(ops.lgetxattr(join(root, 'var/lib'), 'trusted.overlay.opaque'), Buffer.from('y'));
    assert.deepEqual((await readdir(join(root, 'var/lib'))).sort(), ['new']);
    assert.ok((await lstat(join(root, 'keep'))).isFile(), "a whiteout does not remove the layer's own file");
    assert.deepEqual((await readdir(root)).filter((n) => n.startsWith('.wh.')), []);
  });

  it('treats absolute names as relative to the root, as Docker', async () => {
    await unpackLayer(once(buildTar([f('/abs/file', 'x'), f('a/../b', 'y')])), root, ops);
    assert.equal(await readFile(join(root, 'abs/file'), 'utf8'), 'x');
    assert.equal(await readFile(join(root, 'b'), 'utf8'), 'y');
  });

  it('refuses a diff ID mismatch', async () => {
    const tar = buildTar([f('a', 'a')]);
    await assert.rejects(unpackLayer(once(tar), root, ops, { expectedDiffId: sha256Digest('x') }), /diff ID mismatch/);
  });

  const malicious: Array<[string, E[], RegExp]> = [
    ['dot-dot', [f('../canary', 'pwned')], /escapes the root/],
    ['dot-dot deep', [f('a/../../canary', 'pwned')], /escapes the root/],
    ['symlink parent', [{ ...base, name: 'evil', type: 'symlink', linkname: '..' }, f('evil/canary', 'pwned')], /symbolic link/],
    ['absolute symlink parent', [{ ...base, name: 'evil', type: 'symlink', linkname: '/tmp' }, f('evil/tdock-pwned', 'pwned')], /symbolic link/],
    ['hardlink outside', [{ ...base, name: 'h', type: 'link', linkname: '../canary' }], /escapes the root/],
    ['hardlink through symlink', [{ ...base, name: 'evil', type: 'symlink', linkname: '..' }, { ...base, name: 'h', type: 'link', linkname: 'evil/canary' }], /symbolic link/],
    ['whiteout dot-dot', [f('.wh...', '')], /escapes the root|invalid whiteout/],
  ];
  for (const [what, entries, re] of malicious) {
    it(`refuses a malicious layer: ${what}`, async () => {
      const before = (await readdir(tmp)).sort();
      await assert.rejects(unpackLayer(once(buildTar(entries)), root, ops), re);
      assert.equal(await readFile(join(tmp, 'canary'), 'utf8'), 'untouched');
      assert.deepEqual((await readdir(tmp)).sort(), before);
      assert.equal((await lstat(join(tmp, 'canary'))).nlink, 1, 'no hardlink to the canary');
      await assert.rejects(lstat('/tmp/tdock-pwned'));
    });
  }
});
