import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEntryPath, followInRoot } from '../../src/store/resolve-in-root.js';

describe('store: paths inside a root', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tdock-rir-'));
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await symlink('usr/lib', join(root, 'lib'));
    await symlink('/etc', join(root, 'abs'));
    await symlink('../../../../..', join(root, 'up'));
    await symlink('loop2', join(root, 'loop1'));
    await symlink('loop1', join(root, 'loop2'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('cleans archive names as Docker does', () => {
    assert.deepEqual(cleanEntryPath('/abs/x'), ['abs', 'x']);
    assert.deepEqual(cleanEntryPath('./a/../b/'), ['b']);
    assert.deepEqual(cleanEntryPath('./'), []);
    assert.throws(() => cleanEntryPath('../x'), /escapes the root/);
    assert.throws(() => cleanEntryPath('a/../../x'), /escapes the root/);
  });

  it('follows symlinks scoped to the root, never out of it', () => {
    assert.equal(followInRoot(root, '/lib/x.so'), join(root, 'usr/lib/x.so'));
    assert.equal(followInRoot(root, 'abs/passwd'), join(root, 'etc/passwd'));
    assert.equal(followInRoot(root, '/up/tmp'), join(root, 'tmp'));
    assert.equal(followInRoot(root, '../../../etc'), join(root, 'etc'));
    assert.equal(followInRoot(root, '/'), root);
    assert.throws(() => followInRoot(root, '/loop1/x'), /too many levels of symbolic links/);
  });
});
