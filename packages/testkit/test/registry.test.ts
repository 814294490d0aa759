import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fixtures, httpRequest, MT_DOCKER_MANIFEST, startRegistry, type RegistryHandle } from '../src/index.js';

describe('testkit registry', function () {
  this.timeout(60_000);
  let reg: RegistryHandle | undefined;
  afterEach(async () => { await reg?.stop(); reg = undefined; });

  it('plain HTTP answers /v2/ with 200 and stop() removes its storage', async () => {
    reg = await startRegistry();
    assert.match(reg.host, /^127\.0\.0\.1:\d+$/);
    const res = await httpRequest(`${reg.url}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    const dir = reg.storageDir;
    await reg.stop();
    reg = undefined;
    assert.equal(existsSync(dir), false);
  });

  it('each registry has a private copy of the fixtures: changes do not reach the cache', async () => {
    const f = await fixtures();
    reg = await startRegistry();
    const digest = f.busybox.manifestDigest;
    const del = await httpRequest(`${reg.url}/v2/kit/busybox/manifests/${digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    assert.equal((await httpRequest(`${reg.url}/v2/kit/busybox/manifests/latest`)).status, 404);
    const blob = Buffer.from(`private blob ${Date.now()}`);
    const dg = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await httpRequest(`${reg.url}/v2/kit/busybox/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = new URL(String(start.headers.location), reg.url);
    loc.searchParams.set('digest', dg);
    const put = await httpRequest(loc.toString(), { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 201);
    await reg.stop();
    reg = await startRegistry();
    const again = await httpRequest(`${reg.url}/v2/kit/busybox/manifests/latest`, { headers: { accept: MT_DOCKER_MANIFEST } });
    assert.equal(again.status, 200);
    assert.equal((await httpRequest(`${reg.url}/v2/kit/busybox/blobs/${dg}`, { method: 'HEAD' })).status, 404);
    assert.equal(existsSync(join(f.registryStorage, 'docker/registry/v2/blobs/sha256', dg.slice(7, 9), dg.slice(7))), false);
  });

  it('empty: true starts without fixtures', async () => {
    reg = await startRegistry({ empty: true });
    const res = await httpRequest(`${reg.url}/v2/_catalog`);
    assert.deepEqual(JSON.parse(res.body.toString()), { repositories: [] });
  });

  it('basic auth refuses no/wrong credentials and accepts the right ones', async () => {
    reg = await startRegistry({ auth: 'basic' });
    assert.ok(reg.username && reg.password);
    const none = await httpRequest(`${reg.url}/v2/`);
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm=/);
    const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const wrong = await httpRequest(`${reg.url}/v2/`, { headers: { authorization: basic(reg.username, 'wrong') } });
    assert.equal(wrong.status, 401);
    const right = await httpRequest(`${reg.url}/v2/`, { headers: { authorization: basic(reg.username, reg.password) } });
    assert.equal(right.status, 200);
  });

  it('basic auth and TLS combine', async () => {
    reg = await startRegistry({ auth: 'basic', tls: true });
    assert.equal((await httpRequest(`${reg.url}/v2/`, { ca: reg.caPem })).status, 401);
    const auth = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
    const ok = await httpRequest(`${reg.url}/v2/kit/busybox/tags/list`, { ca: reg.caPem, headers: { authorization: auth } });
    assert.equal(ok.status, 200);
    assert.deepEqual((JSON.parse(ok.body.toString()) as { tags: string[] }).tags.sort(), ['latest', 'oci']);
  });

  it('TLS refuses a client without the CA and works with it', async () => {
    reg = await startRegistry({ tls: true });
    assert.match(reg.url, /^https:/);
    assert.ok(reg.caFile && reg.caPem);
    assert.equal(await readFile(reg.caFile, 'utf8'), reg.caPem);
    await assert.rejects(httpRequest(`${reg.url}/v2/`), (e: NodeJS.ErrnoException) => {
      assert.match(String(e.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
      return true;
    });
    const ok = await httpRequest(`${reg.url}/v2/`, { ca: reg.caPem });
    assert.equal(ok.status, 200);
  });
});
