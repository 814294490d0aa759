import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../../src/store/image-store.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { readTar } from '../../src/store/tar-reader.js';
import { fileLayer } from './fake-image.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

describe('store: import and export', () => {
  const mounts = sysMountOps();
  let tmp: string;
  const mounted: string[] = [];
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-imp-'));
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  it('imports a flat rootfs as a one-layer image and exports a container rootfs with its changes', async () => {
    const store = await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: sysFsOps() });
    const tar = fileLayer({ 'etc/hostname': 'h', 'bin/tool': 't', 'gone': 'g' });
    const { id } = await store.import(once(gzipSync(tar)), { reference: 'imported:1', message: 'Imported from -', config: { Cmd: ['/bin/tool'] } });
    const insp = await store.inspect('imported:1');
    assert.equal(insp.Id, id);
    assert.equal(insp.RootFS.Layers.length, 1);
    assert.deepEqual((insp.Config as { Cmd: string[] }).Cmd, ['/bin/tool']);
    assert.equal((await store.history('imported:1'))[0]!.Comment, 'Imported from -');
    assert.equal(store.metadata.image(id)!.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');

    const m = await store.prepareRootfs('ctr1', id);
    const merged = join(tmp, 'merged');
    await mkdir(merged);
    mounts.mountOverlay({ lowers: m.lowers, upper: m.upper!, work: m.work! }, merged);
    mounted.push(merged);
    await unlink(join(merged, 'gone'));
    await writeFile(join(merged, 'etc/new'), 'n');
    mounts.unmount(mounted.pop()!);

    const names: string[] = [];
    for await (const e of readTar(store.export(m, mounts))) names.push(e.header.name);
    assert.deepEqual(names, ['bin/', 'bin/tool', 'etc/', 'etc/hostname', 'etc/new']);
  });
});
