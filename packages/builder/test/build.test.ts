import assert from 'node:assert/strict';
import { type BuildEvent, BuildStepError, normalizeDest, platformArgs, runBuild } from '../src/index.js';
import { FakeBackend } from './fake-backend.js';

const FIXED = () => new Date('2024-01-02T03:04:05Z');

const MULTI = `
ARG GO=1.22
FROM golang:\${GO} AS build
WORKDIR /src
COPY main.go ./
RUN go build -o /out/app .

FROM alpine:3.19 AS unused
RUN echo never

FROM alpine:3.19
ARG VERSION=dev
LABEL version=$VERSION
COPY --from=build /out/app /usr/local/bin/app
RUN echo $VERSION > /version
USER nobody
CMD ["app"]
`;

function backend(): FakeBackend {
  const b = new FakeBackend();
  b.addImage('golang:1.22', { config: { Env: ['PATH=/usr/local/go/bin:/usr/bin', 'GOPATH=/go'], Cmd: ['bash'] } });
  b.addImage('alpine:3.19', { config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] } });
  b.context.set('main.go', 'sha256:v1');
  return b;
}

describe('builder/build: orchestrating a multi-stage build', () => {
  it('builds the target with docker history, skips unused stages, and records empty layers', async () => {
    const b = backend();
    const r = await runBuild({ dockerfile: MULTI, backend: b, now: FIXED, buildArgs: { VERSION: '1.0' } });
    assert.deepEqual(r.graph.needed, [0, 2]);
    assert.ok(!b.runs.some((x) => x.argv.includes('echo never')));
    const hist = r.config.history ?? [];
    assert.deepEqual(hist.slice(1).map((x) => [x.created_by, x.empty_layer ?? false]), [
      ['/bin/sh -c #(nop)  ARG VERSION=dev', true],
      ['/bin/sh -c #(nop)  LABEL version=1.0', true],
      [hist[3].created_by, false],
      ['|1 VERSION=1.0 /bin/sh -c echo $VERSION > /version', false],
      ['/bin/sh -c #(nop)  USER nobody', true],
      ['/bin/sh -c #(nop)  CMD ["app"]', true],
    ]);
    assert.match(hist[3].created_by ?? '', /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/usr\/local\/bin\/app $/);
    assert.equal(r.config.rootfs.diff_ids.length, 3);
    assert.deepEqual(r.config.config?.Labels, { version: '1.0' });
    assert.equal(r.config.config?.User, 'nobody');
    assert.deepEqual(r.config.config?.Cmd, ['app']);
    assert.equal(r.config.created, '2024-01-02T03:04:05.000Z');
    const copy = b.copies.find((c) => c.source.kind === 'rootfs');
    assert.ok(copy && copy.source.kind === 'rootfs' && copy.source.stage === 0);
    assert.equal(copy.preserveOwnership, true);
    const goBuild = b.runs.find((x) => x.argv.join(' ').includes('go build'));
    assert.equal(goBuild?.cwd, '/src');
    assert.deepEqual(goBuild?.env, ['PATH=/usr/local/go/bin:/usr/bin', 'GOPATH=/go']);
    assert.equal(b.copies.find((c) => c.source.kind === 'context')?.dest, '/src/');
  });

  it('runs nothing on an unchanged rebuild and only from a changed COPY on', async () => {
    const b = backend();
    const first = await runBuild({ dockerfile: MULTI, backend: b, now: FIXED });
    const runsAfterFirst = b.runs.length;
    const second = await runBuild({ dockerfile: MULTI, backend: b, now: FIXED });
    assert.equal(b.runs.length, runsAfterFirst);
    assert.deepEqual(second.config, first.config);
    b.context.set('main.go', 'sha256:v2');
    const events: BuildEvent[] = [];
    await runBuild({ dockerfile: MULTI, backend: b, now: FIXED, explainMisses: true, onEvent: (e) => events.push(e) });
    const rerun = b.runs.slice(runsAfterFirst).map((x) => x.argv.join(' '));
    assert.deepEqual(rerun, ['/bin/sh -c go build -o /out/app .', '/bin/sh -c echo $VERSION > /version']);
    const done = events.filter((e) => e.type === 'step-done');
    assert.deepEqual(done.map((e) => e.type === 'step-done' && e.cached), [true, false, false, true, true, false, false, false, false]);
    const misses = events.filter((e) => e.type === 'cache-miss');
    assert.match(misses[0].type === 'cache-miss' ? misses[0].reason ?? '' : '', /COPY main.go \.\/: cache miss: files changed/);
    assert.match(misses[1].type === 'cache-miss' ? misses[1].reason ?? '' : '', /a previous step changed/);
  });

  it('reruns everything with noCache and changes keys when a build arg in scope changes', async () => {
    const b = backend();
    await runBuild({ dockerfile: MULTI, backend: b, now: FIXED });
    const n = b.runs.length;
    await runBuild({ dockerfile: MULTI, backend: b, now: FIXED, noCache: true });
    assert.equal(b.runs.length, 2 * n);
    await runBuild({ dockerfile: MULTI, backend: b, now: FIXED, buildArgs: { VERSION: '2' } });
    assert.deepEqual(b.runs.slice(2 * n).map((x) => x.argv.join(' ')), ['/bin/sh -c echo $VERSION > /version']);
  });

  it('runs independent stages at the same time', async () => {
    const b = backend();
    let arrived = 0;
    let release: () => void = () => {};
    const both = new Promise<void>((res) => (release = res));
    let overlapped = false;
    b.onRun = async () => {
      arrived++;
      if (arrived === 2) {
        overlapped = true;
        release();
      }
      await Promise.race([both, new Promise((res) => setTimeout(res, 2000))]);
    };
    const df = 'FROM alpine:3.19 AS a\nRUN echo a\nFROM alpine:3.19 AS b\nRUN echo b\nFROM alpine:3.19\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n';
    const r = await runBuild({ dockerfile: df, backend: b, now: FIXED });
    assert.deepEqual(r.graph.levels, [[0, 1], [2]]);
    assert.equal(overlapped, true);
  });

  it('runs ONBUILD triggers of the base image first', async () => {
    const b = backend();
    b.addImage('onbuild-base', { config: { Env: ['PATH=/bin'], OnBuild: ['COPY main.go /app/', 'RUN echo triggered'] } });
    const events: BuildEvent[] = [];
    const r = await runBuild({ dockerfile: 'FROM onbuild-base\nRUN echo after\n', backend: b, now: FIXED, onEvent: (e) => events.push(e) });
    assert.deepEqual(b.runs.map((x) => x.argv.join(' ')), ['/bin/sh -c echo triggered', '/bin/sh -c echo after']);
    assert.ok(events.some((e) => e.type === 'triggers' && e.count === 2));
    assert.equal(r.config.config?.OnBuild, null);
    assert.equal(b.copies[0].dest, '/app/');
  });

  it('reports a failing RUN with its exit code and line', async () => {
    const b = backend();
    b.exitCodes.set('/bin/sh -c exit 3', 3);
    await assert.rejects(runBuild({ dockerfile: 'FROM alpine:3.19\n\nRUN exit 3\n', backend: b }), (e: unknown) => {
      assert.ok(e instanceof BuildStepError);
      assert.equal(e.exitCode, 3);
      assert.equal(e.line, 3);
      assert.equal(e.message, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
      return true;
    });
  });

  it('warns about unconsumed build args, applies --label, honours --target and scratch', async () => {
    const b = backend();
    const r = await runBuild({
      dockerfile: 'FROM scratch AS s\nCOPY main.go /\nFROM alpine:3.19\nRUN true-noop\n', backend: b, target: 's',
      buildArgs: { NOPE: '1' }, labels: { 'com.x': 'y' }, platform: 'linux/arm64/v8', now: FIXED,
    });
    assert.deepEqual(r.warnings, ['[Warning] One or more build-args [NOPE] were not consumed']);
    assert.deepEqual(r.config.config?.Labels, { 'com.x': 'y' });
    assert.equal(r.config.history?.at(-1)?.created_by, '/bin/sh -c #(nop)  LABEL com.x=y');
    assert.deepEqual([r.config.os, r.config.architecture, r.config.variant], ['linux', 'arm64', 'v8']);
    assert.equal(b.runs.length, 0);
    await assert.rejects(runBuild({ dockerfile: 'FROM scratch\n', backend: b, target: 'x' }), /target stage "x" could not be found/);
  });

  it('marks a RUN that changed nothing as an empty layer', async () => {
    const r = await runBuild({ dockerfile: 'FROM alpine:3.19\nRUN true-noop\n', backend: backend(), now: FIXED });
    assert.equal(r.config.history?.[1].empty_layer, true);
    assert.equal(r.config.rootfs.diff_ids.length, 1);
  });

  it('normalises COPY destinations against WORKDIR', () => {
    assert.equal(normalizeDest('/src', './'), '/src/');
    assert.equal(normalizeDest('/src', 'a/b'), '/src/a/b');
    assert.equal(normalizeDest('', '.'), '/');
    assert.equal(normalizeDest('/src', '.'), '/src');
    assert.equal(normalizeDest('/', 'x/'), '/x/');
    assert.equal(normalizeDest('/w', '/abs/'), '/abs/');
  });

  it('forwards --pull and the platform to image resolution', async () => {
    const b = backend();
    await runBuild({ dockerfile: 'FROM --platform=linux/arm64 alpine:3.19\nCOPY --from=golang:1.22 /x /x\n', backend: b, pull: true, platform: 'linux/amd64' });
    assert.deepEqual(b.resolved, [{ ref: 'alpine:3.19', platform: 'linux/arm64', pull: true }, { ref: 'golang:1.22', platform: 'linux/amd64', pull: true }]);
  });

  it('stops at once when the caller aborts', async () => {
    const b = backend();
    const ac = new AbortController();
    ac.abort(new Error('client went away'));
    await assert.rejects(runBuild({ dockerfile: 'FROM alpine:3.19\nRUN x\n', backend: b, signal: ac.signal }), /client went away/);
    assert.equal(b.runs.length, 0);
  });

  it('passes a caller abort during a RUN to the running step', async () => {
    const b = backend();
    const ac = new AbortController();
    let seen = false;
    b.onRun = async (req) => {
      ac.abort(new Error('client disconnected'));
      seen = req.signal.aborted;
    };
    await assert.rejects(runBuild({ dockerfile: 'FROM alpine:3.19\nRUN a\nRUN b\n', backend: b, signal: ac.signal }), /client disconnected/);
    assert.equal(seen, true);
    assert.equal(b.runs.length, 1);
  });

  it('cancels concurrent stages when one fails and waits for them', async () => {
    const b = backend();
    b.exitCodes.set('/bin/sh -c exit 1', 1);
    let sawAbort = false;
    let otherDone = false;
    b.onRun = async (req) => {
      if (req.argv.join(' ') !== '/bin/sh -c sleep-until-aborted') return;
      await new Promise<void>((res) => {
        if (req.signal.aborted) {
          sawAbort = true;
          res();
          return;
        }
        const guard = setTimeout(res, 2000);
        req.signal.addEventListener('abort', () => { sawAbort = true; clearTimeout(guard); res(); }, { once: true });
      });
      otherDone = true;
    };
    const df = 'FROM alpine:3.19 AS a\nRUN sleep-until-aborted\nFROM alpine:3.19 AS b\nRUN exit 1\nFROM scratch\nCOPY --from=a / /\nCOPY --from=b / /\n';
    await assert.rejects(runBuild({ dockerfile: df, backend: b }), BuildStepError);
    assert.equal(sawAbort, true);
    assert.equal(otherDone, true);
  });
});

describe('builder/build: opt-in BuildKit platform args', () => {
  it('defines BUILDPLATFORM/TARGETARCH for FROM and for stages that declare them', async () => {
    const b = backend();
    b.addImage('golang:1.22-arm64');
    const df = 'FROM --platform=$BUILDPLATFORM golang:1.22-${TARGETARCH}\nARG TARGETARCH\nARG TARGETOS\nRUN echo $TARGETOS/$TARGETARCH\n';
    const r = await runBuild({ dockerfile: df, backend: b, automaticArgs: platformArgs('linux/amd64', 'linux/arm64'), now: FIXED });
    assert.deepEqual(b.resolved[0], { ref: 'golang:1.22-arm64', platform: 'linux/amd64', pull: false });
    assert.equal(r.config.history?.at(-1)?.created_by, '|2 TARGETARCH=arm64 TARGETOS=linux /bin/sh -c echo $TARGETOS/$TARGETARCH');
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(platformArgs('linux/arm/v7', 'linux/arm/v7').TARGETVARIANT, 'v7');
  });
});

describe('builder/build: --cache-from', () => {
  it('reuses steps an image recorded with the same history and layers', async () => {
    const b = backend();
    const df = 'FROM alpine:3.19\nRUN echo one\nRUN echo two\n';
    const first = await runBuild({ dockerfile: df, backend: b, now: FIXED });
    const fresh = backend();
    fresh.cacheFromLookup = async (req) => {
      const hist = first.config.history ?? [];
      const i = req.history.length;
      if (hist[i]?.created_by !== req.createdBy) return undefined;
      if (!req.history.every((h, j) => h.created_by === hist[j].created_by)) return undefined;
      const nonEmpty = hist.slice(0, i).filter((h) => !h.empty_layer).length;
      return { layer: hist[i].empty_layer ? undefined : { diffId: first.config.rootfs.diff_ids[nonEmpty] }, createdBy: req.createdBy, parts: {} as never };
    };
    const second = await runBuild({ dockerfile: df, backend: fresh, now: FIXED });
    assert.equal(fresh.runs.length, 0);
    assert.deepEqual(second.config.rootfs, first.config.rootfs);
    assert.equal(fresh.cache.size, 2);
  });
});
