import assert from 'node:assert/strict';
import { demuxAll, frame, humanDuration, humanSize, progressRenderer, renderProgress, stateWord, statusText, StdcopyDemuxer, type JsonMessage, type StatusFacts } from '../src/api/index.js';

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

describe('api: server-rendered status text', () => {
  const base: StatusFacts = { running: false, paused: false, restarting: false, removing: false, dead: false, exitCode: 0, startedAt: 0, finishedAt: 0 };
  it('renders go-units HumanDuration', () => {
    const cases: Array<[number, string]> = [[500, 'Less than a second'], [1000, '1 second'], [59_000, '59 seconds'], [60_000, 'About a minute'], [5 * 60_000, '5 minutes'], [3_600_000, 'About an hour'], [5 * 3_600_000, '5 hours'], [3 * 86_400_000, '3 days'], [20 * 86_400_000, '2 weeks'], [90 * 86_400_000, '3 months'], [800 * 86_400_000, '2 years']];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
  });
  it("renders moby's State.String()", () => {
    const now = 1_000_000_000;
    assert.equal(statusText(base, now), 'Created');
    assert.equal(stateWord(base), 'created');
    assert.equal(statusText({ ...base, running: true, startedAt: now - 5000 }, now), 'Up 5 seconds');
    assert.equal(statusText({ ...base, running: true, startedAt: now - 120_000, health: 'healthy' }, now), 'Up 2 minutes (healthy)');
    assert.equal(statusText({ ...base, running: true, startedAt: now - 3000, health: 'starting' }, now), 'Up 3 seconds (health: starting)');
    assert.equal(statusText({ ...base, running: true, paused: true, startedAt: now - 3000 }, now), 'Up 3 seconds (Paused)');
    assert.equal(stateWord({ ...base, running: true, paused: true }), 'paused');
    const exited = { ...base, exitCode: 137, startedAt: now - 10_000, finishedAt: now - 3000 };
    assert.equal(statusText(exited, now), 'Exited (137) 3 seconds ago');
    assert.equal(stateWord(exited), 'exited');
  });
});
