import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from '../../src/store/content-store.js';
import { ImageMetadataStore } from '../../src/store/image-metadata.js';
import { sha256Digest, chainIds } from '../../src/store/digest.js';

describe('store: content store', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tdock-cs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('commits a verified blob and never exposes the ingest as a blob', async () => {
    const cs = new ContentStore(join(root, 'content'));
    await cs.init();
    const data = Buffer.from('hello world');
    const d = sha256Digest(data);
    const w = await cs.writer('k1');
    await w.write(data.subarray(0, 5));
    assert.equal(await cs.has(d), false);
    await w.close();
    const w2 = await cs.writer('k1');
    assert.equal(w2.offset, 5, 'resumes after the partial data');
    await w2.write(data.subarray(5));
    await w2.commit(d, data.length);
    assert.equal((await cs.readBytes(d)).toString(), 'hello world');
    assert.deepEqual(await cs.ingests(), []);
    assert.deepEqual((await cs.list()).map((b) => b.digest), [d]);
  });

  it('refuses a digest mismatch and leaves nothing behind', async () => {
    const cs = new ContentStore(join(root, 'content'));
    await cs.init();
    const w = await cs.writer('bad');
    await w.write(Buffer.from('abc'));
    await assert.rejects(w.commit(sha256Digest('abd')), /digest mismatch/);
    assert.deepEqual(await readdir(join(root, 'content', 'blobs', 'sha256')), []);
    assert.deepEqual(await cs.ingests(), []);
  });

  it('refuses two writers on one ingest key', async () => {
    const cs = new ContentStore(join(root, 'content'));
    await cs.init();
    const w = await cs.writer('same');
    await assert.rejects(cs.writer('same'), /already in progress/);
    await w.abort();
  });

  it('computes chain IDs as the image spec says', () => {
    const a = sha256Digest('a');
    const b = sha256Digest('b');
    assert.deepEqual(chainIds([a, b]), [a, sha256Digest(`${a} ${b}`)]);
  });

  it('keeps image records and references durable across reloads', async () => {
    const m = new ImageMetadataStore(join(root, 'images'));
    await m.load();
    const id = sha256Digest('config');
    await m.putImage({ id, manifestDigest: sha256Digest('m'), manifestMediaType: 'x', configSize: 6, layers: [], loadedAt: 'now' }, ['docker.io/library/a:1']);
    await m.tag('docker.io/library/b:2', id);
    const m2 = new ImageMetadataStore(join(root, 'images'));
    await m2.load();
    assert.deepEqual(m2.referencesOf(id), ['docker.io/library/a:1', 'docker.io/library/b:2']);
    await m2.untag(['docker.io/library/a:1']);
    assert.equal(m2.resolve('docker.io/library/a:1'), undefined);
    await assert.rejects(m2.tag('x:y', sha256Digest('nope')), /No such image/);
    await m2.deleteImage(id);
    assert.deepEqual(m2.references(), []);
  });
});
