import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { TdockError } from '@tdock/core';
import { makeTestCertificates } from '@tdock/testkit';
import { PassThrough } from 'node:stream';
import { main, parseDaemonArgs } from '../src/main.js';
import { listenOn, parseHost } from '../src/api/serve.js';
import { readHostFacts } from '../src/api/host-system.js';
import { buildApp, renderInfo, renderVersion } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

describe('tdockd: flags, config file, hosts, host facts', () => {
  const none = (): undefined => undefined;

  it('parses repeatable -H, --flag=value and defaults', () => {
    const c = parseDaemonArgs(['-H', 'unix:///tmp/a.sock', '--host=tcp://127.0.0.1:2376', '--data-root', 'rel/root', '-l', 'debug', '--tlsverify'], none);
    assert.deepEqual(c.hosts, ['unix:///tmp/a.sock', 'tcp://127.0.0.1:2376']);
    assert.equal(c.dataRoot, path.resolve('rel/root'));
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.tlsverify, true);
    const d = parseDaemonArgs([], none);
    assert.deepEqual(d.hosts, ['unix:///var/run/tdock.sock']);
    assert.equal(d.dataRoot, '/var/lib/tdock');
    assert.equal(d.pidfile, '/var/run/tdockd.pid');
  });

  it('reads daemon.json and refuses a directive given twice, an unknown flag or a missing explicit file', () => {
    const file = (p: string): string | undefined => (p === '/c.json' ? '{"data-root":"/srv/t","hosts":["unix:///x.sock"],"unknown-key":1}' : undefined);
    const c = parseDaemonArgs(['--config-file', '/c.json'], file);
    assert.equal(c.dataRoot, '/srv/t');
    assert.deepEqual(c.hosts, ['unix:///x.sock']);
    assert.throws(() => parseDaemonArgs(['--config-file', '/c.json', '--data-root', '/y'], file), /both as a flag and in the configuration file: data-root/);
    assert.throws(() => parseDaemonArgs(['--bogus'], none), /unknown flag: --bogus/);
    assert.throws(() => parseDaemonArgs(['--config-file', '/missing.json'], none), /no such file/);
  });

  it('prints usage for --help, the version for -v, and exits 125 on a bad flag', async () => {
    const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (d: Buffer) => (out += d.toString()));
      stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await main(argv, { env: {}, stdout, stderr });
      return { code, out, err };
    };
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage:\s+tdockd \[OPTIONS\]/);
    assert.match(help.out, /--tlsverify/);
    assert.match((await run(['-v'])).out, /^tdockd version /);
    const bad = await run(['--nope']);
    assert.equal(bad.code, 125);
    assert.match(bad.err, /unknown flag: --nope/);
  });

  it('parses -H addresses', () => {
    assert.deepEqual(parseHost('unix:///run/t.sock'), { kind: 'unix', path: '/run/t.sock' });
    assert.deepEqual(parseHost('tcp://0.0.0.0:2375'), { kind: 'tcp', host: '0.0.0.0', port: 2375 });
    assert.deepEqual(parseHost('tcp://[::1]:1'), { kind: 'tcp', host: '::1', port: 1 });
    assert.throws(() => parseHost('fd://'), (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument');
  });

  it('reads host facts from injected roots (cgroup v1 and v2 fixtures)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-facts-'));
    try {
      fs.mkdirSync(path.join(dir, 'v1/memory'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'v2'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'v2/cgroup.controllers'), 'cpu memory pids\n');
      fs.writeFileSync(path.join(dir, 'os-release'), 'PRETTY_NAME="Test OS 1"\nVERSION_ID="1"\n');
      const counts = (): { containers: { total: number; running: number; paused: number; stopped: number }; images: number } => ({ containers: { total: 2, running: 1, paused: 0, stopped: 1 }, images: 5 });
      const v1 = readHostFacts({ dataRoot: path.join(dir, 'root'), cgroupRoot: path.join(dir, 'v1'), osRelease: path.join(dir, 'os-release') }, counts);
      assert.equal(v1.cgroupVersion, '1');
      assert.equal(v1.features?.MemoryLimit, true);
      assert.equal(v1.features?.PidsLimit, false);
      assert.equal(v1.operatingSystem, 'Test OS 1');
      assert.equal(v1.images, 5);
      const v2 = readHostFacts({ dataRoot: path.join(dir, 'root'), cgroupRoot: path.join(dir, 'v2'), osRelease: path.join(dir, 'os-release') }, counts);
      assert.equal(v2.cgroupVersion, '2');
      assert.equal(v2.id, v1.id, 'the engine ID persists in the data root');
      assert.ok(v2.securityOptions.includes('name=cgroupns'));
      const info = renderInfo(v2, '1.0', 0);
      assert.equal(info.SystemTime, '1970-01-01T00:00:00Z');
      assert.equal(info.CgroupVersion, '2');
      assert.equal(renderVersion({ ...v2, architecture: 'x86_64' }, '1.0').Arch, 'amd64');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tdockd: listeners', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-lst-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function get(opts: https.RequestOptions | http.RequestOptions, tlsOn: boolean): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const req = (tlsOn ? https : http).request({ ...opts, path: '/_ping' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves unix sockets with mode 0660, replaces a stale socket and refuses a live one', async () => {
    const sock = path.join(dir, 'a.sock');
    fs.writeFileSync(sock, '');
    const app = buildApp(fakeServices());
    const l = await listenOn(app, [parseHost(`unix://${sock}`)], undefined);
    try {
      assert.equal(fs.statSync(sock).mode & 0o777, 0o660);
      assert.equal(await get({ socketPath: sock }, false), 200);
      await assert.rejects(listenOn(buildApp(fakeServices()), [parseHost(`unix://${sock}`)], undefined), /in use by another daemon/);
    } finally {
      await l.close(100);
    }
    assert.equal(fs.existsSync(sock), false);
  });

  it('serves TCP with TLS and, with verification on, refuses clients without a certificate', async () => {
    const certs = await makeTestCertificates(dir);
    const plain = await listenOn(buildApp(fakeServices()), [parseHost('tcp://127.0.0.1:0')], { verify: false, cert: certs.certFile, key: certs.keyFile });
    try {
      const port = (plain.addresses()[0] as { port: number }).port;
      assert.equal(await get({ host: '127.0.0.1', port, ca: certs.caPem }, true), 200);
    } finally {
      await plain.close(100);
    }
    const verified = await listenOn(buildApp(fakeServices()), [parseHost('tcp://127.0.0.1:0')], { verify: true, ca: certs.caFile, cert: certs.certFile, key: certs.keyFile });
    try {
      const port = (verified.addresses()[0] as { port: number }).port;
      await assert.rejects(get({ host: '127.0.0.1', port, ca: certs.caPem }, true));
    } finally {
      await verified.close(100);
    }
  });
});
