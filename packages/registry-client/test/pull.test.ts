import assert from 'node:assert/strict';
import { startRegistry, type RegistryHandle } from '@tdock/testkit';
import { familiarString } from '@tdock/core';
import { RegistryClient, RegistryError } from '../src/index.js';
import { drain, makeImage, skopeoPush, type TestImage } from './helpers.js';

describe('registry-client pull (real registry)', function () {
  this.timeout(120_000);
  let registry: RegistryHandle;
  let client: RegistryClient;
  const amd = makeImage('pull-amd64', [3000, 200_000, 10]);
  const arm = makeImage('pull-arm64', [5000], { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const single = makeImage('single', [1234, 99_999]);

  before(async () => {
    registry = await startRegistry({ empty: true });
    await skopeoPush(registry.host, 'multi/arch:v1', [amd, arm]);
    await skopeoPush(registry.host, 'single:oci', [single]);
    await skopeoPush(registry.host, 'single:docker', [single], 'v2s2');
    await skopeoPush(registry.host, 'library/mirrored:v1', [single]);
  });
  after(async () => registry?.stop());
  beforeEach(() => {
    client = new RegistryClient({ platform: { os: 'linux', architecture: 'amd64' } });
  });
  afterEach(async () => client.close());

  async function checkImage(ref: string, want: TestImage): Promise<void> {
    const image = await client.getImage(ref);
    assert.equal(image.configBytes.length, want.config.size);
    assert.equal(image.manifest.config.digest, want.config.digest);
    assert.deepEqual(image.layers.map((l) => l.digest), want.layers.map((l) => l.digest));
    for (const [i, layer] of image.layers.entries()) {
      assert.deepEqual(await drain(layer), { size: want.layers[i]?.size, digest: want.layers[i]?.digest });
    }
    assert.equal(image.layers[0]?.diffId, (JSON.parse(want.config.data.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids[0]);
  }

  it('pulls an OCI image with manifest bytes kept exactly', async () => {
    const image = await client.getImage(`${registry.host}/single:oci`);
    assert.equal(image.manifestDigest, single.manifest.digest);
    assert.deepEqual(Buffer.from(image.manifestBytes), single.manifest.data);
    assert.equal(image.manifestMediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(familiarString(image.reference), `${registry.host}/single:oci`);
    await checkImage(`${registry.host}/single:oci`, single);
  });

  it('pulls a Docker schema2 image', async () => {
    const image = await client.getImage(`${registry.host}/single:docker`);
    assert.equal(image.manifestMediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(image.layers[0]?.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    for (const layer of image.layers) await drain(layer);
  });

  it('chooses the platform from an index', async () => {
    const image = await client.getImage(`${registry.host}/multi/arch:v1`);
    assert.equal(image.manifestDigest, amd.manifest.digest);
    assert.ok(image.index);
    await checkImage(`${registry.host}/multi/arch:v1`, amd);
    const armImage = await client.getImage(`${registry.host}/multi/arch:v1`, { platform: 'linux/arm64' });
    assert.equal(armImage.manifestDigest, arm.manifest.digest);
    assert.equal(armImage.config.architecture, 'arm64');
    await assert.rejects(client.getImage(`${registry.host}/multi/arch:v1`, { platform: 'linux/s390x' }),
      (e: unknown) => e instanceof RegistryError && e.code === 'NO_MATCHING_PLATFORM' && e.kind === 'not-found'
        && e.message === 'no matching manifest for linux/s390x in the manifest list entries');
  });

  it('resolves a reference to its descriptor with HEAD', async () => {
    assert.deepEqual(await client.resolve(`${registry.host}/single:oci`),
      { mediaType: single.manifest.mediaType, digest: single.manifest.digest, size: single.manifest.size });
    const index = await client.resolve(`${registry.host}/multi/arch:v1`);
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    await assert.rejects(client.resolve(`${registry.host}/single:nope`), { code: 'MANIFEST_UNKNOWN' });
  });

  it('pulls by digest, and by tag plus digest', async () => {
    const image = await client.getImage(`${registry.host}/single@${single.manifest.digest}`);
    assert.equal(image.manifestDigest, single.manifest.digest);
    const both = await client.getImage(`${registry.host}/single:oci@${single.manifest.digest}`);
    assert.equal(both.manifestDigest, single.manifest.digest);
  });

  it('reports MANIFEST_UNKNOWN for an unknown tag and NAME_UNKNOWN or MANIFEST_UNKNOWN for an unknown repository', async () => {
    await assert.rejects(client.getImage(`${registry.host}/single:nope`),
      (e: unknown) => e instanceof RegistryError && e.code === 'MANIFEST_UNKNOWN' && e.status === 404 && e.kind === 'not-found' && !e.retryable);
    await assert.rejects(client.getImage(`${registry.host}/missing/repo:v1`),
      (e: unknown) => e instanceof RegistryError && (e.code === 'NAME_UNKNOWN' || e.code === 'MANIFEST_UNKNOWN') && e.status === 404);
  });

  it('opens a layer at an offset (a resumed ingest), checking the size', async () => {
    const image = await client.getImage(`${registry.host}/single:oci`);
    const layer = image.layers[1]!;
    const chunks: Buffer[] = [];
    for await (const chunk of await layer.open({ offset: 1000 })) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), single.layers[1]?.data.subarray(1000));
  });

  it('reports BLOB_UNKNOWN as a stream error', async () => {
    const stream = await client.openBlob(`${registry.host}/single`, { digest: `sha256:${'0'.repeat(64)}`, size: 1 });
    await assert.rejects(drain(stream), (e: unknown) => e instanceof RegistryError && e.code === 'BLOB_UNKNOWN');
  });

  it('pulls docker.io images from a mirror', async () => {
    // The mirror holds the image, so Docker Hub itself is never contacted.
    const mirrored = new RegistryClient({ platform: { os: 'linux', architecture: 'amd64' }, mirrors: [`http://${registry.host}`] });
    try {
      const image = await mirrored.getImage('mirrored:v1');
      assert.equal(familiarString(image.reference), 'mirrored:v1');
      assert.equal(image.manifestDigest, single.manifest.digest);
      assert.equal((await drain(image.layers[1]!)).digest, single.layers[1]?.digest);
    } finally {
      await mirrored.close();
    }
  });

  it('lists tags', async () => {
    assert.deepEqual((await client.listTags(`${registry.host}/single`)).sort(), ['docker', 'oci']);
    assert.deepEqual((await client.listTags(`${registry.host}/single`, { pageSize: 1 })).sort(), ['docker', 'oci']);
  });
});
