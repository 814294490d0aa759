import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from '../../src/store/content-store.js';
import { diffTar, writeDiff } from '../../src/store/diff.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { readTar } from '../../src/store/tar-reader.js';
import { unpackLayer } from '../../src/store/unpack.js';
import { fileLayer } from './fake-image.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

describe('store: diff', () => {
  const ops = sysFsOps();
  const mounts = sysMountOps();
  let tmp: string;
  const mounted: string[] = [];
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-diff-'));
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  it('turns an overlay upper back into a layer with whiteouts, and is deterministic', async () => {
    const lower = join(tmp, 'lower');
    await mkdir(lower);
    await unpackLayer(once(fileLayer({ 'gone.txt': 'g', 'dir/old1': '1', 'dir/old2': '2', 'keep/x': 'x' })), lower, ops);
    const [upper, work, merged] = ['upper', 'work', 'merged'].map((n) => join(tmp, n)) as [string, string, string];
    await Promise.all([mkdir(upper), mkdir(work), mkdir(merged)]);
    mounts.mountOverlay({ lowers: [lower], upper, work }, merged);
    mounted.push(merged);
    await unlink(join(merged, 'gone.txt'));
    await rm(join(merged, 'dir'), { recursive: true });
    await mkdir(join(merged, 'dir'));
    await writeFile(join(merged, 'dir/new'), 'n');
    await writeFile(join(merged, 'bin'), 'binary');
    await chmod(join(merged, 'bin'), 0o4755);
    await link(join(merged, 'bin'), join(merged, 'bin2'));
    await symlink('bin', join(merged, 'sl'));
    ops.lsetxattr(join(merged, 'bin'), 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex'));
    mounts.unmount(mounted.pop()!);

    const names: string[] = [];
    const parts: Buffer[] = [];
    for await (const c of diffTar(upper, ops)) parts.push(c);
    const tar = Buffer.concat(parts);
    for await (const e of readTar(once(tar))) names.push(`${e.header.type}:${e.header.name}`);
    assert.deepEqual(names, ['file:bin', 'link:bin2', 'dir:dir/', 'file:dir/.wh..wh..opq', 'file:dir/new', 'file:.wh.gone.txt', 'symlink:sl']);

    const cs = new ContentStore(join(tmp, 'content'));
    await cs.init();
    const a = await writeDiff(upper, cs, ops);
    const b = await writeDiff(upper, cs, ops);
    assert.deepEqual(a, b, 'same tree, same digest');
    const back = join(tmp, 'back');
    await mkdir(back);
    const r = await unpackLayer(createReadStream(cs.blobPath(a.digest)), back, ops, { expectedDiffId: a.diffId });
    assert.equal(r.diffId, a.diffId);
    assert.ok((await lstat(join(back, 'gone.txt'))).isCharacterDevice());
    assert.deepEqual(ops.lgetxattr(join(back, 'dir'), 'trusted.overlay.opaque'), Buffer.from('y'));
    assert.equal((await lstat(join(back, 'bin'))).mode & 0o7777, 0o4755);
    assert.equal((await lstat(join(back, 'bin2'))).ino, (await lstat(join(back, 'bin'))).ino);
    assert.ok(ops.lgetxattr(join(back, 'bin'), 'security.capability'));
    assert.equal(await readFile(join(back, 'dir/new'), 'utf8'), 'n');
    assert.deepEqual((await readdir(back)).sort(), ['bin', 'bin2', 'dir', 'gone.txt', 'sl']);
  });
});
