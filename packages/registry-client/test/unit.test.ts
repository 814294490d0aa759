import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DOCKER_HUB_AUTH_KEY, Limiter, RegistryError, Verifier, dockerConfigCredentials, errorFromResponse, hostPlatform, isLoopbackHost,
  parsePlatform, registryHost, retryAfterMs, sanitize, selectManifest,
} from '../src/index.js';
import { sha256 } from './helpers.js';

describe('registry-client units', () => {
  describe('platform', () => {
    const host = hostPlatform('linux', 'x64');
    it('maps Node\'s platform names', () => {
      assert.deepEqual(host, { os: 'linux', architecture: 'amd64' });
      assert.deepEqual(hostPlatform('linux', 'arm64'), { os: 'linux', architecture: 'arm64' });
      assert.deepEqual(hostPlatform('linux', 'arm', '6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    });
    it('parses os/arch[/variant] with aliases', () => {
      assert.deepEqual(parsePlatform('linux/arm64/v8', host), { os: 'linux', architecture: 'arm64' });
      assert.deepEqual(parsePlatform('linux/x86_64', host), { os: 'linux', architecture: 'amd64' });
      assert.deepEqual(parsePlatform('linux/arm', host), { os: 'linux', architecture: 'arm', variant: 'v7' });
      assert.deepEqual(parsePlatform('arm64', host), { os: 'linux', architecture: 'arm64' });
      assert.throws(() => parsePlatform('linux//x', host), { kind: 'invalid-argument' });
    });
    it('selects exact matches first, compatible arm variants next, never attestations', () => {
      const d = (os: string, architecture: string, variant?: string): { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string; variant?: string } } => ({
        mediaType: 'm', digest: `${os}/${architecture}/${variant ?? ''}`, size: 1, platform: { os, architecture, ...(variant ? { variant } : {}) },
      });
      const entries = [d('unknown', 'unknown'), d('linux', 'arm', 'v6'), d('linux', 'arm', 'v7'), d('linux', 'arm64', 'v8'), d('linux', 'amd64')];
      assert.equal(selectManifest(entries, { os: 'linux', architecture: 'arm64' }).digest, 'linux/arm64/v8');
      assert.equal(selectManifest(entries, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, 'linux/arm/v7');
      assert.equal(selectManifest(entries.filter((e) => e.digest !== 'linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, 'linux/arm/v6');
      assert.throws(() => selectManifest(entries, { os: 'linux', architecture: 'arm', variant: 'v5' }), { code: 'NO_MATCHING_PLATFORM' });
      assert.throws(() => selectManifest([d('unknown', 'unknown')], { os: 'unknown', architecture: 'unknown' }), { code: 'NO_MATCHING_PLATFORM' });
    });
  });

  describe('errors', () => {
    it('reads distribution error bodies and falls back on the status', () => {
      const e = errorFromResponse(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}', 'manifest for a:x');
      assert.equal(e.code, 'MANIFEST_UNKNOWN');
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'manifest for a:x: manifest unknown: manifest unknown');
      assert.equal(errorFromResponse(403, '', 'x').code, 'DENIED');
      assert.equal(errorFromResponse(403, '', 'x').kind, 'forbidden');
      assert.equal(errorFromResponse(500, 'boom', 'x').retryable, true);
      assert.equal(errorFromResponse(404, '', 'x', 'BLOB_UNKNOWN').code, 'BLOB_UNKNOWN');
      assert.equal(new RegistryError('UNAUTHORIZED', 'm').retryable, false);
    });
    it('never lets credentials into messages', () => {
      const text = sanitize('Authorization: Bearer abc.def.ghi token=xyz123 password: "hunter2" https://u:p@host/x');
      for (const secret of ['abc.def.ghi', 'xyz123', 'hunter2', 'u:p@']) assert.ok(!text.includes(secret), text);
    });
    it('parses Retry-After', () => {
      assert.equal(retryAfterMs('3'), 3000);
      assert.equal(retryAfterMs(undefined), undefined);
      assert.ok((retryAfterMs(new Date(Date.now() + 60_000).toUTCString()) ?? 0) > 50_000);
    });
  });

  it('normalises login server addresses', () => {
    assert.equal(registryHost('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryHost(''), 'docker.io');
    assert.equal(registryHost('localhost:5000'), 'localhost:5000');
    assert.equal(registryHost('https://Reg.Example.com/v2/'), 'reg.example.com');
  });

  it('treats loopback hosts as insecure, as Docker does', () => {
    for (const h of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'localhost']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['example.com', '10.0.0.1:5000', 'docker.io', '[fe80::1]:5000']) assert.equal(isLoopbackHost(h), false, h);
  });

  it('verifies size and digest as bytes pass', () => {
    const data = Buffer.from('hello');
    const ok = new Verifier(sha256(data), 5);
    ok.update(data);
    ok.finish();
    const long = new Verifier(sha256(data), 4);
    assert.throws(() => long.update(data), { code: 'SIZE_MISMATCH' });
    const bad = new Verifier(sha256('other'), 5);
    bad.update(data);
    assert.throws(() => bad.finish(), { code: 'DIGEST_MISMATCH' });
  });

  it('limits concurrency and lets aborted waiters go', async () => {
    const limiter = new Limiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    let got = false;
    const c = limiter.acquire().then((r) => {
      got = true;
      return r;
    });
    const controller = new AbortController();
    const d = limiter.acquire(controller.signal);
    controller.abort();
    await assert.rejects(d);
    await new Promise((r) => setImmediate(r));
    assert.equal(got, false);
    a();
    (await c)();
    b();
    b();
    const all = await Promise.all([limiter.acquire(), limiter.acquire()]);
    all.forEach((r) => r());
  });

  describe('docker config credentials', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tdk-rc-cfg-'));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it('reads auths, identity tokens, credsStore and credHelpers', async () => {
      const path = join(dir, 'config.json');
      await writeFile(path, JSON.stringify({
        auths: {
          [DOCKER_HUB_AUTH_KEY]: { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
          'https://reg.example.com/v1/': { auth: Buffer.from('u:p').toString('base64') },
          'tok.example.com': { identitytoken: 'refresh-me' },
        },
        credsStore: 'store',
        credHelpers: { 'helped.example.com': 'special' },
      }));
      const calls: string[] = [];
      const provider = dockerConfigCredentials({
        configPath: path,
        runHelper: async (helper, server) => {
          calls.push(`${helper}:${server}`);
          if (helper === 'special') return JSON.stringify({ Username: '<token>', Secret: 'idtoken' });
          throw new Error('credentials not found in native keychain');
        },
      });
      assert.deepEqual(await provider('docker.io'), { username: 'hubuser', password: 'hub:pass' });
      assert.deepEqual(await provider('reg.example.com'), { username: 'u', password: 'p' });
      assert.deepEqual(await provider('tok.example.com'), { identityToken: 'refresh-me' });
      assert.deepEqual(await provider('helped.example.com'), { identityToken: 'idtoken' });
      assert.equal(await provider('none.example.com'), undefined);
      assert.deepEqual(calls, [
        `store:${DOCKER_HUB_AUTH_KEY}`, 'store:reg.example.com', 'store:tok.example.com', 'special:helped.example.com', 'store:none.example.com',
      ]);
      assert.equal(await dockerConfigCredentials({ configPath: join(dir, 'missing.json') })('docker.io'), undefined);
    });

    it('runs a real docker-credential-<name> program with the server on stdin', async () => {
      const helper = join(dir, 'docker-credential-tdktest');
      await writeFile(helper, [
        '#!/bin/sh',
        '[ "$1" = get ] || exit 2',
        'read server',
        'if [ "$server" = reg.example.com ]; then echo \'{"ServerURL":"reg.example.com","Username":"ann","Secret":"s3cret"}\'; exit 0; fi',
        'echo "credentials not found in native keychain"; exit 1',
      ].join('\n') + '\n');
      await chmod(helper, 0o755);
      const path = join(dir, 'store.json');
      await writeFile(path, JSON.stringify({ credsStore: 'tdktest' }));
      const savedPath = process.env.PATH;
      process.env.PATH = `${dir}:${savedPath ?? ''}`;
      try {
        const provider = dockerConfigCredentials({ configPath: path });
        assert.deepEqual(await provider('reg.example.com'), { username: 'ann', password: 's3cret' });
        assert.equal(await provider('other.example.com'), undefined);
      } finally {
        process.env.PATH = savedPath;
      }
    });
  });
});
