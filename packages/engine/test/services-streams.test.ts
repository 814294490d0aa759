// Pure parts of the services: detach keys, the json-file log reader, names, list views.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Attachment, AttachFrame } from '@tdock/runtime';
import { NAME_RE, parseDetachKeys, randomId, randomName, readLogs, timeNs } from '../src/services/index.js';
import { pump } from '../src/services/streams.js';
import { goFileMode } from '../src/services/archive.js';
import { probeCommand } from '../src/services/health.js';
import type { NetworkManager } from '../src/network/manager.js';
import type { NetworkService } from '../src/api/services.js';
import type { ContainerNetworking } from '../src/services/index.js';

/** Compile-time: the network manager fits the seam containers attach through. */
export const networkManagerFits = (m: NetworkManager): ContainerNetworking & NetworkService => m;

describe('engine services: streams, logs, names', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-svc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('parses detach keys like moby term.ToBytes', () => {
    assert.deepEqual(parseDetachKeys(undefined), [0x10, 0x11]);
    assert.deepEqual(parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-_'), [1, 0x78, 0, 0x1f]);
    assert.throws(() => parseDetachKeys('ctrl-ab'), /Invalid escape keys/);
    assert.throws(() => parseDetachKeys('ab'), /Invalid escape keys/);
  });

  it('forwards stdin except the detach sequence, also split across chunks, and ends the session on it', async () => {
    const written: Buffer[] = [];
    let closed = false;
    let pending: ((f: AttachFrame | null) => void) | undefined;
    const att: Attachment = {
      next: () => new Promise((r) => (pending = r)),
      write: (d) => void written.push(Buffer.from(d)),
      closeStdin: () => undefined,
      close: () => {
        closed = true;
        pending?.(null);
      },
    };
    const stdin = new PassThrough();
    const done = pump(att, { stdin, sink: { write: () => undefined, drained: async () => undefined }, signal: new AbortController().signal }, { stdout: true, stderr: true, stdinOnce: false, detachKeys: [0x10, 0x11] });
    stdin.write(Buffer.from([0x61, 0x10]));
    stdin.write(Buffer.from([0x62, 0x10]));
    stdin.write(Buffer.from([0x11, 0x63]));
    assert.equal(await done, 'detach');
    assert.deepEqual(Buffer.concat(written), Buffer.from([0x61, 0x10, 0x62]));
    assert.ok(closed);
  });

  it('reads json-file logs with tail, since and until, and follows until the container stops', async () => {
    const log = path.join(dir, 'c-json.log');
    const rec = (s: string, stream: string, t: string): string => JSON.stringify({ log: s, stream, time: t }) + '\n';
    fs.writeFileSync(log, rec('a\n', 'stdout', '2024-01-01T00:00:01.000000001Z') + rec('b\n', 'stderr', '2024-01-01T00:00:02.5Z') + rec('c\n', 'stdout', '2024-01-01T00:00:03Z'));
    const all = async (o: Partial<Parameters<typeof readLogs>[0]>): Promise<string> => {
      let s = '';
      for await (const e of readLogs({ path: log, tail: 'all', follow: false, stdout: true, stderr: true, live: () => false, signal: new AbortController().signal, ...o })) s += `${e.stream[3]}${e.data.toString()}`;
      return s;
    };
    assert.equal(await all({}), 'oa\neb\noc\n');
    assert.equal(await all({ tail: 1 }), 'oc\n');
    assert.equal(await all({ tail: 0 }), '');
    assert.equal(await all({ stderr: false }), 'oa\noc\n');
    assert.equal(await all({ since: timeNs('2024-01-01T00:00:02Z'), until: timeNs('2024-01-01T00:00:02.9Z') }), 'eb\n');
    let live = true;
    const follow = all({ follow: true, tail: 0, live: () => live, pollMs: 10 });
    setTimeout(() => fs.appendFileSync(log, rec('d\n', 'stdout', '2024-01-01T00:00:04Z')), 30);
    setTimeout(() => (live = false), 80);
    assert.equal(await follow, 'od\n');
    assert.equal(timeNs('2024-01-01T00:00:01.000000001Z'), 1704067201000000001n);
  });

  it('makes Docker-style IDs and names', () => {
    assert.match(randomId(), /^[a-f0-9]{64}$/);
    for (let i = 0; i < 20; i++) assert.match(randomName(i % 2), /^[a-z]+_[a-z]+\d?$/);
    assert.ok(NAME_RE.test('/web-1.a_b'));
    assert.ok(!NAME_RE.test('x'));
    assert.ok(!NAME_RE.test('-x'));
  });

  it('maps unix modes to Go FileMode bits and health tests to commands', () => {
    assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
    assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
    assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
    assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'exit 0'] }), ['/bin/sh', '-c', 'exit 0']);
    assert.deepEqual(probeCommand({ Test: ['CMD', 'true', 'x'] }), ['true', 'x']);
    assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
    assert.equal(probeCommand(undefined), undefined);
  });
});
