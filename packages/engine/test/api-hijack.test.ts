import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { notFound } from '@tdock/core';
import { buildApp, StdcopyDemuxer, type StreamSession, type WaitResponse } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

/** A session that echoes stdin to stdout (upper-cased) until stdin ends, then says bye on stderr. */
function echoSession(tty: boolean, seen: Buffer[]): StreamSession {
  return {
    tty,
    async run({ stdin, sink }) {
      if (stdin) {
        for await (const chunk of stdin) {
          seen.push(chunk as Buffer);
          sink.write({ stream: 'stdout', data: Buffer.from(String(chunk).toUpperCase()) });
        }
      }
      sink.write({ stream: 'stderr', data: Buffer.from('bye') });
    },
  };
}

/** Sends raw bytes, returns everything the server wrote until it closed. */
function rawExchange(sock: string, request: string | Buffer, after?: (c: net.Socket) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    const parts: Buffer[] = [];
    c.on('data', (d) => parts.push(d));
    c.on('end', () => resolve(Buffer.concat(parts)));
    c.on('error', reject);
    c.write(request);
    after?.(c);
  });
}

describe('api: hijacked attach and exec on a real socket', () => {
  let dir: string;
  let sock: string;
  const seen: Buffer[] = [];
  let releaseWait: (r: WaitResponse) => void = () => undefined;
  const aborted: string[] = [];
  const app = buildApp(
    fakeServices({
      containers: {
        attach: async (id: string) => {
          if (id === 'nope') throw notFound('No such container: nope');
          return echoSession(id === 'tty', seen);
        },
        wait: async (id: string, _c: string, signal: AbortSignal) => {
          if (id === 'hangup') signal.addEventListener('abort', () => aborted.push(id), { once: true });
          return { result: new Promise<WaitResponse>((resolve) => (releaseWait = resolve)) };
        },
      },
      exec: { start: async () => echoSession(false, seen) },
    }),
  );

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-api-'));
    sock = path.join(dir, 'd.sock');
    await app.listen({ path: sock });
  });
  after(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('upgrades attach with 101 UPGRADED, drops the request body, and streams multiplexed frames', async () => {
    const body = '{"stream":true,"stdin":true,"hijack":true}';
    const req = `POST /v1.47/containers/c1/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}hello`;
    const out = await rawExchange(sock, req, (c) => setTimeout(() => c.end(), 50));
    const text = out.toString('latin1');
    const headEnd = text.indexOf('\r\n\r\n');
    const head = text.slice(0, headEnd);
    assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    assert.match(head, /\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\n/);
    assert.match(head, /\r\nConnection: Upgrade\r\n/);
    assert.match(head, /\r\nUpgrade: tcp/);
    const frames = new StdcopyDemuxer().push(out.subarray(headEnd + 4));
    assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'HELLO'], [2, 'bye']]);
    assert.equal(Buffer.concat(seen).toString(), 'hello');
  });

  it('uses the raw stream type for a TTY and below API 1.42', async () => {
    const out = await rawExchange(sock, 'POST /v1.41/containers/c1/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    assert.match(out.toString(), /Content-Type: application\/vnd\.docker\.raw-stream/);
    const tty = await rawExchange(sock, 'POST /containers/tty/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    const t = tty.toString();
    assert.match(t, /Content-Type: application\/vnd\.docker\.raw-stream/);
    assert.ok(t.endsWith('\r\n\r\nbye'), 'tty output is not framed');
  });

  it('writes errors raw on the socket with Content-Type application/json', async () => {
    const out = (await rawExchange(sock, 'POST /v1.47/containers/nope/attach?stream=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')).toString();
    assert.match(out, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(out, /\r\nContent-Type: application\/json\r\n/);
    assert.ok(out.endsWith('{"message":"No such container: nope"}\n'));
    const v = (await rawExchange(sock, 'POST /v1.99/containers/x/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')).toString();
    assert.match(v, /^HTTP\/1\.1 400 /);
    assert.match(v, /too new/);
  });

  it('reads the exec start body across reads before treating bytes as stdin', async () => {
    const body = '{"Detach":false,"Tty":false}';
    const head = `POST /v1.47/exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const out = await rawExchange(sock, head + body.slice(0, 5), (c) => {
      setTimeout(() => c.write(body.slice(5) + 'in'), 30);
      setTimeout(() => c.end(), 80);
    });
    const s = out.toString('latin1');
    assert.match(s, /^HTTP\/1\.1 101 UPGRADED/);
    assert.equal(Buffer.concat(seen).toString(), 'in');
  });

  it('sends wait headers before the container exits', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: '/v1.47/containers/c/wait?condition=next-exit' }, resolve);
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const chunks: Buffer[] = [];
    res.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((r) => res.on('end', r));
    releaseWait({ StatusCode: 7 });
    await ended;
    assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { StatusCode: 7 });
  });

  it('accepts a 300 KiB query string on the real server (maxHeaderSize raised)', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'GET', path: `/_ping?x=${'a'.repeat(300 * 1024)}` }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
  });

  it('aborts the wait when the client hangs up (docker run -d cancels its wait)', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: '/containers/hangup/wait?condition=next-exit' }, (res) => {
        assert.equal(res.statusCode, 200);
        req.destroy();
        resolve();
      });
      req.on('error', () => undefined);
      req.on('close', () => undefined);
      req.end();
      setTimeout(() => reject(new Error('no headers')), 10000).unref();
    });
    for (let i = 0; i < 100 && aborted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(aborted, ['hangup']);
  });

  it('serves a non-upgraded attach as a 200 stream', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: '/containers/c/attach?stream=1&stdout=1&stderr=1', headers: { 'content-type': 'application/json' } }, resolve);
      req.on('error', reject);
      req.end('{"stream":true}');
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['api-version'], '1.47');
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const frames = new StdcopyDemuxer().push(Buffer.concat(chunks));
    assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[2, 'bye']]);
  });
});
