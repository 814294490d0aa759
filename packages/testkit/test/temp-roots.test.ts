import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SOCKET_PATH, mountsUnder, pickSubnetPool, tempRoots, waitExit, type TempRoots } from '../src/index.js';

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

describe('testkit tempRoots', function () {
  this.timeout(30_000);
  let r: TempRoots | undefined;
  afterEach(async () => { await r?.cleanup(); r = undefined; });

  it('gives short paths and injected names that fit their limits', async () => {
    r = await tempRoots();
    assert.ok(Buffer.byteLength(r.socket) <= MAX_SOCKET_PATH);
    assert.ok(existsSync(r.dataRoot) && existsSync(r.execRoot));
    assert.match(r.cgroupParent, /^tdock-test-[a-z0-9]{4}$/);
    assert.match(r.linkPrefix, /^tdk[a-z0-9]{4}$/);
    assert.ok(r.bridgeName.length <= 15 && r.bridgeName.startsWith(r.linkPrefix));
    assert.match(r.nftTable, /^tdock_test_[a-z0-9]{4}$/);
    assert.match(r.subnet, /^10\.222\.\d+\.0\/24$/);
    assert.equal(r.gateway, r.subnet.replace('.0/24', '.1'));
    const other = await tempRoots();
    try {
      assert.notEqual(other.dir, r.dir);
      assert.notEqual(other.cgroupParent, r.cgroupParent);
    } finally {
      await other.cleanup();
    }
  });

  it('picks a subnet pool that avoids host routes', () => {
    const routes: [number, number][] = [];
    for (let k = 0; k < 63; k++) routes.push([(10 << 24 | 222 << 16 | (k * 4) << 8) >>> 0, 22]);
    assert.equal(pickSubnetPool(routes, () => 0), '10.222.252.0/22');
    assert.throws(() => pickSubnetPool([[(10 << 24) >>> 0, 8]]), /no free/);
  });

  it('cleanup removes processes, mounts, cgroups, links, the nft table and the dir', async function () {
    if (process.getuid?.() !== 0) this.skip();
    r = await tempRoots();
    const m1 = join(r.dataRoot, 'm1');
    mkdirSync(m1);
    sh('mount', ['-t', 'tmpfs', 'tmpfs', m1]);
    mkdirSync(join(m1, 'm2'));
    sh('mount', ['-t', 'tmpfs', 'tmpfs', join(m1, 'm2')]);
    assert.equal(mountsUnder(r.dir).length, 2);
    const sleeper = spawn('sleep', ['300'], { cwd: r.dataRoot, stdio: 'ignore' });
    const cgSleeper = spawn('sleep', ['301'], { stdio: 'ignore' });
    // Like a shim: renamed, cwd /, nothing of the root in its arguments, only a socket bound there.
    const listener = spawn(process.execPath, ['-e', `process.title = 'renamed'; require('net').createServer().listen(process.argv[1], () => console.log('up'))`, join(r.dataRoot, 'l.sock')], { cwd: '/', stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => listener.stdout!.once('data', resolve));
    const cgDirs: string[] = [];
    for (const root of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
      if (!existsSync(join(root, 'cgroup.procs'))) continue;
      const d = join(root, r.cgroupParent, 'c1');
      try { mkdirSync(d, { recursive: true }); } catch { continue; }
      cgDirs.push(d);
      writeFileSync(join(d, 'cgroup.procs'), String(cgSleeper.pid));
      break;
    }
    sh('ip', ['link', 'add', r.bridgeName, 'type', 'bridge']);
    sh('ip', ['link', 'add', `${r.linkPrefix}va`, 'type', 'veth', 'peer', 'name', `${r.linkPrefix}vb`]);
    sh('nft', ['add', 'table', 'inet', r.nftTable]);
    const dir = r.dir;
    await r.cleanup();
    assert.equal(await waitExit(sleeper, 5000), true, 'process with cwd in the root killed');
    const listenerGone = await waitExit(listener, 5000);
    if (!listenerGone) listener.kill('SIGKILL');
    assert.equal(listenerGone, true, 'process with a socket bound in the root killed');
    if (cgDirs.length) assert.equal(await waitExit(cgSleeper, 5000), true, 'process in the cgroup killed');
    else cgSleeper.kill('SIGKILL');
    for (const d of cgDirs) assert.equal(existsSync(join(d, '..')), false, `${d} removed`);
    assert.deepEqual(mountsUnder(dir), []);
    assert.equal(existsSync(dir), false);
    assert.doesNotMatch(sh('ip', ['-o', 'link']), new RegExp(r.linkPrefix));
    assert.doesNotMatch(sh('nft', ['list', 'tables']), new RegExp(r.nftTable));
    r = undefined;
  });
});
