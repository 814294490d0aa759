import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates, run, startRegistry, type RegistryHandle } from '@tdock/testkit';
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

    it('checks a login with good and bad passwords', async () => {
      const client = new RegistryClient({ platform: amd64 });
      try {
        await client.login(`http://${registry.host}/`, { username: registry.username!, password: registry.password! });
        await assert.rejects(client.login(registry.host, { username: registry.username!, password: 'bad-pw' }), { code: 'UNAUTHORIZED' });
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

  // distribution 2.8 in the kit does not ask for client certificates, so a small HTTPS server that
  // requires one stands in for a registry configured with `http.tls.clientcas`.
  it('presents the client certificate from certs.d', async () => {
    const certDir = join(dir, 'mtls');
    await mkdir(certDir, { recursive: true });
    const certs = await makeTestCertificates(certDir);
    const ext = join(certDir, 'client.ext');
    await writeFile(ext, 'extendedKeyUsage=clientAuth\n');
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run('openssl', ['req', ...ec, '-keyout', join(certDir, 'client.key'), '-out', join(certDir, 'client.csr'), '-subj', '/CN=tdock-client']);
    await run('openssl', ['x509', '-req', '-in', join(certDir, 'client.csr'), '-CA', certs.caFile, '-CAkey', join(certDir, 'ca.key'),
      '-set_serial', '7', '-days', '1', '-out', join(certDir, 'client.cert'), '-extfile', ext]);
    const server = createServer({
      key: await readFile(certs.keyFile), cert: await readFile(certs.certFile), ca: certs.caPem, requestCert: true, rejectUnauthorized: true,
    }, (req, res) => {
      if (req.url === '/v2/') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const withCert = join(dir, 'certs-mtls');
    const withoutCert = join(dir, 'certs-ca-only');
    for (const d of [withCert, withoutCert]) {
      await mkdir(join(d, host), { recursive: true });
      await writeFile(join(d, host, 'ca.crt'), certs.caPem);
    }
    await writeFile(join(withCert, host, 'client.cert'), await readFile(join(certDir, 'client.cert')));
    await writeFile(join(withCert, host, 'client.key'), await readFile(join(certDir, 'client.key')));
    const good = new RegistryClient({ platform: amd64, certsDir: withCert });
    const bad = new RegistryClient({ platform: amd64, certsDir: withoutCert });
    try {
      await assert.rejects(good.resolve(`${host}/x:v1`), { code: 'MANIFEST_UNKNOWN' });
      await assert.rejects(bad.resolve(`${host}/x:v1`), (e: unknown) => e instanceof RegistryError && e.code === 'CONNECTION');
    } finally {
      await good.close();
      await bad.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
