import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../../src/store/image-store.js';
import { shortId } from '../../src/store/digest.js';
import type { PullProgress } from '../../src/store/pull.js';
import { sysFsOps, sysMountOps } from '../../src/store/sys-ops.js';
import { fakeImage, fileLayer } from './fake-image.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('store: pull', () => {
  const mounts = sysMountOps();
  let tmp: string;
  const mounted: string[] = [];
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-pull-'));
  });
  afterEach(async () => {
    for (const m of mounted.splice(0)) mounts.unmount(m);
    await rm(tmp, { recursive: true, force: true });
  });

  const open = (): Promise<ImageStore> => ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: sysFsOps() });
  const base = fileLayer({ 'etc/os-release': 'base', 'bin/sh': 'sh' });

  it('streams layers into snapshots with Docker progress and records the image atomically', async () => {
    const store = await open();
    const img = fakeImage('example.com/app:1', [base, fileLayer({ 'etc/os-release': 'top', app: 'app' })]);
    const events: PullProgress[] = [];
    const r = await store.pull(img, { onProgress: (e) => events.push(e) });
    assert.equal(r.id, img.manifest.config.digest);
    assert.deepEqual(r.references, ['example.com/app:1', `example.com/app@${img.manifestDigest}`]);
    assert.equal(r.upToDate, false);
    for (const l of img.layers) {
      const seq = events.filter((e) => e.id === shortId(l.digest)).map((e) => e.status);
      assert.deepEqual([...new Set(seq)], ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']);
    }
    assert.equal(store.resolve('example.com/app:1').id, r.id);
    assert.equal(store.resolve(r.id.slice(7, 19)).id, r.id, 'short ID');
    assert.ok(await store.content.has(img.layers[0]!.digest), 'compressed blob kept');
    const m = await store.prepareRootfs('c1', r.id);
    const target = join(tmp, 'merged');
    await mkdir(target);
    mounts.mountOverlay({ lowers: m.lowers, upper: m.upper!, work: m.work! }, target);
    mounted.push(target);
    assert.equal(await readFile(join(target, 'etc/os-release'), 'utf8'), 'top');
    assert.deepEqual((await readdir(target)).sort(), ['app', 'bin', 'etc']);
  });

  it('refuses a layer blob whose bytes do not match its digest, even when its content unpacks to the right diff ID', async () => {
    const store = await open();
    const top = fileLayer({ app: 'app' });
    const probe = fakeImage('t:1', [base, top]);
    const digest = probe.layers[1]!.digest;
    // The same gzip with another mtime in its header: the same size, a valid layer with the expected diff ID, but
    // other bytes than the manifest names.
    const tampered = gzipSync(top, { level: 1 });
    tampered[4] = tampered[4]! ^ 0x01;
    const img = fakeImage('t:1', [base, top], { serve: new Map([[digest, tampered]]) });
    await assert.rejects(store.pull(img), /digest mismatch/);
    assert.equal(await store.content.has(digest), false, 'no blob under that digest');
    assert.throws(() => store.resolve('t:1'), /No such image|not found/i);
  });

  it('stores a shared layer once and does not fetch present layers again', async () => {
    const store = await open();
    const opened: string[] = [];
    const a = fakeImage('a:1', [base, fileLayer({ a: 'a' })], { onOpen: (d) => opened.push(d) });
    const b = fakeImage('b:1', [base, fileLayer({ b: 'b' })], { onOpen: (d) => opened.push(d) });
    await store.pull(a, { concurrency: 1 });
    const events: PullProgress[] = [];
    await store.pull(b, { onProgress: (e) => events.push(e) });
    assert.deepEqual([...opened].sort(), [a.layers[0]!.digest, a.layers[1]!.digest, b.layers[1]!.digest].sort());
    assert.ok(events.some((e) => e.id === shortId(b.layers[0]!.digest) && e.status === 'Already exists'));
    assert.equal((await store.snapshots.list()).length, 3);
    const again = await store.pull(b);
    assert.equal(again.upToDate, true);
    assert.equal(opened.length, 3);
  });

  it('pulls an image whose layers repeat the same blob (empty layers of a build)', async () => {
    const store = await open();
    const empty = fileLayer({});
    const img = fakeImage('repeat:1', [base, empty, fileLayer({ x: 'x' }), empty]);
    const r = await store.pull(img);
    assert.equal(store.metadata.image(r.id)!.layers.length, 4);
    assert.equal((await store.snapshots.list()).length, 4, 'same diff ID, different chain IDs');
    assert.deepEqual(await store.content.ingests(), []);
  });

  it('refuses a layer whose diff ID does not match the config and shows no image', async () => {
    const store = await open();
    const img = fakeImage('bad:1', [base], {}, ['sha256:' + '0'.repeat(64)]);
    await assert.rejects(store.pull(img), /chain ID mismatch|diff ID mismatch/);
    assert.equal(store.tryResolve('bad:1'), undefined);
    assert.deepEqual(await store.snapshots.list(), []);
    assert.deepEqual(await readdir(join(tmp, 'root', 'snapshots', 'tmp')), []);
  });

  it('survives kill -9 mid-pull: no half image, and the next pull reuses committed layers and resumes', async function () {
    this.timeout(90000);
    const dataRoot = join(tmp, 'root');
    const child = spawn(process.execPath, [join(here, 'pull-child.js'), dataRoot], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('STALLED')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
      });
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    }
    await mkdir(join(dataRoot, 'content', 'ingest', 'diff-abc'), { recursive: true });
    const store = await open();
    assert.equal(store.metadata.images().length, 0, 'no half image visible');
    assert.ok(!(await store.content.ingests()).includes('diff-abc'), 'ingests that cannot resume are dropped on open');
    assert.equal(store.tryResolve('kill:1'), undefined);
    const opens: Array<[string, number]> = [];
    const { killImage } = await import('./pull-child.js');
    const img = killImage({ onOpen: (d, o) => opens.push([d, o?.offset ?? 0]) });
    const events: PullProgress[] = [];
    await store.pull(img, { onProgress: (e) => events.push(e) });
    assert.ok(events.some((e) => e.id === shortId(img.layers[0]!.digest) && e.status === 'Already exists'), 'committed layer reused');
    const resumed = opens.find(([d]) => d === img.layers[1]!.digest);
    assert.ok(resumed && resumed[1] > 0, `partial download resumed (offset ${resumed?.[1]})`);
    assert.equal(store.resolve('kill:1').layers.length, 2);
    assert.deepEqual(await store.content.ingests(), []);
  });
});
