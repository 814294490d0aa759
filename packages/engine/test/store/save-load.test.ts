import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/store/image-store.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { readTar } from '../../src/store/tar-reader.js';
import { buildTar } from '../../src/store/tar-writer.js';
import { fakeImage, fileLayer } from './fake-image.js';

async function collect(s: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

describe('store: save and load', () => {
  const mounts = sysMountOps();
  let tmp: string;
  const mounted: string[] = [];
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-save-'));
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  it('save then load gives the same image ID, tags and files, and saving again gives the same bytes', async () => {
    const a = await ImageStore.open({ dataRoot: join(tmp, 'a'), fsOps: sysFsOps() });
    const img = await a.pull(fakeImage('example.com/app:v1', [fileLayer({ 'etc/x': 'x' }), fileLayer({ 'etc/x': 'y', y: 'y' })]));
    await a.tag('example.com/app:v1', 'other', 'v2');
    const archive = await collect(await a.save(['example.com/app:v1', 'other:v2']));
    const names: string[] = [];
    for await (const e of readTar(once(archive))) names.push(e.header.name);
    assert.ok(names.includes('manifest.json') && names.includes('index.json') && names.includes('oci-layout') && names.includes('repositories'));
    const manifest = JSON.parse((await collectEntry(archive, 'manifest.json')).toString()) as Array<{ RepoTags: string[]; Layers: string[] }>;
    assert.deepEqual(manifest[0]!.RepoTags, ['example.com/app:v1', 'other:v2']);
    assert.equal(manifest[0]!.Layers.length, 2);

    const b = await ImageStore.open({ dataRoot: join(tmp, 'b'), fsOps: sysFsOps() });
    const lines: string[] = [];
    const loaded = await b.load(once(archive), { onLine: (l) => lines.push(l) });
    assert.deepEqual(loaded, [{ id: img.id, tags: ['example.com/app:v1', 'other:v2'] }]);
    assert.deepEqual(lines, ['Loaded image: example.com/app:v1', 'Loaded image: other:v2']);
    assert.equal(b.resolve('other:v2').id, img.id);
    const m = await b.prepareRootfs('c', img.id);
    const target = join(tmp, 'merged');
    await mkdir(target);
    mounts.mountOverlay({ lowers: m.lowers, upper: m.upper!, work: m.work! }, target);
    mounted.push(target);
    assert.equal(await readFile(join(target, 'etc/x'), 'utf8'), 'y');
    const again = await collect(await b.save(['example.com/app:v1', 'other:v2']));
    assert.ok(again.equals(archive), 'deterministic save');
    assert.deepEqual(await b.load(once(archive)), [{ id: img.id, tags: ['example.com/app:v1', 'other:v2'] }], 'loading twice is harmless');
  });

  it('refuses an archive whose layer does not match the config', async () => {
    const a = await ImageStore.open({ dataRoot: join(tmp, 'a'), fsOps: sysFsOps() });
    await a.pull(fakeImage('one:1', [fileLayer({ a: 'a' })]));
    const archive = await collect(await a.save(['one:1']));
    // swap the layer for another valid tar: the diff ID no longer matches the config
    const entries: Array<{ name: string; data: Buffer }> = [];
    for await (const e of readTar(once(archive))) {
      if (e.header.type !== 'file') continue;
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(c);
      entries.push({ name: e.header.name, data: Buffer.concat(parts) });
    }
    const layerName = (JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString()) as Array<{ Layers: string[] }>)[0]!.Layers[0]!;
    entries.find((e) => e.name === layerName)!.data = fileLayer({ a: 'evil' });
    const bad = buildTar(entries.map((e) => ({ ...e, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 })));
    const b = await ImageStore.open({ dataRoot: join(tmp, 'b'), fsOps: sysFsOps() });
    await assert.rejects(b.load(once(bad)), /diff ID mismatch/);
    assert.deepEqual(await b.snapshots.list(), []);
    assert.deepEqual(b.metadata.images(), []);
  });
});

async function collectEntry(archive: Buffer, name: string): Promise<Buffer> {
  for await (const e of readTar(once(archive))) {
    if (e.header.name === name) {
      const parts: Buffer[] = [];
      for await (const c of e.body) parts.push(c);
      return Buffer.concat(parts);
    }
  }
  throw new Error(`${name} not in archive`);
}
