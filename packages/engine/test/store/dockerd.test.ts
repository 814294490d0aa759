// Interop with a real dockerd (Debian's docker.io): our `save` loads into dockerd with the same
// image ID, and dockerd's `save` loads into our store. Skipped with its reason where dockerd cannot start.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fixtures, startDockerd, type DockerdHandle, type Fixtures } from '@tdock/testkit';
import { ImageStore } from '../../src/store/image-store.js';
import { sysFsOps } from '../../src/store/sys-ops.js';

function call(socket: string, method: string, path: string, body?: Readable): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

describe('store: interop with dockerd', function () {
  this.timeout(300000);
  let dockerd: DockerdHandle | undefined;
  let fx: Fixtures;
  let tmp: string;
  before(async function () {
    fx = await fixtures();
    try {
      dockerd = await startDockerd();
    } catch (err) {
      // dockerd not installed or cannot start here: skip, with the reason in the output
      process.stderr.write(`skipping dockerd interop: ${(err as Error).message.split('\n')[0]}\n`);
      this.skip();
    }
  });
  after(async () => {
    await dockerd?.stop();
  });
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-dockerd-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('our save loads into dockerd, and dockerd save loads into our store, with the same image ID', async () => {
    const ours = await ImageStore.open({ dataRoot: join(tmp, 'a'), fsOps: sysFsOps() });
    await ours.load(createReadStream(fx.multilayer.saveArchive) as AsyncIterable<Buffer>);
    await ours.tag(fx.multilayer.reference, 'tdock-interop', 'v1');
    const archive = await ours.save(['tdock-interop:v1']);
    const loaded = await call(dockerd!.socket, 'POST', '/images/load?quiet=1', archive);
    assert.equal(loaded.status, 200, loaded.body.toString());
    assert.doesNotMatch(loaded.body.toString(), /errorDetail/);
    const insp = await call(dockerd!.socket, 'GET', '/images/tdock-interop:v1/json');
    assert.equal(insp.status, 200);
    assert.equal((JSON.parse(insp.body.toString()) as { Id: string }).Id, fx.multilayer.configDigest);

    const saved = await call(dockerd!.socket, 'GET', '/images/get?names=tdock-interop:v1');
    assert.equal(saved.status, 200);
    const theirs = await ImageStore.open({ dataRoot: join(tmp, 'b'), fsOps: sysFsOps() });
    const back = await theirs.load(Readable.from([saved.body]));
    assert.deepEqual(back, [{ id: fx.multilayer.configDigest, tags: ['tdock-interop:v1'] }]);
  });
});
