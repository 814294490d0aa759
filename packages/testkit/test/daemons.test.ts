import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  httpRequest, KitSkipError, startDockerd, startTdockd, tempRoots, waitForPing, type DaemonHandle, type TempRoots,
} from '../src/index.js';

// A stand-in for tdockd that only serves /_ping: the readiness helper is what is under test here.
const FAKE_TDOCKD = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const argv = process.argv.slice(2);
writeFileSync(process.env.FAKE_ARGS_FILE, JSON.stringify(argv));
if (process.env.FAKE_FAIL) { process.stderr.write('boom: cannot start\\n'); process.exit(3); }
const sock = argv[argv.indexOf('-H') + 1].slice('unix://'.length);
setTimeout(() => createServer((req, res) => { res.writeHead(req.url === '/_ping' ? 200 : 404); res.end('OK'); }).listen(sock), 200);
process.on('SIGTERM', () => process.exit(0));
`;

describe('testkit daemons', function () {
  this.timeout(120_000);
  let r: TempRoots;
  let d: DaemonHandle | undefined;
  beforeEach(async () => { r = await tempRoots(); });
  afterEach(async () => { await d?.stop(); d = undefined; await r.cleanup(); });

  it('waitForPing waits for 200 on a unix socket and times out otherwise', async () => {
    const srv = createServer((req, res) => { res.writeHead(req.url === '/_ping' ? 200 : 404); res.end('OK'); });
    setTimeout(() => srv.listen(r.socket), 300);
    try {
      await waitForPing(r.socket, { timeoutMs: 5000 });
    } finally {
      srv.close();
    }
    await assert.rejects(waitForPing(join(r.dir, 'none.sock'), { timeoutMs: 300 }), /did not become ready/);
  });

  it('startTdockd passes -H, --data-root and extra args, waits for /_ping, stop() ends it', async () => {
    const script = join(r.dir, 'fake-tdockd.mjs');
    const argsFile = join(r.dir, 'args.json');
    writeFileSync(script, FAKE_TDOCKD);
    d = await startTdockd({
      dataRoot: r.dataRoot, socket: r.socket, tdockdPath: script, extraArgs: ['--cgroup-parent', r.cgroupParent],
      env: { ...process.env, FAKE_ARGS_FILE: argsFile },
    });
    assert.equal(d.dockerHost, `unix://${r.socket}`);
    const argv = JSON.parse(readFileSync(argsFile, 'utf8')) as string[];
    assert.deepEqual(argv.slice(0, 4), ['-H', `unix://${r.socket}`, '--data-root', r.dataRoot]);
    assert.deepEqual(argv.slice(-2), ['--cgroup-parent', r.cgroupParent]);
    const pid = d.pid;
    await d.stop();
    d = undefined;
    assert.throws(() => process.kill(pid, 0));
  });

  it('startTdockd reports the daemon output when it dies before answering', async () => {
    const script = join(r.dir, 'fake-tdockd.mjs');
    writeFileSync(script, FAKE_TDOCKD);
    await assert.rejects(startTdockd({
      dataRoot: r.dataRoot, socket: r.socket, tdockdPath: script, timeoutMs: 10_000,
      env: { ...process.env, FAKE_ARGS_FILE: join(r.dir, 'a.json'), FAKE_FAIL: '1' },
    }), /tdockd exited \(3\)[\s\S]*boom: cannot start/);
  });

  it('startDockerd runs Debian dockerd on its own roots and removes them on stop', async function () {
    let dockerd;
    try {
      dockerd = await startDockerd();
    } catch (e) {
      if (e instanceof KitSkipError) this.skip();
      throw e;
    }
    d = dockerd;
    assert.match(dockerd.dockerHost, /^unix:\/\/\/tmp\/tdd-/);
    const res = await httpRequest('http://localhost/version', { socketPath: dockerd.socket });
    assert.equal(res.status, 200);
    assert.match((JSON.parse(res.body.toString()) as { Version: string }).Version, /^\d+\./);
    const info = JSON.parse((await httpRequest('http://localhost/info', { socketPath: dockerd.socket })).body.toString()) as { DockerRootDir: string };
    assert.equal(info.DockerRootDir, dockerd.dataRoot);
    await dockerd.stop();
    d = undefined;
    assert.equal(existsSync(dockerd.dataRoot), false);
    assert.equal(existsSync(dockerd.execRoot), false);
  });
});
