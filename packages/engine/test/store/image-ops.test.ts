import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/store/image-store.js';
import { sysFsOps } from '../../src/store/sys-ops.js';
import { fakeImage, fileLayer } from './fake-image.js';

describe('store: image operations', () => {
  let tmp: string;
  let store: ImageStore;
  let users: Map<string, { containerId: string; running: boolean }>;
  const base = fileLayer({ 'etc/os-release': 'base' });
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-ops-'));
    users = new Map();
    store = await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: sysFsOps(), usedBy: (id) => users.get(id) });
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('lists, inspects and shows history in Docker shapes, with filters', async () => {
    const a = await store.pull(fakeImage('alpha:1', [base, fileLayer({ a: 'aaaa' })]));
    const b = await store.pull(fakeImage('docker.io/user/beta:2', [base]));
    const all = await store.list();
    assert.deepEqual(all.map((i) => i.RepoTags).sort(), [['alpha:1'], ['user/beta:2']]);
    assert.equal(all.find((i) => i.Id === a.id)!.Size, 'base'.length + 4);
    assert.deepEqual((await store.list(new Map([['reference', ['alpha']]]))).map((i) => i.Id), [a.id]);
    assert.deepEqual((await store.list(new Map([['reference', ['user/*:2']]]))).map((i) => i.Id), [b.id]);
    assert.equal((await store.list(new Map([['label', ['org.test=yes']]]))).length, 2);
    assert.equal((await store.list(new Map([['label', ['org.test=no']]]))).length, 0);
    assert.equal((await store.list(new Map([['dangling', ['true']]]))).length, 0);
    const insp = await store.inspect('alpha:1');
    assert.equal(insp.Id, a.id);
    assert.deepEqual(insp.RepoTags, ['alpha:1']);
    assert.match(insp.RepoDigests[0]!, /^alpha@sha256:/);
    assert.equal(insp.RootFS.Layers.length, 2);
    assert.equal(insp.Os, 'linux');
    assert.deepEqual((insp.Config as { Cmd: string[] }).Cmd, ['sh']);
    const h = await store.history('alpha:1');
    assert.deepEqual(h.map((e) => [e.Id, e.CreatedBy, e.Size]), [[a.id, 'layer 1', 4], ['<missing>', 'layer 0', 4]]);
    await assert.rejects(store.inspect('nope'), /No such image: nope/);
  });

  it('tags, untags and deletes as docker rmi, keeping shared layers', async () => {
    const a = await store.pull(fakeImage('alpha:1', [base, fileLayer({ a: 'a' })]));
    const b = await store.pull(fakeImage('beta:1', [base, fileLayer({ b: 'b' })]));
    await store.tag('alpha:1', 'gamma', 'x');
    assert.equal(store.resolve('gamma:x').id, a.id);
    await assert.rejects(store.remove(a.id), /must be forced\) - image is referenced in multiple repositories/);
    assert.deepEqual(await store.remove('gamma:x'), [{ Untagged: 'gamma:x' }]);
    const rm1 = await store.remove('alpha:1');
    assert.deepEqual(rm1.slice(0, 3).map((r) => Object.keys(r)[0]), ['Untagged', 'Untagged', 'Deleted']);
    assert.equal(rm1[2]!.Deleted, a.id);
    assert.equal(rm1.length, 4, 'only the unshared layer is deleted');
    assert.equal((await store.snapshots.list()).length, 2);
    assert.equal(store.resolve('beta:1').id, b.id, 'the other image is intact');
    assert.equal(await store.content.has(a.id), false, 'config blob collected');
    users.set(b.id, { containerId: 'c'.repeat(64), running: true });
    await assert.rejects(store.remove(b.id, { force: true }), /cannot be forced\) - image is being used by running container cccccccccccc/);
    await assert.rejects(store.remove('beta:1'), /must force\) - container cccccccccccc is using its referenced image/);
    users.set(b.id, { containerId: 'c'.repeat(64), running: false });
    await assert.rejects(store.remove(b.id), /must be forced\) - image is being used by stopped container/);
    users.clear();
    await store.remove('beta:1');
    assert.deepEqual(await store.snapshots.list(), []);
    assert.deepEqual(await store.content.list(), []);
  });

  it('prunes dangling images, or all unused ones, and reports disk usage', async () => {
    const a = await store.pull(fakeImage('alpha:1', [base, fileLayer({ a: 'a' })]));
    const b = await store.pull(fakeImage('beta:1', [base, fileLayer({ b: 'bb' })]));
    const du = await store.diskUsage();
    assert.equal(du.LayersSize, 4 + 1 + 2);
    assert.equal(du.Images.find((i) => i.Id === a.id)!.SharedSize, 4);
    await store.metadata.untag(store.metadata.referencesOf(a.id));
    assert.deepEqual((await store.list(new Map([['dangling', ['true']]]))).map((i) => i.Id), [a.id]);
    const p = await store.prune();
    assert.deepEqual(p.ImagesDeleted[0], { Deleted: a.id });
    assert.equal(p.SpaceReclaimed, 1);
    users.set(b.id, { containerId: 'd'.repeat(64), running: false });
    assert.deepEqual((await store.prune(new Map([['dangling', ['false']]]))).ImagesDeleted, []);
    users.clear();
    const all = await store.prune(new Map([['dangling', ['false']]]));
    assert.ok(all.ImagesDeleted.some((r) => r.Deleted === b.id));
    assert.equal(all.SpaceReclaimed, 6);
  });
});
