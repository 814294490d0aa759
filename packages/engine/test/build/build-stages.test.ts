// Multi-stage builds, ADD of a local tar, --chown against the image's passwd, USER with WORKDIR, cancellation and
// /build/prune, through the build service over a real store and runtime.
import assert from 'node:assert/strict';
import { chainIds } from '../../src/store/digest.js';
import { buildTar } from '../../src/store/tar-writer.js';
import { buildEnv, imageConfig, imageFile, runBuild, type BuildEnv } from './support.js';

describe('build service: stages, ADD, ownership, cancel, prune', function () {
  this.timeout(180_000);
  let env: BuildEnv;

  before(async () => {
    env = await buildEnv();
  });
  after(async () => {
    await env?.cleanup();
  });

  it('copies from an earlier stage, extracts a local tar with ADD, and applies --chown by name', async () => {
    const tar = buildTar([
      { name: 'pkg/', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_600_000_000 },
      { name: 'pkg/tool', type: 'file', mode: 0o755, uid: 1000, gid: 1000, size: 0, mtime: 1_600_000_000, data: Buffer.from('#!/bin/sh\necho tool\n') },
    ]);
    const r = await runBuild(env.svc, {
      Dockerfile: [
        `FROM ${env.busybox} AS build`,
        'RUN mkdir /out && echo built > /out/artifact && chown 1234:1234 /out/artifact',
        `FROM ${env.busybox}`,
        'COPY --from=build /out/artifact /srv/',
        'COPY --chown=nobody a.txt /srv/owned',
        'ADD pkg.tar /opt/',
        'USER nobody',
        'WORKDIR /tmp/w',
        'RUN id -u > /tmp/uid && pwd >> /tmp/uid',
      ].join('\n'),
      'a.txt': 'A',
      'pkg.tar': { data: tar.toString('latin1') },
    });
    assert.equal(r.error, undefined, `${r.error?.message}\n${r.text}`);
    const art = await imageFile(env.store, r.id!, 'srv/artifact');
    assert.deepEqual([art?.data, art?.uid, art?.gid], ['built\n', 1234, 1234], 'COPY --from keeps the stage\'s owners');
    const owned = await imageFile(env.store, r.id!, 'srv/owned');
    assert.deepEqual([owned?.uid, owned?.gid], [65534, 65534]);
    const tool = await imageFile(env.store, r.id!, 'opt/pkg/tool');
    assert.deepEqual([tool?.mode, tool?.uid], [0o755, 1000]);
    assert.equal((await imageFile(env.store, r.id!, 'tmp/uid'))?.data, '65534\n/tmp/w\n');
    const cfg = await imageConfig(env.store, r.id!);
    assert.equal(cfg.config?.User, 'nobody');
    assert.equal(cfg.config?.WorkingDir, '/tmp/w');
    assert.equal(env.store.tryResolve(r.id!)?.layers.length, (await imageConfig(env.store, env.busybox)).rootfs.diff_ids.length + 5);
  });

  it('builds only the target stage with target=', async () => {
    const r = await runBuild(env.svc, {
      Dockerfile: `FROM ${env.busybox} AS one\nRUN echo one > /one\nFROM ${env.busybox} AS two\nRUN exit 9\n`,
    }, { target: 'one' });
    assert.equal(r.error, undefined, r.text);
    assert.equal((await imageFile(env.store, r.id!, 'one'))?.data, 'one\n');
  });

  it('runs independent stages at the same time and copies from both', async () => {
    const stage = (n: string): string => `FROM ${env.busybox} AS ${n}\nRUN cut -d\\  -f1 /proc/uptime > /start && sleep 1 && cut -d\\  -f1 /proc/uptime > /end\n`;
    const r = await runBuild(env.svc, {
      Dockerfile: `${stage('a')}${stage('b')}FROM ${env.busybox}\nCOPY --from=a /start /end /a/\nCOPY --from=b /start /end /b/\n`,
    }, { nocache: '1' });
    assert.equal(r.error, undefined, r.text);
    const t = async (p: string): Promise<number> => Number((await imageFile(env.store, r.id!, p))!.data!.trim());
    const [as, ae, bs, be] = await Promise.all([t('a/start'), t('a/end'), t('b/start'), t('b/end')]);
    assert.ok(as < be && bs < ae, `run intervals overlap: a ${as}..${ae}, b ${bs}..${be}`);
  });

  it('runs heredoc scripts and keeps a cache mount between builds, out of the layers', async () => {
    const files = {
      Dockerfile: [
        `FROM ${env.busybox}`,
        'RUN <<EOF',
        'echo from heredoc > /h',
        'EOF',
        'RUN --mount=type=cache,target=/cache echo x >> /cache/log && wc -l < /cache/log > /count',
      ].join('\n'),
    };
    const one = await runBuild(env.svc, files, { nocache: '1' });
    assert.equal(one.error, undefined, one.text);
    assert.equal((await imageFile(env.store, one.id!, 'h'))?.data, 'from heredoc\n');
    assert.equal(await imageFile(env.store, one.id!, 'cache/log'), undefined);
    assert.equal(await imageFile(env.store, one.id!, 'dev/pipes'), undefined);
    const two = await runBuild(env.svc, files, { nocache: '1' });
    assert.equal((await imageFile(env.store, two.id!, 'count'))?.data?.trim(), String(Number((await imageFile(env.store, one.id!, 'count'))?.data?.trim()) + 1));
  });

  it('stops a RUN when the client goes away, leaving no container behind', async () => {
    const ac = new AbortController();
    const p = runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nRUN echo started && sleep 60 && echo finished\n` }, { nocache: '1' }, { signal: ac.signal });
    for (let i = 0; i < 400 && (await env.runtime.list()).every((c) => c.status !== 'running'); i++) await new Promise((res) => setTimeout(res, 50));
    ac.abort(new Error('client disconnected'));
    const r = await p;
    assert.ok(r.error, 'the build failed');
    assert.match(r.text, /Running in/);
    assert.doesNotMatch(r.text, /^finished$/m, 'the step was killed, not waited for');
    assert.deepEqual(await env.runtime.list(), []);
  });

  it('keeps the cache through rmi\'s garbage collection, recreating collected snapshots from the blobs', async () => {
    const files = { Dockerfile: `FROM ${env.busybox}\nRUN echo kept > /kept\n` };
    const first = await runBuild(env.svc, files, { t: 'gc-test:1' });
    assert.equal(first.error, undefined, first.text);
    const top = chainIds((await imageConfig(env.store, first.id!)).rootfs.diff_ids).at(-1)!;
    await env.store.remove('gc-test:1');
    assert.equal(env.store.tryResolve(first.id!), undefined);
    assert.equal(await env.store.snapshots.has(top), false, 'rmi collected the layer\'s snapshot');
    const again = await runBuild(env.svc, files, { t: 'gc-test:1' });
    assert.equal(again.error, undefined, again.text);
    assert.match(again.text, /RUN echo kept > \/kept\n ---> Using cache\n/);
    assert.equal(again.id, first.id);
    assert.equal((await imageFile(env.store, again.id!, 'kept'))?.data, 'kept\n');
  });

  it('/build/prune removes the cache records: the next build runs every step again', async () => {
    const files = { Dockerfile: `FROM ${env.busybox}\nRUN echo x > /x\n` };
    await runBuild(env.svc, files);
    const cached = await runBuild(env.svc, files);
    assert.match(cached.text, /Using cache/);
    const pruned = await env.svc.prune({ all: true, filters: new Map() });
    assert.ok(pruned.CachesDeleted.length >= 2);
    const again = await runBuild(env.svc, files);
    assert.equal(again.error, undefined, again.text);
    assert.doesNotMatch(again.text, /Using cache/);
  });
});
