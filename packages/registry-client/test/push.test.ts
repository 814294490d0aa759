import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startRegistry, type RegistryHandle } from '@tdock/testkit';
import type { Layer } from '@tdock/core';
import { RegistryClient, RegistryError, type PushableImage, type PushProgress } from '../src/index.js';
import { drain, makeImage, makeIndex, type TestImage } from './helpers.js';

/** A locally built image as the client pushes it: layers open in-memory streams. */
function pushable(im: TestImage): PushableImage {
  const layers: Layer[] = im.layers.map((b) => ({
    descriptor: { mediaType: b.mediaType, digest: b.digest, size: b.size }, digest: b.digest, size: b.size, mediaType: b.mediaType,
    open: async () => Readable.from([b.data.subarray(0, 1000), b.data.subarray(1000)]),
  }));
  return { manifestBytes: im.manifest.data, manifestMediaType: im.manifest.mediaType, configBytes: im.config.data, layers };
}

describe('registry-client push (real registry)', function () {
  this.timeout(120_000);
  let registry: RegistryHandle;
  let client: RegistryClient;
  before(async () => {
    registry = await startRegistry({ empty: true });
  });
  after(async () => registry?.stop());
  beforeEach(() => {
    client = new RegistryClient({ platform: { os: 'linux', architecture: 'amd64' } });
  });
  afterEach(async () => client.close());

  it('pushes a new image and pulls it back with the same digests', async () => {
    const im = makeImage('push-new', [10_000, 300_000]);
    const progress: PushProgress[] = [];
    const result = await client.pushImage(pushable(im), `${registry.host}/pushed/app:v1`, { onProgress: (p) => progress.push(p) });
    assert.equal(result.digest, im.manifest.digest);
    assert.deepEqual(Object.values(result.blobs), ['uploaded', 'uploaded', 'uploaded']);
    const big = progress.filter((p) => p.digest === im.layers[1]?.digest);
    assert.equal(big[0]?.status, 'Preparing');
    assert.equal(big.at(-1)?.status, 'Pushed');
    assert.equal(big.at(-1)?.id, im.layers[1]?.digest.slice(7, 19));
    assert.deepEqual(big.at(-2), { id: big[0]?.id, digest: im.layers[1]?.digest, status: 'Pushing', current: im.layers[1]?.size, total: im.layers[1]?.size });
    assert.ok(!progress.some((p) => p.digest === im.config.digest), 'the config reports nothing');
    const back = await client.getImage(`${registry.host}/pushed/app:v1`);
    assert.equal(back.manifestDigest, im.manifest.digest);
    assert.deepEqual(Buffer.from(back.manifestBytes), im.manifest.data);
    assert.deepEqual(Buffer.from(back.configBytes), im.config.data);
    for (const [i, layer] of back.layers.entries()) assert.equal((await drain(layer)).digest, im.layers[i]?.digest);
    // Pushed again: every blob is found by the HEAD check.
    progress.length = 0;
    const again = await client.pushImage(pushable(im), `${registry.host}/pushed/app:v2`, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(progress.map((p) => p.status), ['Preparing', 'Preparing', 'Layer already exists', 'Layer already exists']);
    assert.deepEqual(Object.values(again.blobs), ['exists', 'exists', 'exists']);
    assert.deepEqual((await client.listTags(`${registry.host}/pushed/app`)).sort(), ['v1', 'v2']);
  });

  it('mounts blobs across repositories when pushing a pulled image to another repository', async () => {
    const im = makeImage('push-mount', [5000, 7000]);
    await client.pushImage(pushable(im), `${registry.host}/source/repo:v1`);
    const pulled = await client.getImage(`${registry.host}/source/repo:v1`);
    const statuses: string[] = [];
    const result = await client.pushImage(pulled, `${registry.host}/target/repo:copy`, { onProgress: (p) => statuses.push(p.status) });
    assert.deepEqual(statuses.filter((st) => st !== 'Preparing'), ['Mounted from source/repo', 'Mounted from source/repo']);
    assert.deepEqual(Object.values(result.blobs), ['mounted', 'mounted', 'mounted']);
    assert.equal(result.digest, im.manifest.digest);
    assert.equal(await client.blobExists(`${registry.host}/target/repo`, im.layers[0]!.digest), true);
    // A mount from a repository that lacks the blob falls back to an upload.
    assert.equal(await client.mountBlob(`${registry.host}/other/repo`, im.layers[0]!.digest, 'nothing/here'), false);
  });

  it('uploads in chunks', async () => {
    const im = makeImage('push-chunked', [250_000]);
    const result = await client.pushImage(pushable(im), `${registry.host}/chunked:v1`, { chunkSize: 64 * 1024 });
    assert.deepEqual(Object.values(result.blobs), ['uploaded', 'uploaded']);
    const back = await client.getImage(`${registry.host}/chunked:v1`);
    assert.equal((await drain(back.layers[0]!)).digest, im.layers[0]?.digest);
  });

  it('pushes an index and resolves platforms from it', async () => {
    const amd = makeImage('idx-amd', [100]);
    const arm = makeImage('idx-arm', [200], { os: 'linux', architecture: 'arm', variant: 'v7' });
    await client.pushImage(pushable(amd), `${registry.host}/idx@${amd.manifest.digest}`);
    await client.pushImage(pushable(arm), `${registry.host}/idx@${arm.manifest.digest}`);
    const index = makeIndex([amd, arm]);
    assert.equal(await client.putManifest(`${registry.host}/idx:multi`, index.data, index.mediaType), index.digest);
    const got = await client.getImage(`${registry.host}/idx:multi`, { platform: 'linux/arm/v7' });
    assert.equal(got.manifestDigest, arm.manifest.digest);
    assert.equal(got.index?.digest, index.digest);
    const v8 = await client.getImage(`${registry.host}/idx:multi`, { platform: 'linux/arm/v8' });
    assert.equal(v8.manifestDigest, arm.manifest.digest, 'arm/v8 can run arm/v7');
  });

  it('refuses a blob whose bytes do not match its digest', async () => {
    const im = makeImage('push-bad', [100]);
    const bad = { ...im.layers[0]!, digest: `sha256:${'1'.repeat(64)}` };
    await assert.rejects(client.uploadBlob(`${registry.host}/bad`, bad, bad.data),
      (e: unknown) => e instanceof RegistryError && e.code === 'DIGEST_INVALID' && e.status === 400);
  });
});
