// tdock-runtime, driven as runc is: verbs, main flags, exit codes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtures } from '@tdock/testkit';
import * as sys from '@tdock/runtime/sys';
import { cgroupDirs, leftovers } from './support/runtime-env.js';

const BIN = fileURLToPath(new URL('../../bin/tdock-runtime.js', import.meta.url));

describe('tdock-runtime', function () {
  this.timeout(60000);
  let dir: string;
  let sock: string;
  const parent = `tdock-test-cli-${process.pid}`;
  const cli = (...args: string[]): { code: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [BIN, '--root', path.join(dir, 'state'), '--socket-dir', sock, '--cgroup-parent', parent, ...args], { cwd: dir, encoding: 'utf8', input: '' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const writeConfig = (args: string[]): void => {
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    c.process.terminal = false;
    c.process.args = args;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  };

  before(async () => {
    const busybox = (await fixtures()).busybox.rootfs;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-cli-'));
    sock = fs.mkdtempSync('/tmp/tdk-c');
    assert.equal(cli('spec').code, 0);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    c.root = { path: busybox, readonly: true };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  });
  after(() => {
    for (const id of fs.existsSync(path.join(dir, 'state')) ? fs.readdirSync(path.join(dir, 'state')) : []) cli('delete', '-f', id);
    for (const d of cgroupDirs(parent)) fs.rmdirSync(d);
    assert.deepEqual(leftovers(dir), { mounts: [], processes: [] });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(sock, { recursive: true, force: true });
  });

  it('run in the foreground returns the exit code and output', () => {
    writeConfig(['sh', '-c', 'echo out; echo err >&2; exit 4']);
    const r = cli('run', 'fg1');
    assert.equal(r.code, 4);
    assert.equal(r.out, 'out\n');
    assert.equal(r.err, 'err\n');
    assert.equal(cli('state', 'fg1').code, 1, 'deleted after run');
  });

  it('sends the pty master to --console-socket and keeps no copy', async () => {
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    c.process.terminal = true;
    c.process.args = ['sh', '-c', 'echo tty-ok; read x; echo got-$x'];
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
    const sockPath = path.join(sock, 'console.sock');
    const listener = sys.listenUnix(sockPath);
    try {
      const child = spawn(process.execPath, [BIN, '--root', path.join(dir, 'state'), '--socket-dir', sock, '--cgroup-parent', parent, 'create', '--console-socket', sockPath, 'tty1'], { cwd: dir, stdio: 'ignore' });
      const exited = once(child, 'exit');
      const { fd } = sys.acceptFd(listener);
      assert.deepEqual(await exited, [0, null]);
      try {
        const shimPid = (JSON.parse(fs.readFileSync(path.join(dir, 'state', 'tty1', 'state.json'), 'utf8')) as { shimPid: number }).shimPid;
        const links = fs.readdirSync(`/proc/${shimPid}/fd`).map((f) => fs.readlinkSync(`/proc/${shimPid}/fd/${f}`));
        assert.ok(!links.some((l) => /ptmx/.test(l)), `the shim holds no pty master: ${links.join(' ')}`);
        assert.equal(cli('start', 'tty1').code, 0);
        let out = '';
        const buf = Buffer.alloc(4096);
        while (!out.includes('tty-ok')) out += buf.subarray(0, fs.readSync(fd, buf)).toString();
        fs.writeSync(fd, 'yes\n');
        while (!out.includes('got-yes')) out += buf.subarray(0, fs.readSync(fd, buf)).toString();
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(cli('delete', '-f', 'tty1').code, 0);
    } finally {
      sys.close(listener);
    }
  });

  it('create, state, start, exec, kill, delete', () => {
    writeConfig(['sh', '-c', 'trap "exit 9" TERM; while :; do sleep 0.1; done']);
    assert.equal(cli('create', '--pid-file', path.join(dir, 'pid'), 'c1').code, 0);
    assert.equal(JSON.parse(cli('state', 'c1').out).status, 'created');
    assert.equal(JSON.parse(cli('state', 'c1').out).pid, Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8')));
    assert.equal(cli('start', 'c1').code, 0);
    assert.equal(JSON.parse(cli('state', 'c1').out).status, 'running');
    const e = cli('exec', 'c1', 'sh', '-c', 'echo in; exit 3');
    assert.equal(e.code, 3);
    assert.equal(e.out, 'in\n');
    assert.match(cli('list').out, /^c1 \d+ running /m);
    assert.equal(cli('delete', 'c1').code, 1, 'a running container is not deleted without -f');
    assert.equal(cli('kill', 'c1', 'TERM').code, 0);
    for (let i = 0; i < 50 && JSON.parse(cli('state', 'c1').out).status !== 'stopped'; i++) spawnSync('sleep', ['0.1']);
    assert.equal(JSON.parse(cli('state', 'c1').out).status, 'stopped');
    assert.equal(cli('delete', 'c1').code, 0);
    assert.match(cli('state', 'c1').err, /does not exist/);
  });
});
