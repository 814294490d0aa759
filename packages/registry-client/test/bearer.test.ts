import assert from 'node:assert/strict';
import { startRegistry, type RegistryHandle } from '@tdock/testkit';
import { RegistryClient, RegistryError, parseWwwAuthenticate, staticCredentials } from '../src/index.js';
import { drain, makeImage, skopeoPush } from './helpers.js';
import { startTokenServer, type TokenServer } from './token-server.js';

describe('registry-client bearer token flow (loopback token service in front of the real registry)', function () {
  this.timeout(120_000);
  const pub = makeImage('bearer-public', [2000]);
  const priv = makeImage('bearer-private', [3000, 100]);
  let registry: RegistryHandle;
  let tokens: TokenServer;
  const amd64 = { os: 'linux', architecture: 'amd64' };

  before(async () => {
    registry = await startRegistry({ empty: true });
    await skopeoPush(registry.host, 'public/app:v1', [pub]);
    await skopeoPush(registry.host, 'private/app:v1', [priv]);
  });
  after(async () => registry?.stop());
  beforeEach(async () => {
    tokens = await startTokenServer(registry.host);
  });
  afterEach(async () => tokens.stop());

  it('pulls anonymously with a token for the pull scope, cached for later requests', async () => {
    const client = new RegistryClient({ platform: amd64 });
    try {
      const image = await client.getImage(`${tokens.host}/public/app:v1`);
      assert.equal((await drain(image.layers[0]!)).digest, pub.layers[0]?.digest);
      await client.getImage(`${tokens.host}/public/app:v1`);
      assert.deepEqual(tokens.tokenRequests, [{ scopes: ['repository:public/app:pull'] }]);
      await assert.rejects(client.getImage(`${tokens.host}/private/app:v1`),
        (e: unknown) => e instanceof RegistryError && e.code === 'UNAUTHORIZED' && e.status === 401);
    } finally {
      await client.close();
    }
  });

  it('uses credentials at the token endpoint, mounts across repositories with both scopes, and refreshes revoked tokens', async () => {
    const client = new RegistryClient({ platform: amd64, credentials: staticCredentials({ [tokens.host]: { username: tokens.username, password: tokens.password } }) });
    try {
      const image = await client.getImage(`${tokens.host}/private/app:v1`);
      assert.equal(image.manifestDigest, priv.manifest.digest);
      const pushed = await client.pushImage(image, `${tokens.host}/private/copy:v1`);
      assert.deepEqual(Object.values(pushed.blobs), ['mounted', 'mounted', 'mounted']);
      assert.ok(tokens.tokenRequests.some((r) => r.scopes.includes('repository:private/app:pull') && r.scopes.includes('repository:private/copy:pull,push')));
      assert.ok(tokens.tokenRequests.every((r) => r.account === tokens.username));
      const before = tokens.tokenRequests.length;
      tokens.revokeAll();
      const again = await client.getImage(`${tokens.host}/private/copy:v1`);
      assert.equal(again.manifestDigest, priv.manifest.digest);
      assert.equal(tokens.tokenRequests.length, before + 1, 'one new token after the 401');
    } finally {
      await client.close();
    }
  });

  it('follows blob redirects to another host without the Authorization header', async () => {
    tokens.redirectBlobs = true;
    const client = new RegistryClient({ platform: amd64 });
    try {
      const image = await client.getImage(`${tokens.host}/public/app:v1`);
      assert.equal((await drain(image.layers[0]!)).digest, pub.layers[0]?.digest);
      assert.equal(tokens.storageRequests, 2, 'config and layer came from the storage host');
      assert.deepEqual(tokens.storageAuthorizations, []);
    } finally {
      await client.close();
    }
  });

  it('reads at most `concurrency` blobs at once', async () => {
    const many = makeImage('bearer-many', [300_000, 300_000, 300_000, 300_000, 300_000]);
    await skopeoPush(registry.host, 'public/many:v1', [many]);
    const client = new RegistryClient({ platform: amd64, concurrency: 2 });
    try {
      const image = await client.getImage(`${tokens.host}/public/many:v1`);
      const streams = await Promise.all(image.layers.map((l) => l.open()));
      const results = await Promise.all(streams.map((s) => drain(s)));
      assert.deepEqual(results.map((r) => r.digest), many.layers.map((l) => l.digest));
      assert.equal(tokens.maxConcurrentBlobs, 2);
    } finally {
      await client.close();
    }
  });

  it('checks a login through the token endpoint', async () => {
    const client = new RegistryClient({ platform: amd64 });
    try {
      await client.login(tokens.host, { username: tokens.username, password: tokens.password });
      assert.deepEqual(tokens.tokenRequests.at(-1), { scopes: [], account: tokens.username });
      await assert.rejects(client.login(tokens.host, { username: tokens.username, password: 'nope' }), { code: 'UNAUTHORIZED' });
    } finally {
      await client.close();
    }
  });

  it('gives UNAUTHORIZED when the token endpoint refuses the credentials', async () => {
    const client = new RegistryClient({ platform: amd64, credentials: staticCredentials({ [tokens.host]: { username: tokens.username, password: 'wrong-secret-xyz' } }) });
    try {
      await assert.rejects(client.getImage(`${tokens.host}/private/app:v1`),
        (e: unknown) => e instanceof RegistryError && e.code === 'UNAUTHORIZED' && !e.message.includes('wrong-secret-xyz'));
    } finally {
      await client.close();
    }
  });
});

describe('registry-client WWW-Authenticate parsing', () => {
  it('parses Docker Hub style and multiple challenges', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="http://x/t", error="invalid_token"'), [
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'http://x/t', error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="a\\"b",scope=x'), [{ scheme: 'bearer', params: { realm: 'a"b', scope: 'x' } }]);
  });
});
