// The engine's services against the real runtime and image store (no HTTP): container lifecycle,
// names, attach, logs, exec, volumes, events and live-restore, with the kit's busybox.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fixtures, startRegistry, tempRoots, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import type { EngineEvent, OutputChunk, ProgressSink, StreamSink } from '../src/api/services.js';
import { createServices, type EngineServices } from '../src/services/index.js';

const sink = (): ProgressSink => ({ status: () => undefined, progress: () => undefined, stream: () => undefined, aux: () => undefined });
const never = (): AbortSignal => new AbortController().signal;

function collect(): StreamSink & { chunks: OutputChunk[]; text: (s?: string) => string } {
  const chunks: OutputChunk[] = [];
  return {
    chunks,
    write: (c) => void chunks.push(c),
    drained: async () => undefined,
    text: (s) => Buffer.concat(chunks.filter((c) => !s || c.stream === s).map((c) => c.data)).toString(),
  };
}

async function rejectsKind(p: Promise<unknown>, kind: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { kind?: string }) => {
    assert.equal(err.kind, kind, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('engine services (runtime + store, no HTTP)', function () {
  this.timeout(120_000);
  let reg: RegistryHandle;
  let roots: TempRoots;
  let svc: EngineServices;
  let image: string;
  const opened: EngineServices[] = [];

  const open = async (): Promise<EngineServices> => {
    const s = await createServices({ dataRoot: roots.dataRoot, runRoot: roots.execRoot, cgroupParent: roots.cgroupParent });
    opened.push(s);
    return s;
  };
  const create = async (cmd: string[], extra: Record<string, unknown> = {}, name?: string): Promise<string> =>
    (await svc.containers.create({ ...(name ? { name } : {}), body: { Image: image, Cmd: cmd, HostConfig: { NetworkMode: 'none' }, ...extra }, apiVersion: '1.47' })).Id;

  before(async () => {
    roots = await tempRoots();
    reg = await startRegistry();
    image = (await fixtures()).busybox.refIn(reg.host);
    svc = await open();
    await svc.images.pull({ fromImage: image, tag: '', progress: sink(), signal: never() });
  });

  after(async () => {
    for (const s of opened) {
      for (const c of await s.containers.list({ all: true, limit: -1, size: false, filters: new Map() }).catch(() => [])) {
        await s.containers.remove(c.Id as string, { force: true, volumes: true, link: false }).catch(() => undefined);
      }
      await s.close();
    }
    await reg?.stop();
    await roots?.cleanup();
  });

  it('runs a container to its exit code, keeps stdout and stderr apart in the log, and reports Docker states', async () => {
    const id = await create(['sh', '-c', 'echo out; echo err >&2; exit 3'], {}, 'three');
    const inspect0 = await svc.containers.inspect(id, { size: false });
    assert.equal((inspect0.State as { Status: string }).Status, 'created');
    assert.deepEqual(Object.keys((inspect0.NetworkSettings as { Networks: Record<string, unknown> }).Networks), ['none']);
    const w = await svc.containers.wait(id, 'next-exit', never());
    await svc.containers.start(id, {});
    assert.deepEqual(await w.result, { StatusCode: 3 });
    const st = (await svc.containers.inspect('three', { size: false })).State as Record<string, unknown>;
    assert.equal(st.Status, 'exited');
    assert.equal(st.ExitCode, 3);
    assert.equal(st.Running, false);
    const logs = await svc.containers.logs(id, { follow: false, stdout: true, stderr: true, timestamps: false, tail: 'all', details: false, signal: never() });
    const got: Record<string, string> = { stdout: '', stderr: '' };
    for await (const e of logs.entries) got[e.stream] += e.data.toString();
    assert.deepEqual(got, { stdout: 'out\n', stderr: 'err\n' });
    const [row] = await svc.containers.list({ all: true, limit: -1, size: false, filters: new Map([['name', ['three']]]) });
    assert.match(row.Status as string, /^Exited \(3\) /);
    assert.deepEqual(row.Names, ['/three']);
    assert.equal((await svc.containers.list({ all: false, limit: -1, size: false, filters: new Map() })).length, 0);
    await svc.containers.remove(id, { force: false, volumes: false, link: false });
    await rejectsKind(svc.containers.inspect(id, { size: false }), 'not-found', /No such container/);
  });

  it('refuses a taken name and an unknown image with Docker\'s messages', async () => {
    const id = await create(['true'], {}, 'dup');
    await rejectsKind(create(['true'], {}, 'dup'), 'conflict', new RegExp(`^Conflict. The container name "/dup" is already in use by container "${id}". You have to remove \\(or rename\\) that container to be able to reuse that name.$`));
    await rejectsKind(svc.containers.create({ body: { Image: `${reg.host}/kit/nothing:latest` }, apiVersion: '1.47' }), 'not-found', /^No such image: /);
    await svc.containers.remove('dup', { force: false, volumes: false, link: false });
  });

  it('stops with the stop signal (304 when stopped), refuses to kill or remove without force, and force-removes', async () => {
    const id = await create(['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done']);
    await svc.containers.start(id, {});
    await rejectsKind(svc.containers.start(id, {}), 'not-modified');
    await rejectsKind(svc.containers.remove(id, { force: false, volumes: false, link: false }), 'conflict', /^cannot remove container "\/[a-z_0-9]+": container is running: stop the container before removing or force remove$/);
    await svc.containers.stop(id, { timeout: 30 });
    assert.equal(((await svc.containers.inspect(id, { size: false })).State as { ExitCode: number }).ExitCode, 0);
    await rejectsKind(svc.containers.stop(id, {}), 'not-modified');
    await rejectsKind(svc.containers.kill(id, 'KILL'), 'conflict', new RegExp(`^container ${id} is not running$`));
    await svc.containers.start(id, {});
    const removed = await svc.containers.wait(id, 'removed', never());
    await svc.containers.remove(id, { force: true, volumes: false, link: false });
    assert.equal((await removed.result).StatusCode, 137);
  });

  it('attaches before start: stdin reaches the process, its EOF closes stdin (StdinOnce), output is complete', async () => {
    const id = await create(['sh', '-c', 'cat; echo done'], { OpenStdin: true, StdinOnce: true, AttachStdin: true });
    const session = await svc.containers.attach(id, { stream: true, logs: false, stdin: true, stdout: true, stderr: true });
    const stdin = new PassThrough();
    const out = collect();
    const running = session.run({ stdin, sink: out, signal: never() });
    stdin.end('hello\n');
    await svc.containers.start(id, {});
    await running;
    assert.equal(out.text(), 'hello\ndone\n');
    await svc.containers.remove(id, { force: true, volumes: false, link: false });
  });

  it('execs in a running container and records ExitCode before the stream ends', async () => {
    const id = await create(['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done']);
    await svc.containers.start(id, {});
    const { Id } = await svc.exec.create(id, { Cmd: ['sh', '-c', 'echo $((6*7)); exit 7'], AttachStdout: true, AttachStderr: true });
    const session = await svc.exec.start(Id, { tty: false });
    const out = collect();
    await session.run({ stdin: null, sink: out, signal: never() });
    assert.equal(out.text('stdout'), '42\n');
    const ins = await svc.exec.inspect(Id);
    assert.equal(ins.ExitCode, 7);
    assert.equal(ins.Running, false);
    await svc.containers.remove(id, { force: true, volumes: false, link: false });
  });

  it('keeps named volume data across containers, copies image content into a new volume, and refuses to remove a volume in use', async () => {
    await svc.volumes.create({ Name: 'keep', Labels: { a: 'b' } });
    const w1 = await create(['sh', '-c', 'echo kept > /data/f'], { HostConfig: { NetworkMode: 'none', Binds: ['keep:/data'] } });
    await svc.containers.start(w1, {});
    await (await svc.containers.wait(w1, 'not-running', never())).result;
    const r = await create(['cat', '/data/f', '/etc/passwd'], { HostConfig: { NetworkMode: 'none', Binds: ['keep:/data', 'etccopy:/etc'] } });
    const done = await svc.containers.wait(r, 'next-exit', never());
    await svc.containers.start(r, {});
    assert.equal((await done.result).StatusCode, 0);
    const logs = await svc.containers.logs(r, { follow: false, stdout: true, stderr: true, timestamps: false, tail: 'all', details: false, signal: never() });
    let text = '';
    for await (const e of logs.entries) text += e.data.toString();
    assert.match(text, /^kept\nroot:/);
    await rejectsKind(svc.volumes.remove('keep', false), 'conflict', new RegExp(`^remove keep: volume is in use - \\[(${w1}|${r}), (${w1}|${r})\\]$`));
    const listed = await svc.volumes.list(new Map([['label', ['a=b']]]));
    assert.deepEqual(listed.Volumes.map((v) => v.Name), ['keep']);
    const v = await svc.volumes.inspect('keep');
    assert.equal(v.Scope, 'local');
    assert.match(v.CreatedAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await svc.containers.remove(w1, { force: false, volumes: false, link: false });
    await svc.containers.remove(r, { force: false, volumes: false, link: false });
    await svc.volumes.remove('keep', false);
    await svc.volumes.remove('etccopy', false);
  });

  it('removes anonymous volumes from image VOLUME and -v /path with the container when asked', async () => {
    const id = await create(['true'], { Volumes: { '/anon': {} } });
    const mounts = (await svc.containers.inspect(id, { size: false })).Mounts as Array<{ Name: string; Destination: string }>;
    assert.equal(mounts.length, 1);
    assert.equal(mounts[0].Destination, '/anon');
    assert.match(mounts[0].Name, /^[a-f0-9]{64}$/);
    await svc.containers.remove(id, { force: false, volumes: true, link: false });
    await rejectsKind(svc.volumes.inspect(mounts[0].Name), 'not-found');
  });

  it('diffs the container layer against its image (mount points left out) and commits it as an image', async () => {
    const id = await create(['sh', '-c', 'echo x > /tmp/new; rm /bin/ls']);
    const w = await svc.containers.wait(id, 'next-exit', never());
    await svc.containers.start(id, {});
    await w.result;
    assert.deepEqual(await svc.containers.changes(id), [{ Path: '/bin', Kind: 0 }, { Path: '/bin/ls', Kind: 2 }, { Path: '/tmp', Kind: 0 }, { Path: '/tmp/new', Kind: 1 }]);
    const [sized] = await svc.containers.list({ all: true, limit: -1, size: true, filters: new Map([['id', [id]]]) });
    assert.ok((sized.SizeRw as number) > 0 && (sized.SizeRootFs as number) > (sized.SizeRw as number), JSON.stringify(sized));
    const { Id } = await svc.containers.commit({ container: id, repo: 'committed', tag: 'v1', pause: true, changes: ['CMD ["cat", "/tmp/new"]'], config: {} });
    const img = await svc.images.inspect('committed:v1');
    assert.equal(img.Id, Id);
    assert.deepEqual((img.Config as { Cmd: string[] }).Cmd, ['cat', '/tmp/new']);
    const c2 = (await svc.containers.create({ body: { Image: 'committed:v1', HostConfig: { NetworkMode: 'none' } }, apiVersion: '1.47' })).Id;
    const w2 = await svc.containers.wait(c2, 'next-exit', never());
    await svc.containers.start(c2, {});
    assert.equal((await w2.result).StatusCode, 0);
    const logs = await svc.containers.logs(c2, { follow: false, stdout: true, stderr: true, timestamps: false, tail: 'all', details: false, signal: never() });
    let text = '';
    for await (const e of logs.entries) text += e.data.toString();
    assert.equal(text, 'x\n');
    await svc.containers.remove(c2, { force: false, volumes: false, link: false });
    await svc.containers.remove(id, { force: false, volumes: false, link: false });
    await svc.images.remove('committed:v1', { force: false, noprune: false });
  });

  it('copies files out of and into a stopped and a running container, inside its root', async () => {
    const id = await create(['sh', '-c', 'echo data > /tmp/f; trap "exit 0" TERM; while true; do sleep 0.1; done'], {}, 'cp-box');
    const tarOf = (file: string, content: string): Readable => {
      const dir = fs.mkdtempSync(path.join(roots.dir, 'cp-'));
      fs.writeFileSync(path.join(dir, file), content);
      return Readable.from([execFileSync('tar', ['-c', '-f', '-', '-C', dir, file])]);
    };
    const listTar = async (r: Readable): Promise<string> => {
      const chunks: Buffer[] = [];
      for await (const c of r) chunks.push(c as Buffer);
      return execFileSync('tar', ['-x', '-O', '-f', '-'], { input: Buffer.concat(chunks) }).toString();
    };
    for (const phase of ['stopped', 'running']) {
      await svc.containers.start(id, {});
      if (phase === 'stopped') await svc.containers.stop(id, { timeout: 30 });
      const st = await svc.containers.statPath(id, '/tmp/f');
      assert.equal(st.name, 'f');
      assert.equal(st.size, 5);
      const { tar } = await svc.containers.getArchive(id, '/tmp/f', never());
      assert.equal(await listTar(tar), 'data\n', phase);
      await svc.containers.putArchive(id, '/tmp', tarOf(`in-${phase}`, phase), { noOverwriteDirNonDir: false, copyUIDGID: false });
      assert.equal(await listTar((await svc.containers.getArchive(id, `/tmp/in-${phase}`, never())).tar), phase);
      await rejectsKind(svc.containers.statPath(id, '/../../../etc/shadow'), 'not-found');
    }
    await svc.containers.remove(id, { force: true, volumes: false, link: false });
  });

  it('restarts on failure up to the maximum with backoff, and runs health checks into healthy', async () => {
    const id = await create(['sh', '-c', 'echo run; exit 1'], { HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await svc.containers.start(id, {});
    let ins = await svc.containers.inspect(id, { size: false });
    for (let i = 0; i < 200 && !((ins.RestartCount as number) === 2 && (ins.State as { Status: string }).Status === 'exited'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      ins = await svc.containers.inspect(id, { size: false });
    }
    assert.equal(ins.RestartCount, 2);
    assert.equal((ins.State as { ExitCode: number }).ExitCode, 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await svc.containers.inspect(id, { size: false })).RestartCount, 2, 'no third restart');
    await svc.containers.remove(id, { force: true, volumes: false, link: false });

    const h = await create(['sh', '-c', 'trap "exit 0" TERM; sleep 1; touch /tmp/ok; while true; do sleep 0.1; done'], { Healthcheck: { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 300_000_000, Retries: 10 } });
    await svc.containers.start(h, {});
    assert.equal(((await svc.containers.inspect(h, { size: false })).State as { Health: { Status: string } }).Health.Status, 'starting');
    let health = { Status: '', FailingStreak: 0, Log: [] as unknown[] };
    for (let i = 0; i < 100 && health.Status !== 'healthy'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = ((await svc.containers.inspect(h, { size: false })).State as { Health: typeof health }).Health;
    }
    assert.equal(health.Status, 'healthy');
    assert.equal(health.FailingStreak, 0);
    assert.ok(health.Log.length >= 1);
    const [row] = await svc.containers.list({ all: false, limit: -1, size: false, filters: new Map([['health', ['healthy']]]) });
    assert.match(row.Status as string, /^Up .* \(healthy\)$/);
    await svc.containers.remove(h, { force: true, volumes: false, link: false });
  });

  it('publishes the lifecycle as events with Docker\'s attributes, replayed with since', async () => {
    const since = BigInt(Date.now()) * 1_000_000n;
    const id = await create(['sh', '-c', 'exit 2'], { Labels: { team: 'x' } }, 'evt');
    const w = await svc.containers.wait(id, 'next-exit', never());
    await svc.containers.start(id, {});
    await w.result;
    await svc.containers.remove(id, { force: false, volumes: false, link: false });
    const ac = new AbortController();
    const seen: EngineEvent[] = [];
    setTimeout(() => ac.abort(), 300);
    for await (const e of svc.events.subscribe({ since, filters: new Map([['container', ['evt']], ['type', ['container']]]), signal: ac.signal })) seen.push(e);
    assert.deepEqual(seen.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
    assert.equal(seen[2].Actor.Attributes.exitCode, '2');
    assert.equal(seen[0].Actor.Attributes.team, 'x');
    assert.equal(seen[0].Actor.Attributes.name, 'evt');
  });

  it('live-restore: a new service instance finds running containers running and exited ones with their code', async () => {
    const keep = await create(['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'], {}, 'lr-keep');
    const gone = await create(['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'], {}, 'lr-gone');
    await svc.containers.start(keep, {});
    await svc.containers.start(gone, {});
    const pid = ((await svc.containers.inspect(gone, { size: false })).State as { Pid: number }).Pid;
    await svc.close(); // the "daemon" goes away; containers keep running
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    svc = await open();
    const st = async (id: string): Promise<Record<string, unknown>> => (await svc.containers.inspect(id, { size: false })).State as Record<string, unknown>;
    assert.equal((await st(keep)).Running, true);
    assert.equal((await st(gone)).Running, false);
    assert.equal((await st(gone)).ExitCode, 137);
    await svc.containers.stop(keep, { timeout: 30 });
    assert.equal((await st(keep)).ExitCode, 0);
    // An `always` container that is not running when the daemon starts is started with it.
    await svc.containers.update(keep, { RestartPolicy: { Name: 'always' } });
    await svc.close();
    svc = await open();
    let running = false;
    for (let i = 0; i < 100 && !running; i++) {
      running = (await st(keep)).Running === true;
      if (!running) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(running, 'restarted with the daemon');
    await svc.containers.stop(keep, { timeout: 30 });
    await svc.containers.remove(keep, { force: false, volumes: false, link: false });
    await svc.containers.remove(gone, { force: false, volumes: false, link: false });
  });
});
