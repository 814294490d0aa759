import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressRenderer, StreamError, followProgress, renderBar } from '../src/progress.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('cli/progress (docker jsonmessage rendering)', () => {
  it('draws docker bars', () => {
    assert.equal(renderBar(0, 100), `[>${' '.repeat(49)}]       0B/100B`);
    assert.match(renderBar(50, 100), /^\[={25}>/);
    assert.match(renderBar(100, 100), /^\[={50}\]/);
  });

  it('prints plain lines without byte updates when not a terminal', async () => {
    const out = sink();
    const input = new PassThrough();
    input.end(['{"status":"Pulling from kit/busybox","id":"latest"}', '{"status":"Downloading","progressDetail":{"current":1,"total":9},"id":"abc"}', '{"status":"Pull complete","progressDetail":{},"id":"abc"}', '{"status":"Digest: sha256:00"}', ''].join('\r\n'));
    await followProgress(input, new ProgressRenderer(out.stream, false));
    assert.equal(out.text(), 'latest: Pulling from kit/busybox\nabc: Pull complete\nDigest: sha256:00\n');
  });

  it('redraws a layer line in place on a terminal', () => {
    const out = sink();
    const r = new ProgressRenderer(out.stream, true);
    r.write({ id: 'a', status: 'Waiting', progressDetail: {} });
    r.write({ id: 'b', status: 'Waiting', progressDetail: {} });
    r.write({ id: 'a', status: 'Pull complete', progressDetail: {} });
    assert.equal(out.text(), 'a: Waiting\nb: Waiting\n\x1b[2A\r\x1b[2Ka: Pull complete\r\x1b[2B');
  });

  it('turns errorDetail into a StreamError with its code, and collects aux', async () => {
    const r = new ProgressRenderer(sink().stream, false);
    r.write({ aux: { ID: 'sha256:1' } });
    assert.deepEqual(r.aux, [{ ID: 'sha256:1' }]);
    assert.throws(() => r.write({ errorDetail: { code: 3, message: 'failed' }, error: 'failed' }), (e: unknown) => e instanceof StreamError && e.code === 3 && e.message === 'failed');
  });
});
