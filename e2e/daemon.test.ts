// tdockd as a black box: the built daemon on a temporary socket, the real docker CLI against it.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TDOCKD = path.join(ROOT, 'packages/engine/bin/tdockd.js');
const DOCKER = '/usr/local/bin/docker';

function canConnect(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function docker(host: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(DOCKER, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: `unix://${host}`, DOCKER_CONFIG: path.join(path.dirname(host), 'docker-config') } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('e2e: tdockd with the docker CLI', function () {
  let dir: string;
  let sock: string;
  let daemon: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let log = '';

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    dir = fs.mkdtempSync('/tmp/tdk-e2e-');
    sock = path.join(dir, 'd.sock');
    fs.writeFileSync(path.join(dir, 'daemon.json'), '{"log-level":"warn"}');
    daemon = spawn(process.execPath, [TDOCKD, '-H', `unix://${sock}`, '--data-root', path.join(dir, 'root'), '--pidfile', path.join(dir, 'tdockd.pid'), '--config-file', path.join(dir, 'daemon.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    daemon.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const d = daemon;
    exited = new Promise((resolve) => d.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 300 && !(await canConnect(sock)); i++) {
      if (d.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await canConnect(sock), `tdockd did not listen:\n${log}`);
  });

  after(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      const t = setTimeout(() => daemon?.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0660 and writes the pid file', () => {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o660);
    assert.equal(fs.readFileSync(path.join(dir, 'tdockd.pid'), 'utf8').trim(), String(daemon?.pid));
  });

  it('docker version prints the server part', async () => {
    const r = await docker(sock, ['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server: tdock/);
    assert.match(r.stdout, /API version:\s+1\.47 \(minimum version 1\.24\)/);
    assert.match(r.stdout, /OS\/Arch:\s+linux\//);
  });

  it('docker info prints the server part with real host figures', async () => {
    const r = await docker(sock, ['info']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server:/);
    assert.match(r.stdout, /Swarm: inactive/);
    assert.match(r.stdout, new RegExp(`Docker Root Dir: ${path.join(dir, 'root').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stdout, /CPUs: [1-9]/);
    assert.match(r.stdout, /Operating System: /);
  });

  it('docker events with --until in the past returns, docker system df prints', async () => {
    const ev = await docker(sock, ['events', '--since', '0', '--until', '1']);
    assert.equal(ev.code, 0, ev.stderr);
    const df = await docker(sock, ['system', 'df']);
    assert.equal(df.code, 0, df.stderr);
    assert.match(df.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
  });

  it('answers endpoints of features not built (swarm) with a clear error, and stays up', async () => {
    const r = await docker(sock, ['swarm', 'init']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: /);
    assert.equal((await docker(sock, ['version'])).code, 0);
  });

  it('shuts down on SIGTERM, removing the socket and the pid file', async () => {
    daemon?.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(fs.existsSync(sock), false);
    assert.equal(fs.existsSync(path.join(dir, 'tdockd.pid')), false);
  });
});
