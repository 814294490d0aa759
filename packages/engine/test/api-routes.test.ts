import assert from 'node:assert/strict';
import { TdockError, notFound } from '@tdock/core';
import { buildApp, demuxAll, type ContainerCreateBody, type EngineEvent, type Filters, type LogEntry, type ProgressSink } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

const ID = 'a'.repeat(64);

describe('api: route shells', () => {
  const calls: Array<[string, unknown]> = [];
  const app = buildApp(
    fakeServices({
      containers: {
        create: async (req: { name?: string; body: ContainerCreateBody }) => {
          calls.push(['create', req]);
          if (req.body.Image === 'missing') throw notFound('No such image: missing:latest');
          return { Id: ID, Warnings: [] };
        },
        start: async (id: string) => {
          if (id === 'running') throw new TdockError('not-modified', 'container already started');
        },
        stop: async (id: string, o: unknown) => {
          calls.push(['stop', { id, o }]);
        },
        kill: async (id: string, signal: string) => {
          calls.push(['kill', { id, signal }]);
        },
        remove: async (id: string, o: unknown) => {
          calls.push(['remove', { id, o }]);
        },
        list: async (o: { filters: Filters; limit: number; all: boolean }) => {
          calls.push(['list', { filters: Object.fromEntries(o.filters), limit: o.limit, all: o.all }]);
          return [];
        },
        putArchive: async (id: string, p: string, tar: AsyncIterable<Buffer>) => {
          let n = 0;
          for await (const chunk of tar) n += chunk.length;
          calls.push(['putArchive', { id, p, n }]);
        },
        logs: async () => ({
          tty: false,
          entries: (async function* (): AsyncGenerator<LogEntry> {
            yield { stream: 'stdout', data: Buffer.from('out\n'), time: '2024-01-01T00:00:00.000000000Z' };
            yield { stream: 'stderr', data: Buffer.from('err\n'), time: '2024-01-01T00:00:01.000000000Z' };
          })(),
        }),
        wait: async () => ({ result: Promise.resolve({ StatusCode: 3 }) }),
      },
      images: {
        load: async (o: { tar: AsyncIterable<Buffer>; progress: ProgressSink }) => {
          let n = 0;
          for await (const chunk of o.tar) n += chunk.length;
          o.progress.stream(`Loaded ${n} bytes\n`);
        },
        inspect: async (name: string) => {
          if (name !== 'localhost:5000/a/b@sha256:' + 'c'.repeat(64)) throw notFound(`No such image: ${name}`);
          return { Id: 'sha256:x' };
        },
        tag: async (name: string, repo: string, tag: string) => {
          calls.push(['tag', { name, repo, tag }]);
        },
        pull: async (o: { fromImage: string; tag: string; progress: ProgressSink; auth?: unknown }) => {
          calls.push(['pull', { fromImage: o.fromImage, tag: o.tag, auth: o.auth }]);
          if (o.fromImage === 'early') throw notFound('pull access denied for early');
          o.progress.status('Pulling from library/alpine', 'latest');
          o.progress.progress('abc', 'Downloading', 10, 100);
          throw new Error('unexpected EOF');
        },
      },
      events: {
        subscribe: () =>
          (async function* (): AsyncGenerator<EngineEvent> {
            yield { Type: 'container', Action: 'start', Actor: { ID, Attributes: { image: 'alpine', name: 'web' } }, scope: 'local', time: 1700000000, timeNano: 1700000000123456789n };
            yield { Type: 'network', Action: 'create', Actor: { ID: 'n', Attributes: {} }, scope: 'local', time: 1, timeNano: 1 };
          })(),
      },
    }),
    { bodyLimit: 1024 * 1024 }, // JSON only: streamed bodies must not be limited by it
  );
  after(() => app.close());
  beforeEach(() => {
    calls.length = 0;
  });

  it('creates with 201, passes the name, and maps a missing image to 404', async () => {
    let r = await app.inject({ method: 'POST', url: '/v1.47/containers/create?name=web', payload: { Image: 'alpine', HostConfig: { NetworkMode: 'default' } } });
    assert.equal(r.statusCode, 201);
    assert.deepEqual(r.json(), { Id: ID, Warnings: [] });
    assert.deepEqual((calls[0][1] as { name: string }).name, 'web');
    r = await app.inject({ method: 'POST', url: '/containers/create', payload: { Image: 'missing' } });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().message, 'No such image: missing:latest');
    r = await app.inject({ method: 'POST', url: '/containers/create?name=-bad', payload: { Image: 'alpine' } });
    assert.equal(r.statusCode, 400);
    r = await app.inject({ method: 'POST', url: '/containers/create', payload: { Image: 'alpine', HostConfig: { Memory: 'lots' } } });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().message, /cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64/);
  });

  it('uses 204 for start/stop/kill/rm and 304 with no body for already started', async () => {
    assert.equal((await app.inject({ method: 'POST', url: '/containers/x/start' })).statusCode, 204);
    const r = await app.inject({ method: 'POST', url: '/containers/running/start' });
    assert.equal(r.statusCode, 304);
    assert.equal(r.body, '');
    assert.equal((await app.inject({ method: 'POST', url: '/containers/x/stop?t=5&signal=SIGINT' })).statusCode, 204);
    assert.equal((await app.inject({ method: 'POST', url: '/containers/x/kill?signal=INT' })).statusCode, 204);
    assert.equal((await app.inject({ method: 'DELETE', url: '/containers/x?force=1&v=True' })).statusCode, 204);
    assert.deepEqual(calls, [
      ['stop', { id: 'x', o: { signal: 'SIGINT', timeout: 5 } }],
      ['kill', { id: 'x', signal: 'INT' }],
      ['remove', { id: 'x', o: { force: true, volumes: true, link: false } }],
    ]);
  });

  it('lists with docker-py parameters and validates filters', async () => {
    let r = await app.inject({ url: '/v1.41/containers/json?limit=-1&all=0&size=0&trunc_cmd=0&filters=' + encodeURIComponent('{"label":["a=b"]}') });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), []);
    assert.deepEqual(calls[0][1], { filters: { label: ['a=b'] }, limit: -1, all: false });
    r = await app.inject({ url: '/containers/json?filters=' + encodeURIComponent('{"bogus":{"x":true}}') });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().message, "invalid filter 'bogus'");
  });

  it('frames logs (multiplexed at >= 1.42, raw type below) with timestamps inside the frame', async () => {
    let r = await app.inject({ url: '/v1.47/containers/x/logs?stdout=1&stderr=1&timestamps=1&tail=all' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const d = demuxAll(r.rawPayload);
    assert.equal(d.stdout, '2024-01-01T00:00:00.000000000Z out\n');
    assert.equal(d.stderr, '2024-01-01T00:00:01.000000000Z err\n');
    r = await app.inject({ url: '/v1.41/containers/x/logs?stdout=1' });
    assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
    r = await app.inject({ url: '/containers/x/logs' });
    assert.equal(r.statusCode, 400);
  });

  it('answers wait with the status code', async () => {
    const r = await app.inject({ method: 'POST', url: '/containers/x/wait?condition=next-exit' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { StatusCode: 3 });
    assert.equal((await app.inject({ method: 'POST', url: '/containers/x/wait?condition=bogus' })).statusCode, 400);
  });

  it('matches image names with slashes, colons and digests from the end, URL-decoded', async () => {
    const name = 'localhost:5000/a/b%40sha256:' + 'c'.repeat(64);
    let r = await app.inject({ url: `/v1.47/images/${name}/json` });
    assert.equal(r.statusCode, 200);
    r = await app.inject({ url: '/images/nope/json' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().message, 'No such image: nope');
    r = await app.inject({ method: 'POST', url: '/images/docker.io/library/alpine:3/tag?repo=docker.io%2Flibrary%2Fdst&tag=v1' });
    assert.equal(r.statusCode, 201);
    assert.deepEqual(calls[0][1], { name: 'docker.io/library/alpine:3', repo: 'docker.io/library/dst', tag: 'v1' });
  });

  it('streams pull progress as \\r\\n NDJSON and puts late errors in-stream', async () => {
    const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'p' })).toString('base64url');
    const r = await app.inject({ method: 'POST', url: '/images/create?fromImage=alpine&tag=latest', headers: { 'x-registry-auth': auth } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const lines = r.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { status: 'Pulling from library/alpine', id: 'latest' });
    assert.equal(lines[1].progressDetail.current, 10);
    assert.deepEqual(lines[2], { errorDetail: { message: 'unexpected EOF' }, error: 'unexpected EOF' });
    assert.deepEqual(calls[0][1], { fromImage: 'alpine', tag: 'latest', auth: { username: 'u', password: 'p' } });
    const early = await app.inject({ method: 'POST', url: '/images/create?fromImage=early&tag=latest' });
    assert.equal(early.statusCode, 404);
    assert.equal(early.json().message, 'pull access denied for early');
  });

  it('streams events with the legacy status/id/from fields', async () => {
    const r = await app.inject({ url: '/events?filters=' + encodeURIComponent('{"type":{"container":true}}') });
    assert.equal(r.statusCode, 200);
    const raw = r.body.split('\n').filter((l) => l.trim());
    assert.ok(raw[0].endsWith('"time":1700000000,"timeNano":1700000000123456789}'), raw[0]);
    const lines = raw.map((l) => JSON.parse(l));
    assert.deepEqual({ ...lines[0], timeNano: 0 }, { status: 'start', id: ID, from: 'alpine', Type: 'container', Action: 'start', Actor: { ID, Attributes: { image: 'alpine', name: 'web' } }, scope: 'local', time: 1700000000, timeNano: 0 });
    assert.equal(lines[1].status, undefined);
    assert.equal((await app.inject({ url: '/events?filters=' + encodeURIComponent('{"colour":["x"]}') })).statusCode, 400);
  });

  it('streams tar, octet-stream and gzip bodies to the service with no body limit', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    let r = await app.inject({ method: 'PUT', url: '/v1.47/containers/c1/archive?path=%2Ftmp', headers: { 'content-type': 'application/x-tar' }, payload: big });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(calls[0], ['putArchive', { id: 'c1', p: '/tmp', n: big.length }]);
    for (const type of ['application/tar', 'application/octet-stream', 'application/gzip', 'application/x-tar']) {
      r = await app.inject({ method: 'POST', url: '/images/load?quiet=1', headers: { 'content-type': type }, payload: big });
      assert.equal(r.statusCode, 200, type);
      assert.deepEqual(JSON.parse(r.body.trim()), { stream: `Loaded ${big.length} bytes\n` });
    }
  });

  it('answers /build with 501 when no builder is wired', async () => {
    const r = await app.inject({ method: 'POST', url: '/build?t=x', headers: { 'content-type': 'application/x-tar' }, payload: Buffer.alloc(1024) });
    assert.equal(r.statusCode, 501);
  });
});
