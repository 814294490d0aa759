import assert from 'node:assert/strict';
import { ERROR_KINDS, TdockError, conflict, notFound } from '@tdock/core';
import { buildApp, errorKindStatuses, STATUS_BY_KIND, toHttpError } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

describe('api: version middleware, system endpoints, errors', () => {
  const app = buildApp(fakeServices({ containers: { inspect: async (id: string) => { throw notFound(`No such container: ${id}`); } } }), { serverVersion: '9.9.9' });
  after(() => app.close());

  it('strips /vX.Y, advertises 1.47 and sets moby headers on every response', async () => {
    for (const url of ['/_ping', '/v1.24/_ping', '/v1.47/_ping']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, 'OK');
      assert.equal(r.headers['api-version'], '1.47');
      assert.equal(r.headers.ostype, 'linux');
      assert.equal(r.headers.server, 'tdock/9.9.9 (linux)');
    }
  });

  it('rejects too new and too old versions with 400 and moby wording', async () => {
    let r = await app.inject({ url: '/v1.50/version' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json().message, 'client version 1.50 is too new. Maximum supported API version is 1.47');
    r = await app.inject({ url: '/v1.12/containers/json' });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().message, /^client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  });

  it('answers GET and HEAD /_ping exactly as moby', async () => {
    const g = await app.inject({ url: '/_ping' });
    assert.equal(g.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(g.headers.pragma, 'no-cache');
    assert.equal(g.headers.swarm, 'inactive');
    assert.ok(g.headers['builder-version']);
    const h = await app.inject({ method: 'HEAD', url: '/_ping' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(h.headers['content-length'], '0');
    assert.equal(h.body, '');
  });

  it('renders /version and /info from the system facts', async () => {
    const v = (await app.inject({ url: '/version' })).json();
    assert.equal(v.ApiVersion, '1.47');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal(v.Version, '9.9.9');
    assert.equal(v.Components[0].Name, 'Engine');
    assert.equal(v.Components[0].Details.ApiVersion, '1.47');
    assert.equal(v.KernelVersion, '6.1.0-test');
    const r = await app.inject({ url: '/v1.41/info' });
    assert.equal(r.headers['content-type'], 'application/json');
    const i = r.json();
    assert.equal(i.Swarm.LocalNodeState, 'inactive');
    assert.equal(i.ContainersRunning, 1);
    assert.equal(i.Images, 4);
    assert.equal(i.Driver, 'overlay2');
    assert.equal(i.NCPU, 4);
    assert.equal(i.DockerRootDir, '/var/lib/tdock');
    assert.equal(i.ServerVersion, '9.9.9');
    assert.deepEqual(i.SecurityOptions, ['name=seccomp,profile=builtin']);
  });

  it('maps every error kind to its status', () => {
    const expected: Record<string, number> = { 'not-found': 404, conflict: 409, 'invalid-argument': 400, unauthorized: 401, forbidden: 403, unavailable: 503, 'not-implemented': 501, 'not-modified': 304, internal: 500 };
    assert.equal(errorKindStatuses().length, ERROR_KINDS.length);
    for (const kind of ERROR_KINDS) {
      assert.equal(STATUS_BY_KIND[kind], expected[kind], kind);
      assert.deepEqual(toHttpError(new TdockError(kind, 'm')), { status: expected[kind], message: 'm' });
    }
    assert.equal(toHttpError(new Error('boom')).status, 500);
    assert.equal(toHttpError(Object.assign(new Error('x'), { kind: 'conflict' })).status, 409);
  });

  it('sends service errors as {"message"} with Content-Type exactly application/json', async () => {
    const r = await app.inject({ url: '/v1.47/containers/nope/json' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(r.json(), { message: 'No such container: nope' });
    void conflict;
  });

  it('answers unknown routes with page not found and a not-implemented service with 501', async () => {
    const r = await app.inject({ url: '/v1.47/nothing/here' });
    assert.equal(r.statusCode, 404);
    assert.deepEqual(r.json(), { message: 'page not found' });
    assert.equal(r.headers['content-type'], 'application/json');
    const n = await app.inject({ url: '/volumes' });
    assert.equal(n.statusCode, 501);
  });

  it('answers swarm, plugin and buildkit endpoints with 404 at once', async () => {
    for (const [method, url] of [['GET', '/v1.47/swarm'], ['GET', '/services'], ['GET', '/nodes/x'], ['GET', '/secrets'], ['GET', '/configs'], ['GET', '/plugins/x/json'], ['POST', '/session'], ['POST', '/grpc'], ['GET', '/plugins']] as const) {
      const r = await app.inject({ method, url });
      assert.equal(r.statusCode, 404, url);
      assert.match(r.json().message, /not supported by tdock/);
    }
  });

  it('rejects malformed JSON with 400 and treats an empty JSON body as {}', async () => {
    let r = await app.inject({ method: 'POST', url: '/containers/create', headers: { 'content-type': 'application/json' }, payload: '{"Image":' });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().message, /^invalid JSON/);
    assert.equal(r.headers['content-type'], 'application/json');
    r = await app.inject({ method: 'POST', url: '/containers/create', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().message, 'config cannot be empty in order to create a container');
  });

  it('accepts a 200 KiB query string (dockerode repeats the create body in the query)', async () => {
    const r = await app.inject({ url: `/_ping?x=${'a'.repeat(200 * 1024)}` });
    assert.equal(r.statusCode, 200);
  });
});
