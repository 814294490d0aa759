// The real docker CLI against the HTTP layer with an in-memory fake engine: proves the wire (negotiation,
// hijacked attach, wait headers before start, stdin half-close, exit codes) without stores or runtime.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TdockError, notFound } from '@tdock/core';
import { buildApp, type ContainerCreateBody, type OutputChunk, type StreamSession, type StreamSink, type WaitResponse } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

const DOCKER = '/usr/local/bin/docker';

interface FakeContainer {
  id: string;
  name: string;
  body: ContainerCreateBody;
  running: boolean;
  exitCode?: number;
  removed: boolean;
  output: OutputChunk[];
  stdin?: Readable;
  events: EventEmitter;
}

function fakeEngine() {
  const containers = new Map<string, FakeContainer>();
  let n = 0;
  const get = (id: string): FakeContainer => {
    const c = containers.get(id) ?? [...containers.values()].find((x) => x.name === id.replace(/^\//, '') || x.id.startsWith(id));
    if (!c) throw notFound(`No such container: ${id}`);
    return c;
  };
  const emit = (c: FakeContainer, chunk: OutputChunk): void => {
    c.output.push(chunk);
    c.events.emit('output', chunk);
  };
  const exit = (c: FakeContainer, code: number): void => {
    c.running = false;
    c.exitCode = code;
    c.events.emit('exit');
    if (c.body.HostConfig?.AutoRemove) {
      c.removed = true;
      containers.delete(c.id);
      c.events.emit('removed');
    }
  };
  const run = (c: FakeContainer): void => {
    const cmd = c.body.Cmd ?? [];
    if (cmd[0] === 'echo') {
      emit(c, { stream: 'stdout', data: Buffer.from(cmd.slice(1).join(' ') + '\n') });
      setImmediate(() => exit(c, 0));
    } else if (cmd[0] === 'sh' && cmd[1] === '-c' && /^exit \d+$/.test(cmd[2] ?? '')) {
      emit(c, { stream: 'stderr', data: Buffer.from('exiting\n') });
      setImmediate(() => exit(c, Number(cmd[2].slice(5))));
    } else if (cmd[0] === 'cat') {
      const wait = (): void => {
        if (!c.stdin) return void c.events.once('stdin', wait);
        c.stdin.on('data', (d: Buffer) => emit(c, { stream: 'stdout', data: d }));
        c.stdin.on('end', () => exit(c, 0));
      };
      wait();
    } else if (cmd[0] === 'tty-echo') {
      emit(c, { stream: 'stdout', data: Buffer.from('READY\r\n') });
      const wait = (): void => {
        if (!c.stdin) return void c.events.once('stdin', wait);
        c.stdin.on('data', (d: Buffer) => {
          emit(c, { stream: 'stdout', data: Buffer.from(d.toString().toUpperCase()) });
          if (d.includes('q')) exit(c, 5);
        });
      };
      wait();
    } else if (cmd[0] === 'sleep') {
      c.events.once('kill', () => exit(c, 137));
    } else {
      setImmediate(() => exit(c, 127));
    }
  };
  const execs = new Map<string, { cmd: string[]; exitCode?: number; running: boolean }>();
  const session = (c: FakeContainer, wantStdin: boolean): StreamSession => {
    const pending: OutputChunk[] = [];
    let sink: StreamSink | undefined;
    const onOutput = (chunk: OutputChunk): void => (sink ? sink.write(chunk) : void pending.push(chunk));
    c.events.on('output', onOutput);
    return {
      tty: c.body.Tty ?? false,
      async run(io) {
        sink = io.sink;
        for (const p of pending.splice(0)) sink.write(p);
        if (wantStdin && io.stdin) {
          c.stdin = io.stdin;
          c.events.emit('stdin');
        }
        if (c.exitCode === undefined) await new Promise((resolve) => c.events.once('exit', resolve));
        c.events.removeListener('output', onOutput);
      },
    };
  };
  return fakeServices({
    exec: {
      create: async (containerId: string, body: { Cmd?: string[] }) => {
        if (!get(containerId).running) throw new TdockError('conflict', `container ${containerId} is not running`);
        const id = `e${execs.size}`.padEnd(64, '0');
        execs.set(id, { cmd: body.Cmd ?? [], running: false });
        return { Id: id };
      },
      start: async (id: string) => {
        const e = execs.get(id);
        if (!e) throw notFound(`No such exec instance: ${id}`);
        return {
          tty: false,
          async run(io) {
            e.running = true;
            io.sink.write({ stream: 'stdout', data: Buffer.from(`exec:${e.cmd.join(' ')}\n`) });
            e.exitCode = e.cmd[0] === 'false' ? 1 : 0;
            e.running = false;
          },
        } satisfies StreamSession;
      },
      inspect: async (id: string) => {
        const e = execs.get(id);
        if (!e) throw notFound(`No such exec instance: ${id}`);
        return { ID: id, Running: e.running, ExitCode: e.exitCode ?? null, ProcessConfig: { entrypoint: e.cmd[0], arguments: e.cmd.slice(1), tty: false, privileged: false } };
      },
    },
    containers: {
      kill: async (id: string) => {
        const c = get(id);
        if (!c.running) throw new TdockError('conflict', `container ${c.id} is not running`);
        c.events.emit('kill');
      },
      create: async ({ name, body }: { name?: string; body: ContainerCreateBody }) => {
        const id = (++n).toString(16).padStart(64, 'a');
        containers.set(id, { id, name: name ?? `c${n}`, body, running: false, removed: false, output: [], events: new EventEmitter() });
        return { Id: id, Warnings: [] };
      },
      attach: async (id: string, opts: { stdin: boolean }) => session(get(id), opts.stdin),
      start: async (id: string) => {
        const c = get(id);
        if (c.running) throw new TdockError('not-modified', 'container already started');
        c.running = true;
        run(c);
      },
      wait: async (id: string, condition: string) => {
        const c = get(id);
        const result = new Promise<WaitResponse>((resolve) => {
          const done = (): void => resolve({ StatusCode: c.exitCode ?? 0 });
          if (condition === 'removed') c.events.once('removed', done);
          else if (condition === 'not-running' && !c.running && c.exitCode !== undefined) done();
          else c.events.once('exit', done);
        });
        return { result };
      },
      inspect: async (id: string) => {
        const c = get(id);
        return { Id: c.id, Name: `/${c.name}`, Config: { Tty: c.body.Tty ?? false }, State: { Running: c.running, ExitCode: c.exitCode ?? 0 } };
      },
      remove: async (id: string) => {
        const c = get(id);
        containers.delete(c.id);
      },
      list: async () => [...containers.values()].map((c) => ({ Id: c.id, Names: [`/${c.name}`], Image: c.body.Image ?? '', ImageID: '', Command: (c.body.Cmd ?? []).join(' '), Created: 0, State: c.running ? 'running' : 'exited', Status: c.running ? 'Up 1 second' : `Exited (${c.exitCode ?? 0}) 1 second ago`, Ports: [], Labels: {}, Mounts: [], NetworkSettings: { Networks: {} }, HostConfig: { NetworkMode: 'none' } })),
    },
  });
}

function docker(sock: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(DOCKER, args, { env: { PATH: '/usr/bin:/bin', HOME: path.dirname(sock), DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(path.dirname(sock), 'cfg') }, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('api: the docker CLI against the HTTP layer (fake engine)', function () {
  let dir: string;
  let sock: string;
  const app = buildApp(fakeEngine());

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-cli-'));
    sock = path.join(dir, 'd.sock');
    await app.listen({ path: sock });
  });
  after(async () => {
    await app.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('docker run --rm prints the output through a hijacked attach and exits 0', async () => {
    const r = await docker(sock, ['run', '--rm', '--network', 'none', 'img', 'echo', 'hi']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 0);
  });

  it('docker run exits with the container exit code and shows its stderr', async () => {
    const r = await docker(sock, ['run', '--rm', 'img', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stderr, 'exiting\n');
  });

  it('echo hi | docker run -i --rm img cat: stdin reaches the container and EOF half-closes', async () => {
    const r = await docker(sock, ['run', '-i', '--rm', 'img', 'cat'], 'hi there\n');
    assert.equal(r.stdout, 'hi there\n');
    assert.equal(r.code, 0);
  });

  it('docker run -it under a pty: raw stream, keystrokes in, exit code out', async function () {
    if (!fs.existsSync('/usr/bin/script')) this.skip();
    const child = spawn('/usr/bin/script', ['-qec', `${DOCKER} run -it --rm img tty-echo`, '/dev/null'], { env: { PATH: '/usr/bin:/bin', HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(dir, 'cfg'), TERM: 'xterm' } });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('READY')) resolve();
        });
      });
      child.stdin.write('ab');
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (out.includes('AB')) resolve();
          else child.stdout.once('data', check);
        };
        check();
      });
      child.stdin.write('q');
      assert.equal(await exited, 5);
      assert.ok(!out.includes('\x01\x00\x00\x00'), 'a TTY stream is not framed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('docker exec runs through a hijacked exec start and exits with ExitCode', async () => {
    assert.equal((await docker(sock, ['run', '-d', '--name', 'sleeper', 'img', 'sleep'])).code, 0);
    let r = await docker(sock, ['exec', 'sleeper', 'echo', 'x']);
    assert.equal(r.stdout, 'exec:echo x\n');
    assert.equal(r.code, 0, r.stderr);
    r = await docker(sock, ['exec', 'sleeper', 'false']);
    assert.equal(r.code, 1);
    r = await docker(sock, ['exec', 'nope', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such container: nope/);
    r = await docker(sock, ['kill', 'sleeper']);
    assert.equal(r.code, 0, r.stderr);
    r = await docker(sock, ['kill', 'sleeper']);
    assert.match(r.stderr, /is not running/);
  });

  it('docker run -d prints the ID; docker ps lists it; docker rm removes it', async () => {
    const r = await docker(sock, ['run', '-d', '--name', 'bg', 'img', 'echo', 'bg']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
    const ps = await docker(sock, ['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^bg (Up 1 second|Exited \(0\) 1 second ago)$/m);
    const rm = await docker(sock, ['rm', 'bg']);
    assert.equal(rm.code, 0, rm.stderr);
    const gone = await docker(sock, ['container', 'inspect', 'bg']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No such container: bg/);
  });
});
