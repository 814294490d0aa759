import assert from 'node:assert/strict';
import { demuxAll, frame, humanSize, progressRenderer, renderProgress, StdcopyDemuxer, type JsonMessage } from '../src/api/index.js';

describe('api: stream framing and progress JSON', () => {
  it('frames stdcopy with an 8-byte header and demuxes across chunk boundaries', () => {
    const f = frame(1, Buffer.from('hello'));
    assert.deepEqual([...f.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 5]);
    const all = Buffer.concat([f, frame(2, Buffer.from('err!')), frame(1, Buffer.alloc(300, 0x61))]);
    const d = new StdcopyDemuxer();
    const got = [];
    for (let i = 0; i < all.length; i += 7) got.push(...d.push(all.subarray(i, i + 7)));
    assert.deepEqual(got.map((x) => [x.stream, x.data.length]), [[1, 5], [2, 4], [1, 300]]);
    assert.equal(d.pending, 0);
    assert.deepEqual(demuxAll(all).stderr, 'err!');
  });

  it('formats sizes like go-units HumanSize', () => {
    assert.equal(humanSize(1234), '1.234kB');
    assert.equal(humanSize(3623807), '3.624MB');
    assert.equal(humanSize(512), '512B');
    assert.equal(humanSize(1000), '1kB');
  });

  it("renders moby's progress bar", () => {
    assert.equal(renderProgress({ current: 1234, total: 3623807 }), `[>${' '.repeat(50)}]  1.234kB/3.624MB`);
    assert.equal(renderProgress({ current: 3623807, total: 3623807 }), `[${'='.repeat(50)}>]  3.624MB/3.624MB`);
    assert.equal(renderProgress({ current: 0, total: 0 }), '');
    assert.equal(renderProgress({ current: 2048 }), ' 2.048kB');
  });

  it('puts progressDetail on every per-layer status and none on id-less statuses', () => {
    const msgs: JsonMessage[] = [];
    const p = progressRenderer((m) => msgs.push(m));
    p.status('Pulling from library/alpine', 'latest');
    p.progress('a0d0a0d46f8b', 'Pulling fs layer');
    p.progress('a0d0a0d46f8b', 'Downloading', 1234, 3623807);
    p.progress('a0d0a0d46f8b', 'Pull complete');
    p.status('Digest: sha256:abc');
    p.aux({ Tag: 'v1', Digest: 'sha256:abc', Size: 528 });
    assert.deepEqual(msgs[0], { status: 'Pulling from library/alpine', id: 'latest' });
    assert.deepEqual(msgs[1], { status: 'Pulling fs layer', progressDetail: {}, id: 'a0d0a0d46f8b' });
    assert.equal(JSON.stringify(msgs[2]), `{"status":"Downloading","progressDetail":{"current":1234,"total":3623807},"progress":"[>${' '.repeat(50)}]  1.234kB/3.624MB","id":"a0d0a0d46f8b"}`);
    assert.deepEqual(msgs[3], { status: 'Pull complete', progressDetail: {}, id: 'a0d0a0d46f8b' });
    assert.deepEqual(msgs[4], { status: 'Digest: sha256:abc' });
    assert.deepEqual(msgs[5], { progressDetail: {}, aux: { Tag: 'v1', Digest: 'sha256:abc', Size: 528 } });
  });
});
