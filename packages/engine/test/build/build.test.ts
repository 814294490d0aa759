// The engine's Dockerfile builds on the real kernel: the kit's busybox from a loopback registry, RUN through the
// runtime, COPY into layers, the persistent cache, docker's legacy stream, and context safety.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder } from '@tdock/testkit';
import { buildEnv, imageConfig, imageFile, runBuild, type BuildEnv, type ContextFile } from './support.js';

describe('build service (store + runtime, no HTTP)', function () {
  this.timeout(180_000);
  let env: BuildEnv;

  before(async () => {
    env = await buildEnv();
  });
  after(async () => {
    const left = env ? mountsUnder(env.roots.dir) : [];
    const tmp = env ? readdirSync(join(env.roots.dataRoot, 'builder', 'tmp')) : [];
    await env?.cleanup();
    assert.deepEqual(left, [], 'no host mounts left by builds');
    assert.deepEqual(tmp, [], 'no build scratch left');
  });

  const app = (a: string): Record<string, ContextFile> => ({
    Dockerfile: [
      `FROM ${env.busybox}`,
      'ENV GREETING=hello',
      'WORKDIR /app',
      'COPY a.txt sub ./',
      'RUN echo "$GREETING from $(cat a.txt)" > out.txt && echo warn >&2',
      'CMD ["cat", "/app/out.txt"]',
    ].join('\n'),
    'a.txt': a,
    sub: { type: 'dir' },
    'sub/b.txt': { data: 'bee', mode: 0o600 },
  });

  it('builds RUN/COPY/ENV/WORKDIR/CMD into an image with docker\'s config, history, files and stream', async () => {
    const r = await runBuild(env.svc, app('A'), { t: ['app:1', 'app:latest'] });
    assert.equal(r.error, undefined, `${r.error?.message}\n${r.text}`);
    const id = r.id!;
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const lines = r.text;
    assert.match(lines, new RegExp(`^Step 1/6 : FROM ${env.busybox.replace(/[.]/g, '\\.')}\n ---> [a-f0-9]{12}\n`));
    assert.match(lines, /Step 5\/6 : RUN echo[^\n]*\n ---> Running in ([a-f0-9]{12})\n[\s\S]*Removing intermediate container \1\n ---> [a-f0-9]{12}\n/);
    // metadata and WORKDIR steps go through a container in docker (created, never started); COPY does not
    assert.match(lines, /Step 2\/6 : ENV GREETING=hello\n ---> Running in ([a-f0-9]{12})\nRemoving intermediate container \1\n ---> [a-f0-9]{12}\nStep 3\/6 : WORKDIR \/app\n ---> Running in ([a-f0-9]{12})\nRemoving intermediate container \2\n ---> [a-f0-9]{12}\nStep 4\/6 : COPY a.txt sub .\/\n ---> [a-f0-9]{12}\nStep 5/);
    assert.ok(lines.includes('\u001b[91mwarn\n\u001b[0m'), 'stderr in red');
    assert.ok(lines.endsWith(` ---> ${id.slice(7, 19)}\nSuccessfully built ${id.slice(7, 19)}\nSuccessfully tagged app:1\nSuccessfully tagged app:latest\n`), lines);
    assert.ok(!lines.includes('Using cache'));
    assert.equal(env.store.resolve('app:1').id, id);
    assert.equal(env.store.resolve('app:latest').id, id);

    const cfg = await imageConfig(env.store, id);
    const base = await imageConfig(env.store, env.busybox);
    assert.ok(cfg.config?.Env?.includes('GREETING=hello'));
    assert.equal(cfg.config?.WorkingDir, '/app');
    assert.deepEqual(cfg.config?.Cmd, ['cat', '/app/out.txt']);
    const hist = cfg.history!.slice(base.history!.length);
    assert.deepEqual(hist.map((h) => h.created_by), [
      '/bin/sh -c #(nop)  ENV GREETING=hello',
      '/bin/sh -c #(nop) WORKDIR /app',
      hist[2]!.created_by,
      '/bin/sh -c echo "$GREETING from $(cat a.txt)" > out.txt && echo warn >&2',
      '/bin/sh -c #(nop)  CMD ["cat" "/app/out.txt"]',
    ]);
    assert.match(hist[2]!.created_by!, /^\/bin\/sh -c #\(nop\) COPY multi:[a-f0-9]{64} in \.\/ $/);
    assert.deepEqual(hist.map((h) => h.empty_layer ?? false), [true, false, false, false, true]);
    assert.equal(cfg.rootfs.diff_ids.length, base.rootfs.diff_ids.length + 3);

    // every step is an untagged intermediate image whose Parent is the step before, down to the base image
    const stepIds = [...lines.matchAll(/\n ---> ([a-f0-9]{12})\n/g)].map((m) => m[1]!);
    assert.equal(stepIds.length, 6, lines);
    const chain: string[] = [];
    for (let rec = env.store.metadata.image(id); rec; rec = rec.parent ? env.store.metadata.image(rec.parent) : undefined) chain.push(rec.id.slice(7, 19));
    assert.deepEqual(chain, [...stepIds].reverse(), 'Parent chain = the ids the stream printed, base last');
    assert.deepEqual(env.store.metadata.referencesOf(env.store.tryResolve(stepIds[3]!)!.id), [], 'intermediates are untagged');
    const listed = (await env.store.list()).map((i) => i.Id.slice(7, 19));
    const listedAll = (await env.store.list(undefined, true)).map((i) => i.Id.slice(7, 19));
    for (const step of stepIds.slice(1, 5)) {
      assert.ok(!listed.includes(step), `${step} hidden from docker images`);
      assert.ok(listedAll.includes(step), `${step} listed by docker images -a`);
    }
    const hsteps = await env.store.history(id);
    assert.deepEqual(hsteps.slice(0, 6).map((h) => h.Id.slice(7, 19)), [...stepIds].reverse(), 'history names each step\'s image');

    assert.equal((await imageFile(env.store, id, 'app/out.txt'))?.data, 'hello from A\n');
    const a = await imageFile(env.store, id, 'app/a.txt');
    assert.deepEqual([a?.data, a?.uid, a?.gid, a?.mode], ['A', 0, 0, 0o644]);
    const b = await imageFile(env.store, id, 'app/b.txt');
    assert.deepEqual([b?.data, b?.mode], ['bee', 0o600]);
  });

  it('rebuilds from the cache (also after a restart) and reruns from a changed COPY source', async () => {
    const first = await runBuild(env.svc, app('A'), { t: 'app:1' });
    const again = await runBuild(await env.reopen(), app('A'), { t: 'app:1' });
    assert.equal(again.error, undefined, again.text);
    assert.equal(again.id, first.id);
    assert.equal(again.text.match(/ ---> Using cache\n/g)?.length, 5, again.text);
    assert.ok(!again.text.includes('Running in'));
    const ids = (t: string): string[] => [...t.matchAll(/\n ---> ([a-f0-9]{12})\n/g)].map((m) => m[1]!);
    assert.deepEqual(ids(again.text), ids(first.text), 'a cache hit names the intermediate image of the first build');

    const changed = await runBuild(env.svc, app('B'));
    assert.equal(changed.error, undefined, changed.text);
    assert.notEqual(changed.id, first.id);
    const steps = changed.text.split(/^Step /m).slice(1);
    assert.deepEqual(steps.map((s) => s.includes('Using cache')), [false, true, true, false, false, false]);
    assert.equal((await imageFile(env.store, changed.id!, 'app/out.txt'))?.data, 'hello from B\n');

    const nocache = await runBuild(env.svc, app('A'), { nocache: '1' });
    assert.ok(!nocache.text.includes('Using cache'));
  });

  it('q=1 sends only the image ID (aux and stream), with labels and build args applied', async () => {
    const r = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nARG X\nRUN echo "$X" > /x\n` }, {
      q: 'True', buildargs: JSON.stringify({ X: 'ex', UNUSED: 'u' }), labels: JSON.stringify({ 'com.example.k': 'v' }),
    });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.messages.filter((m) => m.stream !== undefined), [{ stream: `${r.id}\n` }]);
    assert.equal((await imageFile(env.store, r.id!, 'x'))?.data, 'ex\n');
    assert.deepEqual((await imageConfig(env.store, r.id!)).config?.Labels, { 'com.example.k': 'v' });
    const loud = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nARG X\nRUN echo "$X" > /x\n` }, { buildargs: JSON.stringify({ X: 'ex', UNUSED: 'u' }) });
    assert.match(loud.text, /\[Warning\] One or more build-args \[UNUSED\] were not consumed\n/);
  });

  it('reports a failing RUN with its exit code, in docker\'s words, and keeps or removes its container as docker\'s rm and forcerm say', async () => {
    env.kept.splice(0);
    const r = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nRUN echo before\nRUN exit 3\n` });
    assert.ok(r.error);
    assert.equal(r.error.exitCode, 3);
    assert.equal(r.error.message, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    const failed = /Step 3\/3 : RUN exit 3\n ---> Running in ([a-f0-9]{12})\n$/.exec(r.text);
    assert.ok(failed, `no removal line for a failing step without forcerm: ${r.text}`);
    // dockerd keeps the failed step's container (rm removes only after a successful step): on the previous step's image
    assert.equal(env.kept.length, 1);
    const k = env.kept[0]!;
    assert.equal(k.id.slice(0, 12), failed[1]);
    assert.equal(k.exitCode, 3);
    assert.deepEqual(k.config.Cmd, ['/bin/sh', '-c', 'exit 3']);
    assert.equal(k.config.Entrypoint, undefined);
    assert.equal(k.hostConfig.LogConfig?.Type, 'none');
    const ids = [...r.text.matchAll(/\n ---> ([a-f0-9]{12})\n/g)].map((m) => m[1]!);
    assert.equal(k.image.slice(7, 19), ids.at(-1), 'created from the image of the step before');
    assert.equal(k.config.Image, k.image);
    assert.ok(k.rootfs.upper && existsSync(k.rootfs.upper), 'the container keeps its snapshot');
    await env.store.snapshots.removeActive(k.id);
    const forced = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nRUN echo before\nRUN exit 3\n` }, { forcerm: '1' });
    assert.equal(forced.error?.exitCode, 3);
    assert.match(forced.text, /Step 3\/3 : RUN exit 3\n ---> Running in ([a-f0-9]{12})\nRemoving intermediate container \1\n$/);
    assert.equal(env.kept.length, 1, 'forcerm keeps nothing');
    // rm=False (docker-py's default): every step's container stays (RUN's exited with 0, ENV's never started), no removal lines
    const kept = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nENV K=1\nRUN true\n` }, { rm: 'False', nocache: '1' });
    assert.equal(kept.error, undefined, kept.text);
    assert.doesNotMatch(kept.text, /Removing intermediate container|\[Warning\]/);
    const m = /Step 1\/3 : FROM \S+\n ---> ([a-f0-9]{12})\nStep 2\/3 : ENV K=1\n ---> Running in ([a-f0-9]{12})\n ---> ([a-f0-9]{12})\nStep 3\/3 : RUN true\n ---> Running in ([a-f0-9]{12})\n ---> [a-f0-9]{12}\nSuccessfully built/.exec(kept.text);
    assert.ok(m, kept.text);
    assert.equal(env.kept.length, 3);
    const meta = env.kept.find((c) => c.id.startsWith(m[2]!));
    assert.ok(meta, 'the ENV step\'s container is kept');
    assert.equal(meta.image.slice(7, 19), m[1], 'on the base image');
    assert.deepEqual(meta.config.Cmd, ['/bin/sh', '-c', '#(nop) ', 'ENV K=1']);
    assert.equal(meta.neverStarted, true);
    await env.store.snapshots.removeActive(meta.id);
    const run = env.kept.find((c) => c.id.startsWith(m[4]!))!;
    assert.ok(run);
    assert.equal(run.image.slice(7, 19), m[3]);
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.config.Cmd, ['/bin/sh', '-c', 'true']);
    assert.ok(run.config.Env?.includes('K=1'));
    await env.store.snapshots.removeActive(run.id);
    const removed = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\nRUN true\n` }, { nocache: '1' });
    assert.match(removed.text, /Removing intermediate container [a-f0-9]{12}\n/);
    assert.equal(env.kept.length, 3, 'the default rm removes a successful step\'s container');
  });

  it('gives RUN the extra hosts in a generated /etc/hosts, never leaving it in the layer (even when the image has none)', async () => {
    const r = await runBuild(env.svc, {
      Dockerfile: `FROM ${env.busybox}\nRUN grep foo.example /etc/hosts > /seen && touch /etc/new\n`,
    }, { extrahosts: 'foo.example:10.9.8.7', nocache: '1' });
    assert.equal(r.error, undefined, r.text);
    assert.equal(await imageFile(env.store, env.busybox, 'etc/hosts'), undefined, 'the kit\'s busybox has no /etc/hosts');
    assert.equal((await imageFile(env.store, r.id!, 'seen'))?.data, '10.9.8.7\tfoo.example\n');
    assert.equal((await imageFile(env.store, r.id!, 'etc/new'))?.data, '');
    assert.equal(await imageFile(env.store, r.id!, 'etc/hosts'), undefined, 'the mount point stays out of the layer');
    const etcBase = await imageFile(env.store, env.busybox, 'etc');
    const etcNew = await imageFile(env.store, r.id!, 'etc');
    assert.deepEqual([etcNew?.mode, etcNew?.uid, etcNew?.gid], [etcBase?.mode, etcBase?.uid, etcBase?.gid], '/etc keeps the image\'s attributes');
  });

  it('never exposes host files through context symlinks and refuses entries escaping the context', async () => {
    const files: Record<string, ContextFile> = {
      Dockerfile: `FROM ${env.busybox}\nCOPY . /ctx/\n`,
      passwd: { type: 'symlink', linkname: '/etc/passwd' },
      up: { type: 'symlink', linkname: '../../../../../../etc' },
    };
    const r = await runBuild(env.svc, files, {}, { gzip: true });
    assert.equal(r.error, undefined, r.text);
    assert.deepEqual((await imageFile(env.store, r.id!, 'ctx/passwd'))?.link, '/etc/passwd');
    assert.deepEqual((await imageFile(env.store, r.id!, 'ctx/up'))?.link, '../../../../../../etc');

    const direct = await runBuild(env.svc, { ...files, Dockerfile: `FROM ${env.busybox}\nCOPY passwd /p\n` });
    assert.equal(direct.error?.kind, 'not-found', direct.error?.message);
    const through = await runBuild(env.svc, { ...files, Dockerfile: `FROM ${env.busybox}\nCOPY up/passwd /p\n` });
    assert.equal(through.error?.kind, 'not-found', through.error?.message);

    const escape = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\n`, '../evil': 'x' });
    assert.equal(escape.error?.kind, 'invalid-argument');
    const viaLink = await runBuild(env.svc, { Dockerfile: `FROM ${env.busybox}\n`, up: { type: 'symlink', linkname: '/tmp' }, 'up/evil': 'x' });
    assert.match(viaLink.error?.message ?? '', /symbolic link/);
  });

  it('gives identical image IDs for two builds with SOURCE_DATE_EPOCH', async () => {
    const files: Record<string, ContextFile> = {
      Dockerfile: `FROM ${env.busybox}\nARG SOURCE_DATE_EPOCH\nCOPY a.txt /a.txt\nRUN mkdir -p /data && echo hi > /data/f && touch /etc/x && sleep 1\n`,
      'a.txt': 'same',
    };
    const q = { nocache: '1', buildargs: JSON.stringify({ SOURCE_DATE_EPOCH: '1700000000' }) };
    const one = await runBuild(env.svc, files, q);
    const two = await runBuild(env.svc, files, q);
    assert.equal(one.error, undefined, one.text);
    assert.equal(two.error, undefined, two.text);
    const cfg = await imageConfig(env.store, one.id!);
    assert.equal(cfg.created, '2023-11-14T22:13:20.000Z');
    assert.equal(one.id, two.id);
    assert.equal(cfg.rootfs.diff_ids.length, (await imageConfig(env.store, env.busybox)).rootfs.diff_ids.length + 2);
  });
});
