// The image store against the kit: real registry pulls (registry-client), the multilayer expected
// tree, the malicious layers, and the kit's docker save archives.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@tdock/registry-client';
import { fixtures, startRegistry, type Fixtures, type RegistryHandle, type TreeEntry } from '@tdock/testkit';
import { ImageStore } from '../../src/store/image-store.js';
import type { FsOps } from '../../src/store/fs-ops.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { readTar } from '../../src/store/tar-reader.js';
import { unpackLayer } from '../../src/store/unpack.js';

/** The tree under `root` in the kit's TreeEntry shape (hardlink groups named by their first path). */
async function treeOf(root: string, ops: FsOps): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const byInode = new Map<number, string[]>();
  async function walk(dir: string, rel: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      const meta = { path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isDirectory()) {
        out.push({ ...meta, type: 'directory' });
        await walk(abs, path);
      } else if (st.isSymbolicLink()) {
        out.push({ ...meta, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        const h = createHash('sha256');
        for await (const c of createReadStream(abs)) h.update(c as Buffer);
        const x: Record<string, string> = {};
        for (const n of ops.llistxattr(abs)) if (!n.startsWith('trusted.overlay.')) x[n] = ops.lgetxattr(abs, n)!.toString();
        out.push({ ...meta, type: 'file', size: st.size, digest: `sha256:${h.digest('hex')}`, ...(Object.keys(x).length ? { xattrs: x } : {}) });
        byInode.set(st.ino, [...(byInode.get(st.ino) ?? []), path]);
      } else {
        throw new Error(`unexpected ${path} (mode ${st.mode.toString(8)})`);
      }
    }
  }
  await walk(root, '');
  for (const paths of byInode.values()) {
    if (paths.length < 2) continue;
    const group = [...paths].sort()[0]!;
    for (const e of out) if (paths.includes(e.path)) e.hardlinkGroup = group;
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

describe('store: with the kit', function () {
  this.timeout(600000);
  const ops = sysFsOps();
  const mounts = sysMountOps();
  let fx: Fixtures;
  let registry: RegistryHandle;
  let client: RegistryClient;
  let tmp: string;
  let store: ImageStore;
  const mounted: string[] = [];
  before(async () => {
    fx = await fixtures();
    registry = await startRegistry();
    client = new RegistryClient();
  });
  after(async () => {
    await client?.close();
    await registry?.stop();
  });
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-kit-'));
    store = await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: ops });
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  async function mountImage(id: string): Promise<string> {
    const m = await store.prepareRootfs(`m${mounted.length}`, id);
    const target = join(tmp, `merged${mounted.length}`);
    await mkdir(target);
    mounts.mountOverlay({ lowers: m.lowers, upper: m.upper!, work: m.work! }, target);
    mounted.push(target);
    return target;
  }

  it('pulls multilayer: the merged view equals the expected tree', async () => {
    const img = await client.getImage(fx.multilayer.refIn(registry.host));
    const r = await store.pull(img);
    assert.equal(r.id, fx.multilayer.configDigest);
    const merged = await mountImage(r.id);
    assert.deepEqual(await treeOf(merged, ops), fx.multilayer.expectedTree);
  });

  it('pulls debian: the merged view equals its layer', async () => {
    const img = await client.getImage(fx.debian.refIn(registry.host));
    const r = await store.pull(img);
    assert.equal(r.id, fx.debian.configDigest);
    const merged = await mountImage(r.id);
    const direct = join(tmp, 'direct');
    await mkdir(direct);
    await unpackLayer(createReadStream(fx.debian.layers[0]!.tarPath), direct, ops);
    assert.deepEqual(await treeOf(merged, ops), await treeOf(direct, ops));
    let names = 0;
    for await (const e of readTar(createReadStream(fx.debian.layers[0]!.tarPath) as AsyncIterable<Buffer>)) if (e.header.name !== './') names++;
    assert.ok(names > 1000, 'a real debian tree');
  });

  it('stores the layer busybox shares with the index image once', async () => {
    const a = await store.pull(await client.getImage(fx.busybox.refIn(registry.host)));
    const b = await store.pull(await client.getImage(fx.index.refIn(registry.host)));
    const la = store.metadata.image(a.id)!.layers.map((l) => l.diffId);
    const lb = store.metadata.image(b.id)!.layers.map((l) => l.diffId);
    const shared = la.filter((d) => lb.includes(d));
    assert.ok(shared.length > 0, 'the fixtures share a layer');
    assert.equal((await store.snapshots.list()).length, new Set([...la, ...lb]).size);
    assert.equal(b.digest, fx.index.indexDigest, 'pulled by the index digest');
    await store.remove(fx.busybox.refIn(registry.host));
    const merged = await mountImage(b.id);
    assert.ok((await lstat(join(merged, 'bin/busybox'))).isFile(), 'the other image is intact');
  });

  for (const kind of ['traversal', 'absolute', 'symlinkEscape', 'symlinkEscapeAbsolute', 'hardlinkEscape'] as const) {
    it(`malicious ${kind}: nothing is written outside the snapshot`, async () => {
      const m = fx.malicious[kind];
      const canary = '/tmp/tdock-kit-escape-hardlink-target';
      for (const e of m.escapes) await rm(e, { force: true });
      if (kind === 'hardlinkEscape') await writeFile(canary, 'canary\n');
      try {
        const before = (await readdir('/tmp')).sort();
        const pull = store.pull(await client.getImage(m.refIn(registry.host)));
        if (kind === 'absolute') {
          const r = await pull; // Docker's rule: an absolute name is relative to the root
          const merged = await mountImage(r.id);
          assert.ok((await lstat(join(merged, 'tmp/tdock-kit-escape-absolute'))).isFile());
        } else {
          await assert.rejects(pull, /refusing to extract/);
          assert.equal(store.tryResolve(m.refIn(registry.host)), undefined);
        }
        for (const e of m.escapes) {
          if (e === canary) {
            assert.equal(await readFile(canary, 'utf8'), 'canary\n');
            assert.equal((await lstat(canary)).nlink, 1);
          } else await assert.rejects(lstat(e), `${e} must not exist`);
        }
        assert.deepEqual((await readdir('/tmp')).sort().filter((n) => !before.includes(n) && n.startsWith('tdock-kit-escape')), []);
      } finally {
        await rm(canary, { force: true });
      }
    });
  }

  it('gives registry-client a pushable image: pulled and loaded images push and pull back with the same ID', async () => {
    const empty = await startRegistry({ empty: true });
    try {
      const pulled = await store.pull(await client.getImage(fx.busybox.refIn(registry.host)));
      await client.pushImage(await store.pushable(pulled.id), `${empty.host}/pushed/busybox:1`);
      const [loaded] = await store.load(createReadStream(fx.multilayer.saveArchive) as AsyncIterable<Buffer>);
      await client.pushImage(await store.pushable(loaded!.id), `${empty.host}/pushed/multilayer:1`);
      const other = await ImageStore.open({ dataRoot: join(tmp, 'other'), fsOps: ops });
      assert.equal((await other.pull(await client.getImage(`${empty.host}/pushed/busybox:1`))).id, fx.busybox.configDigest);
      assert.equal((await other.pull(await client.getImage(`${empty.host}/pushed/multilayer:1`))).id, fx.multilayer.configDigest);
    } finally {
      await empty.stop();
    }
  });

  it('loads the kit docker save archives with the same image IDs', async () => {
    for (const f of [fx.busybox, fx.multilayer]) {
      const loaded = await store.load(createReadStream(f.saveArchive) as AsyncIterable<Buffer>);
      assert.deepEqual(loaded, [{ id: f.configDigest, tags: [f.reference] }]);
    }
    const merged = await mountImage(fx.multilayer.configDigest);
    assert.deepEqual(await treeOf(merged, ops), fx.multilayer.expectedTree);
    const idx = await store.load(createReadStream(fx.index.saveArchive) as AsyncIterable<Buffer>);
    assert.equal(idx[0]!.id, fx.index.manifests[0]!.configDigest);
  });
});
