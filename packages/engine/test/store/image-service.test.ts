import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@tdock/registry-client';
import { fixtures, startRegistry, type Fixtures, type RegistryHandle } from '@tdock/testkit';
import type { ProgressSink } from '../../src/api/services.js';
import type { JsonObject } from '../../src/api/types.js';
import { ImageStore } from '../../src/store/image-store.js';
import { createImageService } from '../../src/store/image-service.js';
import { sysFsOps } from '../../src/store/sys-ops.js';

function recorder(): ProgressSink & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    status: (m: string, id?: string) => lines.push(id ? `${id}: ${m}` : m),
    progress: (id: string, action: string) => lines.push(`${id}: ${action}`),
    stream: (t: string) => lines.push(`stream ${t}`),
    aux: (v: JsonObject) => lines.push(`aux ${JSON.stringify(v)}`),
  };
}

describe('store: the API image service', function () {
  this.timeout(300000);
  let fx: Fixtures;
  let registry: RegistryHandle;
  let tmp: string;
  before(async () => {
    fx = await fixtures();
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.stop();
  });
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-svc-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('pulls with Docker progress lines, lists, loads and pushes', async () => {
    const store = await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: sysFsOps() });
    const svc = createImageService({ store, registry: () => { const client = new RegistryClient(); return { client, release: () => client.close() }; } });
    const signal = new AbortController().signal;
    setMaxListeners(0, signal); // one request signal shared by many registry calls (registry-client adds one listener per request)
    const p = recorder();
    const from = `${registry.host}/kit/busybox`;
    await svc.pull({ fromImage: from, tag: 'latest', progress: p, signal });
    const id = fx.busybox.layers[0]!.digest.slice(7, 19);
    assert.deepEqual(p.lines.filter((l) => !l.includes(': Downloading') && !l.includes(': Extracting')), [
      'latest: Pulling from kit/busybox', `${id}: Pulling fs layer`, `${id}: Verifying Checksum`, `${id}: Download complete`, `${id}: Pull complete`,
      `Digest: ${fx.busybox.manifestDigest}`, `Status: Downloaded newer image for ${from}:latest`,
    ]);
    const again = recorder();
    await svc.pull({ fromImage: from, tag: 'latest', progress: again, signal });
    assert.equal(again.lines.at(-1), `Status: Image is up to date for ${from}:latest`);
    assert.ok(again.lines.includes(`${id}: Already exists`));

    const list = await svc.list({ all: false, digests: true, sharedSize: false, manifests: false, filters: new Map() });
    assert.deepEqual(list.map((i) => i['RepoTags']), [[`${from}:latest`]]);

    const l = recorder();
    await svc.load({ tar: createReadStream(fx.multilayer.saveArchive), quiet: false, progress: l, signal });
    assert.deepEqual(l.lines, [`stream Loaded image: ${fx.multilayer.reference}\n`]);

    await svc.tag(fx.multilayer.reference, `${registry.host}/pushed/ml`, 'v1');
    const push = recorder();
    await svc.push({ name: `${registry.host}/pushed/ml`, tag: 'v1', progress: push, signal });
    assert.equal(push.lines[0], `The push refers to repository [${registry.host}/pushed/ml]`);
    assert.match(push.lines.at(-1)!, /^aux \{"Tag":"v1","Digest":"sha256:[a-f0-9]{64}","Size":\d+\}$/);
    const dist = await svc.distribution(`${registry.host}/pushed/ml:v1`, undefined, signal);
    assert.deepEqual((dist['Platforms'] as JsonObject[])[0], { architecture: 'amd64', os: 'linux' });
  });
});
