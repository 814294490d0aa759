import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RegistryHandle } from '@tdock/testkit';
import { RegistryClient, RegistryError, dockerConfigCredentials, staticCredentials } from '../src/index.js';
import { drain, makeImage, skopeoPush } from './helpers.js';

const amd64 = { os: 'linux', architecture: 'amd64' };

describe('registry-client basic auth and TLS (real registry)', function () {
  this.timeout(120_000);
  const im = makeImage('auth', [4000]);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tdk-rc-auth-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  describe('basic auth', () => {
    let registry: RegistryHandle;
    before(async () => {
      registry = await startRegistry({ empty: true, auth: 'basic' });
      await skopeoPush(registry.host, 'private/app:v1', [im], 'oci', { username: registry.username!, password: registry.password! });
    });
    after(async () => registry?.stop());

    it('pulls and pushes with credentials from a provider, with no credentials in the log', async () => {
      const logged: string[] = [];
      const logger = { debug: (obj: object, msg?: string) => logged.push(JSON.stringify(obj) + (msg ?? '')) };
      const client = new RegistryClient({ platform: amd64, logger, credentials: staticCredentials({ [registry.host]: { username: registry.username!, password: registry.password! } }) });
      try {
        const image = await client.getImage(`${registry.host}/private/app:v1`);
        assert.equal(image.manifestDigest, im.manifest.digest);
        assert.equal((await drain(image.layers[0]!)).digest, im.layers[0]?.digest);
        const pushed = await client.pushImage(image, `${registry.host}/private/copy:v1`);
        assert.deepEqual(Object.values(pushed.blobs), ['mounted', 'mounted']);
        const basic = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
        assert.ok(logged.length > 5);
        assert.ok(logged.every((l) => !l.includes(registry.password!) && !l.includes(basic) && !l.includes('_state')), logged.join('\n'));
      } finally {
        await client.close();
      }
    });

    it('reads credentials from docker\'s config.json (auths and credential helpers)', async () => {
      const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
      const configPath = join(dir, 'config.json');
      await writeFile(configPath, JSON.stringify({ auths: { [registry.host]: { auth } } }));
      const client = new RegistryClient({ platform: amd64, credentials: dockerConfigCredentials({ configPath }) });
      try {
        assert.equal((await client.getImage(`${registry.host}/private/app:v1`)).manifestDigest, im.manifest.digest);
      } finally {
        await client.close();
      }
      const helperConfig = join(dir, 'helper.json');
      await writeFile(helperConfig, JSON.stringify({ credHelpers: { [registry.host]: 'tdktest' } }));
      const asked: string[] = [];
      const viaHelper = dockerConfigCredentials({
        configPath: helperConfig,
        runHelper: async (helper, serverUrl) => {
          asked.push(`${helper} ${serverUrl}`);
          return JSON.stringify({ ServerURL: serverUrl, Username: registry.username, Secret: registry.password });
        },
      });
      const client2 = new RegistryClient({ platform: amd64, credentials: viaHelper });
      try {
        assert.equal((await client2.getImage(`${registry.host}/private/app:v1`)).manifestDigest, im.manifest.digest);
        assert.deepEqual(asked, [`tdktest ${registry.host}`]);
      } finally {
        await client2.close();
      }
    });

    it('gives UNAUTHORIZED for a wrong password, without the password in the message', async () => {
      const secret = 'not-the-password-123';
      const client = new RegistryClient({ platform: amd64, credentials: staticCredentials({ [registry.host]: { username: registry.username!, password: secret } }) });
      try {
        await assert.rejects(client.getImage(`${registry.host}/private/app:v1`), (e: unknown) => {
          assert.ok(e instanceof RegistryError);
          assert.equal(e.code, 'UNAUTHORIZED');
          assert.equal(e.status, 401);
          assert.equal(e.kind, 'unauthorized');
          assert.ok(!e.message.includes(secret) && !e.stack?.includes(secret), e.message);
          return true;
        });
      } finally {
        await client.close();
      }
      const anonymous = new RegistryClient({ platform: amd64 });
      try {
        await assert.rejects(anonymous.getImage(`${registry.host}/private/app:v1`), { code: 'UNAUTHORIZED' });
      } finally {
        await anonymous.close();
      }
    });
  });

  describe('TLS', () => {
    let registry: RegistryHandle;
    before(async () => {
      registry = await startRegistry({ empty: true, tls: true });
    });
    after(async () => registry?.stop());

    it('works with the CA from certs.d and from extraCa, and fails without it', async () => {
      const certsDir = join(dir, 'certs.d');
      await mkdir(join(certsDir, registry.host), { recursive: true });
      await writeFile(join(certsDir, registry.host, 'ca.crt'), registry.caPem!);
      const withDir = new RegistryClient({ platform: amd64, certsDir });
      try {
        await withDir.uploadBlob(`${registry.host}/tls/app`, im.layers[0]!, im.layers[0]!.data);
        assert.equal(await withDir.blobExists(`${registry.host}/tls/app`, im.layers[0]!.digest), true);
      } finally {
        await withDir.close();
      }
      const withCa = new RegistryClient({ platform: amd64, extraCa: registry.caPem! });
      try {
        assert.equal(await withCa.blobExists(`${registry.host}/tls/app`, im.layers[0]!.digest), true);
      } finally {
        await withCa.close();
      }
      const without = new RegistryClient({ platform: amd64 });
      try {
        await assert.rejects(without.blobExists(`${registry.host}/tls/app`, im.layers[0]!.digest),
          (e: unknown) => e instanceof RegistryError && e.code === 'TLS' && !e.retryable);
      } finally {
        await without.close();
      }
    });
  });
});
