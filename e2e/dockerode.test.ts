// dockerode 5 against the built tdockd (started by the kit on temporary roots): the container
// lifecycle, docker.run, logs through demuxStream, hijacked attach and exec with stdin, events, pull
// with followProgress, and the 304 of a second start. Images come from the kit registry only.
import assert from 'node:assert/strict';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';

const LOOP = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'];

/** Collects what is written to a PassThrough as a string. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

/** Reads a stream to its end. */
async function drain(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts);
}

/** Demuxes a multiplexed buffer into [stdout, stderr] with dockerode's own demuxStream. */
async function demux(d: Docker, raw: Buffer): Promise<[string, string]> {
  const out = sink();
  const err = sink();
  const src = new PassThrough();
  const done = new Promise((r) => src.on('end', r));
  d.modem.demuxStream(src, out.stream, err.stream);
  src.end(raw);
  await done;
  await new Promise((r) => setImmediate(r));
  return [out.text(), err.text()];
}

describe('e2e: dockerode against tdockd', function () {
  this.timeout(180_000);
  let roots: TempRoots;
  let reg: RegistryHandle;
  let daemon: DaemonHandle | undefined;
  let image: string;
  let docker: Docker;

  before(async () => {
    roots = await tempRoots();
    reg = await startRegistry();
    image = (await fixtures()).busybox.refIn(reg.host);
    daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
    docker = new Docker({ socketPath: roots.socket });
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  });

  afterEach(async () => {
    if (!daemon) return;
    const all = await docker.listContainers({ all: true }).catch(() => []);
    for (const c of all) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  });

  after(async () => {
    await daemon?.stop();
    await reg?.stop();
    await roots?.cleanup();
  });

  it('createContainer, start, wait, remove', async () => {
    const ctr = await docker.createContainer({ Image: image, name: 'dkr-life', Cmd: ['sh', '-c', 'exit 4'], HostConfig: { NetworkMode: 'none' } });
    assert.match(ctr.id, /^[a-f0-9]{64}$/);
    const created = await ctr.inspect();
    assert.equal(created.Name, '/dkr-life');
    assert.equal(created.State.Status, 'created');
    await ctr.start();
    assert.deepEqual(await ctr.wait(), { StatusCode: 4 });
    const exited = await ctr.inspect();
    assert.equal(exited.State.Status, 'exited');
    assert.equal(exited.State.ExitCode, 4);
    await ctr.remove();
    await assert.rejects(ctr.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  it('docker.run attaches before start: a fast-exiting container loses no output, StatusCode comes back', async () => {
    // dockerode's run defaults to Tty: true, so the output is raw and the pty turns \n into \r\n.
    const out = sink();
    const [data, ctr] = (await docker.run(image, ['sh', '-c', 'echo one; echo two; exit 3'], out.stream, { HostConfig: { NetworkMode: 'none' } })) as [{ StatusCode: number }, Docker.Container];
    assert.equal(data.StatusCode, 3);
    assert.equal(out.text(), 'one\r\ntwo\r\n');
    await ctr.remove();
    // With Tty: false and [stdout, stderr], run demuxes the attach stream itself.
    const o = sink();
    const e = sink();
    const [data2, ctr2] = (await docker.run(image, ['sh', '-c', 'echo out; echo err >&2; exit 0'], [o.stream, e.stream], { Tty: false, HostConfig: { NetworkMode: 'none' } })) as [{ StatusCode: number }, Docker.Container];
    assert.equal(data2.StatusCode, 0);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([o.text(), e.text()], ['out\n', 'err\n']);
    await ctr2.remove();
  });

  it('logs({follow:false}) is a Buffer that demuxStream splits into stdout and stderr', async () => {
    const ctr = await docker.createContainer({ Image: image, Cmd: ['sh', '-c', 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'], HostConfig: { NetworkMode: 'none' } });
    await ctr.start();
    await ctr.wait();
    const raw = await ctr.logs({ stdout: true, stderr: true, follow: false });
    assert.ok(Buffer.isBuffer(raw), 'a Buffer, not a stream');
    assert.deepEqual(await demux(docker, raw), ['out1\nout2\n', 'err1\nerr2\n']);
    const onlyErr = await ctr.logs({ stdout: false, stderr: true, follow: false });
    assert.deepEqual(await demux(docker, onlyErr), ['', 'err1\nerr2\n']);
  });

  it('hijacked attach with stdin: what is written comes back from cat', async () => {
    const ctr = await docker.createContainer({ Image: image, Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, HostConfig: { NetworkMode: 'none' } });
    const stream = (await ctr.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    const out = sink();
    const err = sink();
    docker.modem.demuxStream(stream, out.stream, err.stream);
    const ended = new Promise((r) => stream.on('end', r));
    await ctr.start();
    stream.write('hello through attach\n');
    stream.end();
    assert.deepEqual(await ctr.wait(), { StatusCode: 0 });
    await ended;
    assert.equal(out.text(), 'hello through attach\n', 'the JSON request body must not reach stdin');
    assert.equal(err.text(), '');
  });

  it('exec with a hijacked stdin, and exec.inspect().ExitCode', async () => {
    const ctr = await docker.createContainer({ Image: image, Cmd: LOOP, HostConfig: { NetworkMode: 'none' } });
    await ctr.start();
    const exec = await ctr.exec({ Cmd: ['sh', '-c', 'cat; echo bye >&2; exit 9'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    const out = sink();
    const err = sink();
    docker.modem.demuxStream(stream, out.stream, err.stream);
    const ended = new Promise((r) => stream.on('end', r));
    stream.write('exec input\n');
    stream.end();
    await ended;
    assert.equal(out.text(), 'exec input\n');
    assert.equal(err.text(), 'bye\n');
    let info = await exec.inspect();
    for (let i = 0; i < 50 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await exec.inspect();
    }
    assert.equal(info.Running, false);
    assert.equal(info.ExitCode, 9);
  });

  it('getEvents({filters}) sees create, start and die with the legacy fields', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const ctr = await docker.createContainer({ Image: image, name: 'dkr-ev', Cmd: ['sh', '-c', 'exit 2'], HostConfig: { NetworkMode: 'none' } });
    await ctr.start();
    await ctr.wait();
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = (await docker.getEvents({ since, until, filters: { container: [ctr.id], type: ['container'] } })) as unknown as Readable;
    const lines = (await drain(ev)).toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const actions = lines.map((l) => l.Action);
    for (const a of ['create', 'start', 'die']) assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
    assert.deepEqual(actions.slice(0, 3), ['create', 'start', 'die']);
    for (const l of lines) {
      assert.equal(l.Type, 'container');
      assert.equal(l.id, ctr.id, 'legacy id');
      assert.equal(l.status, l.Action, 'legacy status');
      assert.equal(l.from, image, 'legacy from');
      assert.equal(l.scope, 'local');
      assert.equal(typeof l.time, 'number');
      assert.equal(typeof l.timeNano, 'number');
      const actor = l.Actor as { ID: string; Attributes: Record<string, string> };
      assert.equal(actor.ID, ctr.id);
      assert.equal(actor.Attributes.name, 'dkr-ev');
      assert.equal(actor.Attributes.image, image);
    }
    const die = lines.find((l) => l.Action === 'die')!;
    assert.equal((die.Actor as { Attributes: Record<string, string> }).Attributes.exitCode, '2');
  });

  it('pull + followProgress ends with a Status: line', async () => {
    const stream = await docker.pull(image);
    const events: Array<{ status?: string }> = [];
    const out = await new Promise<Array<{ status?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, res: Array<{ status?: string }>) => (err ? reject(err) : resolve(res)), (e: { status?: string }) => events.push(e)),
    );
    assert.ok(out.length > 0);
    assert.match(out[out.length - 1]!.status ?? '', /^Status: (Image is up to date for|Downloaded newer image for) /);
    assert.equal(events.length, out.length);
  });

  it('a second start of a running container rejects with 304', async () => {
    const ctr = await docker.createContainer({ Image: image, Cmd: LOOP, HostConfig: { NetworkMode: 'none' } });
    await ctr.start();
    await assert.rejects(ctr.start(), (e: { statusCode?: number }) => e.statusCode === 304);
    assert.equal((await ctr.inspect()).State.Running, true);
    await ctr.stop({ t: 5 });
    assert.equal((await ctr.inspect()).State.ExitCode, 0);
  });
});
