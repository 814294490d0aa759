import assert from 'node:assert/strict';
import { startRegistry, type RegistryHandle } from '@tdock/testkit';
import { RegistryClient, RegistryError } from '../src/index.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { drain, makeImage, skopeoPush } from './helpers.js';

describe('registry-client faults (TCP proxy in front of the real registry)', function () {
  this.timeout(120_000);
  const im = makeImage('faults', [600_000, 3000]);
  let registry: RegistryHandle;
  let proxy: FaultProxy;
  let client: RegistryClient;
  const delays: Array<number | undefined> = [];

  before(async () => {
    registry = await startRegistry({ empty: true });
    await skopeoPush(registry.host, 'faulty/app:v1', [im]);
  });
  after(async () => registry?.stop());
  beforeEach(async () => {
    proxy = await startFaultProxy(registry.host);
    delays.length = 0;
    client = new RegistryClient({
      platform: { os: 'linux', architecture: 'amd64' },
      retryDelay: (_attempt, retryAfter) => {
        delays.push(retryAfter);
        return 5;
      },
    });
  });
  afterEach(async () => {
    await client.close();
    await proxy.stop();
  });

  const big = im.layers[0]!;
  const blobLine = new RegExp(`^GET /v2/faulty/app/blobs/${big.digest}`);

  it('resumes a blob download cut mid-way with Range, and the blob verifies', async () => {
    proxy.faults.push({ match: blobLine, range: false, kind: 'cut', at: 200_000, times: 1 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    assert.deepEqual(await drain(image.layers[0]!), { size: big.size, digest: big.digest });
    const blobRequests = proxy.requests.filter((l) => blobLine.test(l));
    assert.equal(blobRequests.length, 2, 'one cut request and one resumed request');
    assert.equal(proxy.faults[0]?.times, 0);
  });

  it('resumes more than once, and again when cut during the resumed request', async () => {
    proxy.faults.push({ match: blobLine, range: false, kind: 'cut', at: 100_000, times: 1 });
    proxy.faults.push({ match: blobLine, range: true, kind: 'cut', at: 50_000, times: 2 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    assert.deepEqual(await drain(image.layers[0]!), { size: big.size, digest: big.digest });
    assert.equal(proxy.requests.filter((l) => blobLine.test(l)).length, 4);
    assert.equal(proxy.faults[1]?.times, 0, 'the resumed requests carried a Range header');
  });

  it('gives up with a retryable CONNECTION error when every attempt is cut', async () => {
    proxy.faults.push({ match: blobLine, kind: 'cut', at: 10_000, times: 100 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    await assert.rejects(drain(image.layers[0]!), (e: unknown) => e instanceof RegistryError && e.code === 'CONNECTION' && e.retryable);
    assert.equal(proxy.requests.filter((l) => blobLine.test(l)).length, 5, 'the first request and 4 resumes');
  });

  it('fails with a digest error on one flipped byte, before the stream ends', async () => {
    proxy.faults.push({ match: blobLine, kind: 'flip', at: 12_345, times: 1 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    const stream = await image.layers[0]!.open();
    let ended = false;
    stream.on('end', () => {
      ended = true;
    });
    await assert.rejects(drain(stream), (e: unknown) => e instanceof RegistryError && e.code === 'DIGEST_MISMATCH' && e.message.includes(big.digest));
    assert.equal(ended, false, 'no end event after a digest mismatch');
  });

  it('with verifyDigest false, passes a flipped byte on (the caller hashes) but still checks the size', async () => {
    proxy.faults.push({ match: blobLine, kind: 'flip', at: 12_345, times: 1 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    const got = await drain(await image.layers[0]!.open({ verifyDigest: false }));
    assert.equal(got.size, big.size);
    assert.notEqual(got.digest, big.digest, 'the flipped byte came through');
  });

  it('rejects a manifest whose bytes do not match its digest', async () => {
    proxy.faults.push({ match: new RegExp(`^GET /v2/faulty/app/manifests/${im.manifest.digest}`), kind: 'flip', at: 40, times: 1 });
    await assert.rejects(client.getImage(`${proxy.host}/faulty/app@${im.manifest.digest}`),
      (e: unknown) => e instanceof RegistryError && (e.code === 'DIGEST_MISMATCH' || e.code === 'MANIFEST_INVALID'));
  });

  it('refuses a schema1 manifest clearly', async () => {
    const body = JSON.stringify({ schemaVersion: 1, name: 'faulty/app', tag: 'old', architecture: 'amd64', fsLayers: [], history: [] });
    proxy.faults.push({
      match: /^GET \/v2\/faulty\/app\/manifests\/old/, kind: 'status', status: '200 OK', body, times: 1,
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
    });
    await assert.rejects(client.getImage(`${proxy.host}/faulty/app:old`), (e: unknown) => e instanceof RegistryError
      && e.code === 'UNSUPPORTED_MANIFEST' && e.kind === 'not-implemented' && /schema 1 is not supported/.test(e.message));
  });

  it('rejects a manifest that does not match Docker-Content-Digest', async () => {
    proxy.faults.push({
      match: /^GET \/v2\/faulty\/app\/manifests\/v1/, kind: 'status', status: '200 OK', body: im.manifest.data.toString(), times: 1,
      headers: { 'content-type': im.manifest.mediaType, 'docker-content-digest': `sha256:${'2'.repeat(64)}` },
    });
    await assert.rejects(client.getImage(`${proxy.host}/faulty/app:v1`), { code: 'DIGEST_MISMATCH' });
  });

  it('retries a 503 and then succeeds', async () => {
    proxy.faults.push({ match: /^GET \/v2\/faulty\/app\/manifests\/v1/, kind: 'status', status: '503 Service Unavailable', times: 1 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    assert.equal(image.manifestDigest, im.manifest.digest);
    assert.equal(proxy.requests.filter((l) => l.startsWith('GET /v2/faulty/app/manifests/v1')).length, 2);
  });

  it('honours Retry-After on 429, and gives up with a retryable TOOMANYREQUESTS after the last retry', async () => {
    proxy.faults.push({ match: /^GET \/v2\/faulty\/app\/manifests\/v1/, kind: 'status', status: '429 Too Many Requests', headers: { 'retry-after': '2' }, times: 1 });
    await client.getImage(`${proxy.host}/faulty/app:v1`);
    assert.deepEqual(delays, [2000]);
    const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] });
    proxy.faults.push({
      match: /^GET \/v2\/faulty\/app\/manifests\/v1/, kind: 'status', status: '429 Too Many Requests',
      headers: { 'content-type': 'application/json' }, body, times: 10,
    });
    await assert.rejects(client.getImage(`${proxy.host}/faulty/app:v1`),
      (e: unknown) => e instanceof RegistryError && e.code === 'TOOMANYREQUESTS' && e.status === 429 && e.retryable
        && e.message.endsWith('toomanyrequests: slow down'));
  });

  it('retries a request whose connection is closed before any answer', async () => {
    proxy.faults.push({ match: /^GET \/v2\/faulty\/app\/manifests\/v1/, kind: 'reset', times: 2 });
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    assert.equal(image.manifestDigest, im.manifest.digest);
    assert.equal(proxy.requests.filter((l) => l.startsWith('GET /v2/faulty/app/manifests/v1')).length, 3);
  });

  it('stops a running download when the signal aborts', async () => {
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    const controller = new AbortController();
    const stream = await image.layers[0]!.open({ signal: controller.signal });
    let received = 0;
    await assert.rejects(new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 0) controller.abort();
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    }), (e: unknown) => (e as Error).name === 'AbortError');
    assert.ok(received < big.size);
  });

  it('aborts a download with the AbortSignal', async () => {
    const image = await client.getImage(`${proxy.host}/faulty/app:v1`);
    const controller = new AbortController();
    const stream = await image.layers[0]!.open({ signal: controller.signal });
    controller.abort();
    await assert.rejects(drain(stream), (e: unknown) => (e as Error).name === 'AbortError');
  });
});
