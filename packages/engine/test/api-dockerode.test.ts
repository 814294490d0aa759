// dockerode 5 against the HTTP layer with fakes: query-duplicated create bodies, hijacked attach with a
// JSON body, logs as a Buffer, pull with followProgress, events, exec start, 304 on a second start.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { TdockError } from '@tdock/core';
import { buildApp, type ContainerCreateBody, type EngineEvent, type LogEntry, type ProgressSink, type StreamSession } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

const ID = 'd'.repeat(64);

function echoSession(tty: boolean): StreamSession {
  return {
    tty,
    async run({ stdin, sink }) {
      sink.write({ stream: 'stdout', data: Buffer.from('ready\n') });
      if (!stdin) return;
      await new Promise<void>((resolve) => {
        stdin.on('data', (d: Buffer) => sink.write({ stream: 'stderr', data: d }));
        stdin.on('end', resolve);
      });
    },
  };
}

function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

describe('api: dockerode against the HTTP layer (fakes)', function () {
  let dir: string;
  let docker: Docker;
  let created: ContainerCreateBody | undefined;
  let started = false;
  const app = buildApp(
    fakeServices({
      containers: {
        create: async ({ body }: { body: ContainerCreateBody }) => {
          created = body;
          return { Id: ID, Warnings: [] };
        },
        start: async () => {
          if (started) throw new TdockError('not-modified', 'container already started');
          started = true;
        },
        attach: async () => echoSession(false),
        logs: async () => ({
          tty: false,
          entries: (async function* (): AsyncGenerator<LogEntry> {
            yield { stream: 'stdout', data: Buffer.from('line1\n'), time: '' };
            yield { stream: 'stderr', data: Buffer.from('oops\n'), time: '' };
          })(),
        }),
      },
      exec: {
        create: async () => ({ Id: 'e'.repeat(64) }),
        start: async () => echoSession(false),
      },
      images: {
        pull: async ({ progress }: { progress: ProgressSink }) => {
          progress.status('Pulling from library/alpine', 'latest');
          progress.progress('0123456789ab', 'Downloading', 50, 100);
          progress.progress('0123456789ab', 'Pull complete');
          progress.status('Status: Downloaded newer image for alpine:latest');
        },
      },
      events: {
        subscribe: ({ signal }: { signal: AbortSignal }) =>
          (async function* (): AsyncGenerator<EngineEvent> {
            yield { Type: 'container', Action: 'create', Actor: { ID, Attributes: { image: 'alpine' } }, scope: 'local', time: 1, timeNano: 1000000000 };
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          })(),
      },
    }),
  );

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-dode-'));
    const socketPath = path.join(dir, 'd.sock');
    await app.listen({ path: socketPath });
    docker = new Docker({ socketPath });
  });
  after(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a container whose options are repeated in a large query string', async () => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < 400; i++) labels[`com.example.label-${i}`] = 'x'.repeat(60);
    const c = await docker.createContainer({ Image: 'alpine', Cmd: ['sh'], Labels: labels, HostConfig: { Memory: 1 << 25, NetworkMode: 'none' } });
    assert.equal(c.id, ID);
    assert.equal(created?.HostConfig?.Memory, 1 << 25);
    assert.equal(Object.keys(created?.Labels ?? {}).length, 400);
  });

  it('treats a second start as the 304 error dockerode reports', async () => {
    const c = docker.getContainer(ID);
    await c.start();
    await assert.rejects(c.start(), (err: { statusCode?: number }) => err.statusCode === 304);
  });

  it('attaches with hijack: the JSON body is not stdin, frames demux', async () => {
    const c = docker.getContainer(ID);
    const stream = (await c.attach({ stream: true, stdout: true, stderr: true, stdin: true, hijack: true })) as unknown as NodeJS.ReadWriteStream;
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    stream.write('typed');
    const outText = new Promise<string>((resolve) => out.once('data', (d: Buffer) => resolve(d.toString())));
    const errText = new Promise<string>((resolve) => err.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(await outText, 'ready\n');
    assert.equal(await errText, 'typed');
    stream.end();
  });

  it('returns logs as a Buffer of frames', async () => {
    const buf = (await docker.getContainer(ID).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const out = new PassThrough();
    const err = new PassThrough();
    const body = new PassThrough();
    docker.modem.demuxStream(body, out, err);
    const texts = Promise.all([collect(out), collect(err)]);
    body.on('end', () => {
      out.end();
      err.end();
    });
    body.end(buf);
    const [o, e] = await texts;
    assert.equal(o.toString(), 'line1\n');
    assert.equal(e.toString(), 'oops\n');
  });

  it('pulls with followProgress until the stream ends', async () => {
    const stream = await docker.pull('alpine');
    const events: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve()), (ev: Record<string, unknown>) => events.push(ev)));
    assert.deepEqual(events.map((e) => e.status), ['Pulling from library/alpine', 'Downloading', 'Pull complete', 'Status: Downloaded newer image for alpine:latest']);
    assert.ok(String(events[1].progress).startsWith('[=========================>'));
  });

  it('streams events until the client stops reading', async () => {
    const stream = (await docker.getEvents()) as unknown as Readable & { destroy(): void };
    const line = await new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(JSON.parse(line).status, 'create');
    stream.destroy();
  });

  it('starts an exec with hijack and stdin', async () => {
    const exec = await docker.getContainer(ID).exec({ Cmd: ['sh'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: false })) as unknown as NodeJS.ReadWriteStream;
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    stream.write('abc');
    assert.equal(await new Promise<string>((resolve) => err.once('data', (d: Buffer) => resolve(d.toString()))), 'abc');
    stream.end();
  });
});
