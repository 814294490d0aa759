import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/store/image-store.js';
import { SnapshotStore } from '../../src/store/snapshots.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { unpackLayer } from '../../src/store/unpack.js';
import { buildTar } from '../../src/store/tar-writer.js';
import { chainIds, sha256Digest } from '../../src/store/digest.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

describe('store: snapshots', () => {
  const ops = sysFsOps();
  const mounts = sysMountOps();
  let tmp: string;
  let store: SnapshotStore;
  const mounted: string[] = [];
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-snap-'));
    store = new SnapshotStore(join(tmp, 'snapshots'));
    await store.init();
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  async function addLayers(tars: Buffer[]): Promise<string[]> {
    const diffIds = tars.map((t) => sha256Digest(t));
    const chains = chainIds(diffIds);
    for (let i = 0; i < tars.length; i++) {
      await store.create(chains[i]!, i ? chains[i - 1] : undefined, async (dir) => {
        const r = await unpackLayer(once(tars[i]!), dir, ops, { expectedDiffId: diffIds[i] });
        return { diffId: r.diffId, size: r.contentSize };
      });
    }
    return chains;
  }

  const file = (name: string, data: string) => ({ name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, data: Buffer.from(data) });

  it('marks tmp/, where snapshots are unpacked, as a top directory on every init (the new tmp/ too)', async () => {
    const marked: string[] = [];
    const s = new SnapshotStore(join(tmp, 'marked'), { markTopDir: (d) => marked.push(d) > 0 });
    await s.init();
    await s.init();
    assert.deepEqual(marked, [join(tmp, 'marked', 'tmp'), join(tmp, 'marked', 'tmp')]);
  });

  it('an ImageStore on ext4 has chattr +T on snapshots/tmp only (each unpack gets block groups of its own)', async function () {
    if (execFileSync('stat', ['-f', '-c', '%T', tmp], { encoding: 'utf8' }).trim() !== 'ext2/ext3') this.skip();
    await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: ops });
    const attrs = (p: string): string => execFileSync('lsattr', ['-d', p], { encoding: 'utf8' }).split(' ')[0]!;
    assert.match(attrs(join(tmp, 'root', 'snapshots', 'tmp')), /T/);
    assert.doesNotMatch(attrs(join(tmp, 'root', 'snapshots')), /T/);
    await mkdir(join(tmp, 'root', 'snapshots', 'tmp', 'x'));
    assert.doesNotMatch(attrs(join(tmp, 'root', 'snapshots', 'tmp', 'x')), /T/); // not inherited
  });

  it('mounts a 128-layer chain through the new mount API and finds every layer', async () => {
    const tars = Array.from({ length: 128 }, (_, i) => buildTar([file(`layer-${i}`, `content ${i}`), file('top', `from ${i}`)]));
    const chains = await addLayers(tars);
    const m = await store.prepare('c128', chains[127]);
    assert.equal(m.lowers.length, 128);
    assert.equal(m.lowers[0], store.dir(chains[127]!), 'newest first');
    const target = join(tmp, 'merged');
    await mkdir(target);
    mounts.mountOverlay({ lowers: m.lowers, upper: m.upper!, work: m.work! }, target);
    mounted.push(target);
    for (let i = 0; i < 128; i++) assert.equal(await readFile(join(target, `layer-${i}`), 'utf8'), `content ${i}`);
    assert.equal(await readFile(join(target, 'top'), 'utf8'), 'from 127');
    await writeFile(join(target, 'new'), 'x');
    assert.deepEqual(await readdir(m.upper!), ['new']);
  });

  it('applies whiteouts and opaque dirs in the merged view', async () => {
    const d = (name: string) => ({ name, type: 'dir' as const, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 });
    const chains = await addLayers([
      buildTar([d('a'), file('a/1', '1'), file('a/2', '2'), d('b'), file('b/x', 'x'), file('gone', 'g')]),
      buildTar([file('.wh.gone', ''), d('a'), file('a/.wh.1', ''), d('b'), file('b/.wh..wh..opq', ''), file('b/y', 'y')]),
    ]);
    const view = await store.view(chains[1]!);
    const target = join(tmp, 'merged');
    await mkdir(target);
    mounts.mountOverlay({ lowers: view.lowers }, target);
    mounted.push(target);
    assert.deepEqual((await readdir(target)).sort(), ['a', 'b']);
    assert.deepEqual(await readdir(join(target, 'a')), ['2']);
    assert.deepEqual(await readdir(join(target, 'b')), ['y']);
  });

  it('shares a chain, refuses a chain ID mismatch, and collects only what nobody uses', async () => {
    const base = buildTar([file('base', 'b')]);
    const [c1, c2] = await addLayers([base, buildTar([file('one', '1')])]);
    const again = await store.create(c1!, undefined, () => Promise.reject(new Error('must not unpack again')));
    assert.equal(again.created, false);
    await assert.rejects(store.create(sha256Digest('wrong'), undefined, async (dir) => {
      const r = await unpackLayer(once(base), dir, ops);
      return { diffId: r.diffId, size: 0 };
    }), /chain ID mismatch/);
    assert.deepEqual(await readdir(join(tmp, 'snapshots', 'tmp')), [], 'a failed create leaves nothing');
    await store.prepare('ctr', c1);
    assert.deepEqual(await store.gc([]), [c2], 'the prepared snapshot keeps its parent');
    await store.removeActive('ctr');
    const release = store.lease([c1!]);
    assert.deepEqual(await store.gc([]), []);
    release();
    assert.deepEqual(await store.gc([]), [c1]);
    assert.deepEqual(await store.list(), []);
  });
});
