import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { httpRequest, startRegistry, type RegistryHandle } from '../src/index.js';

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
