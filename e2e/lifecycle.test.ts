// The container lifecycle end to end: the built tdockd (started by the kit on temporary roots) with
// the real docker CLI and the tdock CLI, images from the kit registry. Networking: `--network none`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { DaemonHandle, TempRoots } from '@tdock/testkit';
import { DOCKER, TDOCK, openTdockdSuite, runCommand, type Result, type TdockdSuite } from './support.js';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> => runCommand(cmd, args, { env, input });

describe('e2e: container lifecycle against tdockd', function () {
  this.timeout(180_000);
  let suite: TdockdSuite | undefined;
  let roots: TempRoots;
  let daemon: DaemonHandle | undefined;
  let image: string;
  let env: NodeJS.ProcessEnv;
  const docker = (args: string[], input?: string): Promise<Result> => run(DOCKER, args, env, input);
  const start = (): Promise<DaemonHandle> => suite!.start();

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    suite = await openTdockdSuite();
    ({ roots, image, env } = suite);
    daemon = await start();
    const pull = await docker(['pull', image]);
    assert.equal(pull.code, 0, pull.stderr);
  });

  after(async () => {
    await suite?.stop();
  });

  it('run --rm prints the output and exits with the container\'s code', async () => {
    const hi = await docker(['run', '--rm', '--network', 'none', image, 'echo', 'hi']);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, 'hi\n');
    const three = await docker(['run', '--rm', '--network', 'none', image, 'sh', '-c', 'echo err >&2; exit 3']);
    assert.equal(three.code, 3);
    assert.equal(three.stderr, 'err\n');
    assert.equal((await docker(['ps', '-aq'])).stdout, '', 'the --rm containers are gone');
  });

  it('pipes stdin with -i (stdin EOF closes the container\'s stdin, output continues)', async () => {
    const r = await docker(['run', '-i', '--rm', '--network', 'none', image, 'sh', '-c', 'cat; echo end'], 'hi\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\nend\n');
  });

  it('run -d, ps, logs, exec, stop -t 0, rm', async () => {
    const d = await docker(['run', '-d', '--name', 'e2e-web', '--network', 'none', image, 'sh', '-c', 'echo started; trap "exit 0" TERM; while true; do sleep 0.1; done']);
    assert.equal(d.code, 0, d.stderr);
    const id = d.stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    const ps = await docker(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
    assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} e2e-web Up `, 'm'));
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('started'); i++) logs = (await docker(['logs', 'e2e-web'])).stdout;
    assert.equal(logs, 'started\n');
    const ex = await docker(['exec', 'e2e-web', 'sh', '-c', 'echo in; exit 7']);
    assert.equal(ex.code, 7);
    assert.equal(ex.stdout, 'in\n');
    const rmRunning = await docker(['rm', 'e2e-web']);
    assert.notEqual(rmRunning.code, 0);
    assert.match(rmRunning.stderr, /cannot remove container "\/e2e-web": container is running: stop the container before removing or force remove/);
    assert.equal((await docker(['stop', '-t', '0', 'e2e-web'])).code, 0);
    // -t 0 sends SIGTERM then SIGKILL at once: the trap may win the race (0) or the kill may (137), as with dockerd.
    const exited = await docker(['ps', '-a', '--filter', 'name=e2e-web', '--format', '{{.Status}}']);
    assert.match(exited.stdout, /^Exited \((0|137)\) /);
    assert.match((await docker(['inspect', '--format', '{{.State.ExitCode}} {{.Name}}', id])).stdout, /^(0|137) \/e2e-web\n$/);
    assert.equal((await docker(['rm', 'e2e-web'])).code, 0);
    const gone = await docker(['inspect', id]);
    assert.notEqual(gone.code, 0);
  });

  it('run -it and exec -it under a pty: a terminal inside, exit codes out', async function () {
    if (!fs.existsSync('/usr/bin/script')) this.skip();
    const pty = (cmd: string): Promise<Result> => run('/usr/bin/script', ['-qec', cmd, '/dev/null'], env);
    const r = await pty(`${DOCKER} run -it --rm --network none ${image} sh -c 'tty; exit 5'`);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/0\r\n/); // allocated in the container's own devpts, as Docker
    const d = await docker(['run', '-d', '--name', 'e2e-tty', '--network', 'none', image, 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done']);
    assert.equal(d.code, 0, d.stderr);
    const e = await pty(`${DOCKER} exec -it e2e-tty sh -c '[ -t 0 ] && echo "term=$TERM"; exit 6'`);
    assert.equal(e.code, 6, e.stdout + e.stderr);
    assert.match(e.stdout, /term=xterm\r\n/);
    await docker(['rm', '-f', 'e2e-tty']);
  });

  it('answers Docker\'s conflict for a taken name', async () => {
    assert.equal((await docker(['create', '--name', 'e2e-dup', '--network', 'none', image, 'true'])).code, 0);
    const again = await docker(['create', '--name', 'e2e-dup', '--network', 'none', image, 'true']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Conflict. The container name "\/e2e-dup" is already in use by container "[a-f0-9]{64}"/);
    assert.equal((await docker(['rm', 'e2e-dup'])).code, 0);
  });

  it('keeps volume data across containers and refuses to remove a volume in use', async () => {
    assert.equal((await docker(['volume', 'create', 'e2e-vol'])).code, 0);
    assert.equal((await docker(['run', '--rm', '--network', 'none', '-v', 'e2e-vol:/data', image, 'sh', '-c', 'echo kept > /data/f'])).code, 0);
    const read = await docker(['run', '--rm', '--network', 'none', '-v', 'e2e-vol:/data', image, 'cat', '/data/f']);
    assert.equal(read.stdout, 'kept\n');
    const holder = await docker(['create', '--network', 'none', '-v', 'e2e-vol:/data', image, 'true']);
    const inUse = await docker(['volume', 'rm', 'e2e-vol']);
    assert.match(inUse.stderr, new RegExp(`remove e2e-vol: volume is in use - \\[${holder.stdout.trim()}\\]`));
    await docker(['rm', holder.stdout.trim()]);
    assert.equal((await docker(['volume', 'rm', 'e2e-vol'])).code, 0);
    assert.equal((await docker(['volume', 'ls', '-q'])).stdout, '');
  });

  it('a second client, the tdock CLI, runs a container too', async () => {
    const r = await run(process.execPath, [TDOCK, '-H', `unix://${roots.socket}`, 'run', '--rm', '--network', 'none', image, 'echo', 'from-tdock'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-tdock\n');
  });

  it('dockerode: pull with followProgress, run, logs through demuxStream, events', async () => {
    const d = new Docker({ socketPath: roots.socket });
    const pulled = await d.pull(image);
    const progress = await new Promise<Array<{ status?: string }>>((resolve, reject) => d.modem.followProgress(pulled, (err: Error | null, out: Array<{ status?: string }>) => (err ? reject(err) : resolve(out))));
    assert.ok(progress.some((m) => /^Status: Image is up to date for /.test(m.status ?? '')));
    const since = Math.floor(Date.now() / 1000) - 1;
    const ctr = await d.createContainer({ Image: image, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 5'], HostConfig: { NetworkMode: 'none' } });
    await ctr.start();
    assert.equal((await ctr.wait()).StatusCode, 5);
    const raw = await ctr.logs({ stdout: true, stderr: true, follow: false });
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    let e = '';
    out.on('data', (c: Buffer) => (o += c.toString()));
    err.on('data', (c: Buffer) => (e += c.toString()));
    const src = new PassThrough();
    ctr.modem.demuxStream(src, out, err);
    src.end(raw);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([o, e], ['out\n', 'err\n']);
    await ctr.remove();
    const ev = await d.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { container: [ctr.id] } });
    let text = '';
    for await (const c of ev) text += (c as Buffer).toString();
    const actions = text.trim().split('\n').map((l) => (JSON.parse(l) as { Action: string }).Action);
    assert.deepEqual(actions, ['create', 'start', 'die', 'destroy']);
  });

  it('docker-compose 1.29: up -d, ps, logs, down -v of two services with a named volume and network_mode: host', async function () {
    if (!fs.existsSync('/usr/bin/docker-compose')) this.skip();
    const dir = path.join(roots.dir, 'compose');
    fs.mkdirSync(dir);
    const svc = (name: string, cmd: string): string => `  ${name}:\n    image: ${image}\n    command: sh -c 'trap "exit 0" TERM; ${cmd}; while true; do sleep 0.2; done'\n    network_mode: host\n    volumes:\n      - data:/data\n`;
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "3"\nservices:\n${svc('writer', 'echo writer-up; echo shared > /data/f')}${svc('reader', 'echo reader-up')}volumes:\n  data:\n`);
    const compose = (args: string[]): Promise<Result> => run('/usr/bin/docker-compose', ['-p', 'e2ec', '-f', path.join(dir, 'docker-compose.yml'), ...args], env);
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    const ps = await compose(['ps']);
    assert.match(ps.stdout, /e2ec_writer_1 .* Up/);
    assert.match(ps.stdout, /e2ec_reader_1 .* Up/);
    let logs = '';
    for (let i = 0; i < 50 && !(logs.includes('writer-up') && logs.includes('reader-up')); i++) logs = (await compose(['logs', '--no-color'])).stdout;
    assert.match(logs, /writer_1 +\| writer-up/);
    assert.match(logs, /reader_1 +\| reader-up/);
    let shared: Result = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 20 && shared.stdout !== 'shared\n'; i++) shared = await docker(['exec', 'e2ec_reader_1', 'cat', '/data/f']);
    assert.equal(shared.stdout, 'shared\n');
    const down = await compose(['down', '-v']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await docker(['ps', '-aq'])).stdout, '');
    assert.equal((await docker(['volume', 'ls', '-q'])).stdout, '');
  });

  it('kill -9 of tdockd: running containers stay running with their logs, one that exited meanwhile shows its code', async () => {
    const a = await docker(['run', '-d', '--name', 'e2e-lr', '--network', 'none', image, 'sh', '-c', 'trap "exit 0" TERM; i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done']);
    assert.equal(a.code, 0, a.stderr);
    const b = await docker(['run', '-d', '--name', 'e2e-lr-exit', '--network', 'none', image, 'sh', '-c', 'trap "exit 0" TERM; while [ ! -f /tmp/go ]; do sleep 0.1; done; exit 42']);
    assert.equal(b.code, 0, b.stderr);
    const pid = daemon!.pid;
    process.kill(pid, 'SIGKILL');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        try {
          process.kill(pid, 0);
        } catch {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    // While tdockd is down the second container exits (its shim records the code).
    const shimPid = Number(fs.readFileSync(path.join(roots.dataRoot, 'runtime', b.stdout.trim(), 'state.json'), 'utf8').match(/"pid":(\d+)/)![1]);
    fs.writeFileSync(`/proc/${shimPid}/root/tmp/go`, '');
    await new Promise((r) => setTimeout(r, 1000));
    fs.rmSync(path.join(path.dirname(roots.socket), 'tdockd.pid'), { force: true });
    daemon = await start();
    const ps = await docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    assert.match(ps.stdout, /^e2e-lr Up /m);
    assert.match(ps.stdout, /^e2e-lr-exit Exited \(42\) /m);
    assert.equal(ps.stdout.split('\n').filter((l) => l.startsWith('e2e-lr ')).length, 1, 'not duplicated');
    const before = (await docker(['logs', 'e2e-lr'])).stdout.split('\n').length;
    await new Promise((r) => setTimeout(r, 700));
    assert.ok((await docker(['logs', 'e2e-lr'])).stdout.split('\n').length > before, 'its log goes on');
    assert.equal((await docker(['stop', '-t', '5', 'e2e-lr'])).code, 0);
    assert.equal((await docker(['inspect', '--format', '{{.State.ExitCode}}', 'e2e-lr'])).stdout, '0\n');
    await docker(['rm', 'e2e-lr', 'e2e-lr-exit']);
  });
});

