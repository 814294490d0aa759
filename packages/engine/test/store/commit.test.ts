import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/store/image-store.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { fakeImage, fileLayer } from './fake-image.js';

describe('store: commit', () => {
  const mounts = sysMountOps();
  let tmp: string;
  const mounted: string[] = [];
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-commit-'));
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  async function mount(m: { lowers: string[]; upper?: string; work?: string }, name: string): Promise<string> {
    const target = join(tmp, name);
    await mkdir(target);
    mounts.mountOverlay(m.upper ? { lowers: m.lowers, upper: m.upper, work: m.work! } : { lowers: m.lowers }, target);
    mounted.push(target);
    return target;
  }

  it('turns a container upper into a new image on its parent, whiteouts included', async () => {
    const store = await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: sysFsOps() });
    const base = await store.pull(fakeImage('base:1', [fileLayer({ 'etc/a': 'a', 'etc/b': 'b' })]));
    const m = await store.prepareRootfs('ctr', base.id);
    const merged = await mount(m, 'merged');
    await unlink(join(merged, 'etc/a'));
    await writeFile(join(merged, 'etc/c'), 'c');
    mounts.unmount(mounted.pop()!);

    const c = await store.commit({ parent: 'base:1', upper: m.upper!, reference: 'committed:1', comment: 'my change', createdBy: 'sh -c edit', config: { Cmd: ['true'] } });
    assert.ok(c.layer);
    const insp = await store.inspect('committed:1');
    assert.equal(insp.Parent, base.id);
    assert.equal(insp.RootFS.Layers.length, 2);
    assert.deepEqual((insp.Config as { Cmd: string[] }).Cmd, ['true']);
    const h = await store.history('committed:1');
    assert.deepEqual([h[0]!.CreatedBy, h[0]!.Comment], ['sh -c edit', 'my change']);

    const view = await store.snapshots.view(store.topChain(store.resolve('committed:1'))!);
    const seen = await mount(view, 'view');
    assert.deepEqual((await readdir(join(seen, 'etc'))).sort(), ['b', 'c']);
    assert.equal(await readFile(join(seen, 'etc/c'), 'utf8'), 'c');

    const meta = await store.commit({ parent: 'committed:1', createdBy: 'ENV X=1', config: { Env: ['X=1'] } });
    assert.equal(meta.layer, undefined);
    assert.equal((await store.inspect(meta.id)).RootFS.Layers.length, 2, 'a metadata-only step adds no layer');
    assert.equal((await store.history(meta.id)).length, 3);

    await store.snapshots.removeActive('ctr');
    await assert.rejects(store.remove(base.id), /image has dependent child images/);
    assert.equal(store.resolve('base:1').id, base.id, 'a refused delete untags nothing');
    const out = await store.remove('base:1');
    assert.ok(out.length > 0 && out.every((r) => r.Untagged !== undefined), 'by reference: only untagged');
    assert.ok(store.metadata.image(base.id), 'the parent stays for its child');
  });
});
