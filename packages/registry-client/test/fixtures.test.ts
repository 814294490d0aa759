import assert from 'node:assert/strict';
import { fixtures, startRegistry, type Fixtures, type ImageFixture, type RegistryHandle } from '@tdock/testkit';
import { RegistryClient, hostPlatform } from '../src/index.js';
import { drain } from './helpers.js';

describe('registry-client pulls every kit fixture (real registry)', function () {
  this.timeout(600_000);
  let kit: Fixtures;
  let registry: RegistryHandle;
  let client: RegistryClient;

  before(async () => {
    kit = await fixtures();
    registry = await startRegistry();
  });
  after(async () => registry?.stop());
  beforeEach(() => {
    client = new RegistryClient();
  });
  afterEach(async () => client.close());

  async function checkFixture(fx: ImageFixture, ref = fx.refIn(registry.host), digest = fx.manifestDigest): Promise<void> {
    const image = await client.getImage(ref, { platform: fx.platform });
    assert.equal(image.manifestDigest, digest, fx.name);
    assert.equal(image.manifest.config.digest, fx.configDigest);
    assert.deepEqual(image.layers.map((l) => [l.digest, l.size, l.diffId]), fx.layers.map((l) => [l.digest, l.size, l.diffId]));
    for (const layer of image.layers) assert.deepEqual(await drain(layer), { size: layer.size, digest: layer.digest });
  }

  it('pulls busybox (Docker schema2 and OCI), debian and multilayer with every blob verified', async () => {
    await checkFixture(kit.busybox);
    await checkFixture(kit.busybox, `${registry.host}/${kit.busybox.ociReference}`, kit.busybox.ociManifestDigest);
    await checkFixture(kit.debian);
    await checkFixture(kit.multilayer);
  });

  it('pulls the malicious images byte for byte (judging contents is the store\'s job)', async () => {
    for (const fx of Object.values(kit.malicious)) await checkFixture(fx);
  });

  it('chooses the platform from the index fixture', async () => {
    const [host, other] = kit.index.manifests;
    assert.ok(host && other);
    const image = await client.getImage(kit.index.refIn(registry.host));
    assert.deepEqual(hostPlatform().architecture, host.platform.architecture);
    assert.equal(image.manifestDigest, host.manifestDigest);
    assert.equal(image.index?.digest, kit.index.indexDigest);
    assert.equal(image.manifest.config.digest, host.configDigest);
    const otherImage = await client.getImage(kit.index.refIn(registry.host), { platform: other.platform });
    assert.equal(otherImage.manifestDigest, other.manifestDigest);
    for (const layer of otherImage.layers) assert.equal((await drain(layer)).digest, layer.digest);
  });

  it('resolves every pushed tag to the recorded digest', async () => {
    for (const pushed of kit.pushed) {
      const m = await client.getManifest(`${registry.host}/${pushed.reference}`);
      assert.equal(m.digest, pushed.digest, pushed.reference);
      assert.equal(m.mediaType, pushed.mediaType, pushed.reference);
    }
  });
});
