// The tdock CLI as a user drives it, against the built tdockd (started by the kit on temporary roots),
// compared with the real docker CLI against the same daemon. Images come from the kit registry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TempRoots } from '@tdock/testkit';
import { DOCKER, PtySession, TDOCK, ok, openTdockdSuite, runCommand, type Result, type TdockdSuite } from './support.js';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> => runCommand(cmd, args, { env, input });

/** Relative times differ between two runs a moment apart; everything else must match. */
function normaliseTimes(text: string): string {
  return text
    .replace(/(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?|days?|weeks?|months?|years?)) ago/g, 'T ago')
    .replace(/Up (Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?))/g, 'Up T')
    .replace(/ +/g, ' ');
}

describe('e2e: the tdock CLI against tdockd', function () {
  this.timeout(180_000);
  let suite: TdockdSuite | undefined;
  let roots: TempRoots;
  let image: string;
  let env: NodeJS.ProcessEnv;
  const tdock = (args: string[], input?: string): Promise<Result> => run(process.execPath, [TDOCK, ...args], env, input);
  const docker = (args: string[], input?: string): Promise<Result> => run(DOCKER, args, env, input);

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    suite = await openTdockdSuite();
    ({ roots, image, env } = suite);
    await suite.start();
    const pull = ok(await tdock(['pull', image]), 'pull');
    assert.match(pull.stdout, /Pull complete|Already exists/);
    assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  after(async () => {
    await suite?.stop();
  });

  it('exits 0, the container\'s code, 125, 126 and 127 as docker does', async () => {
    assert.equal((await tdock(['run', '--rm', '--network', 'none', image, 'true'])).code, 0);
    const three = await tdock(['run', '--rm', '--network', 'none', image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([three.code, three.stdout, three.stderr], [3, 'out\n', 'err\n']);
    const flag = await tdock(['run', '--bogus', image]);
    assert.equal(flag.code, 125);
    assert.match(flag.stderr, /^unknown flag: --bogus\nSee 'tdock run --help'\./);
    const notExec = await tdock(['run', '--rm', '--network', 'none', image, '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    assert.match(notExec.stderr, /permission denied/);
    const missing = await tdock(['run', '--rm', '--network', 'none', image, 'nosuchcmd']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /executable file not found/);
    const noDaemon = await run(process.execPath, [TDOCK, '-H', `unix://${roots.dir}/nothing.sock`, 'ps'], env);
    assert.equal(noDaemon.code, 1);
    assert.equal(noDaemon.stderr, `Cannot connect to the tdock daemon at unix://${roots.dir}/nothing.sock. Is tdockd running?\n`);
    assert.equal((await tdock(['frobnicate'])).code, 125);
  });

  it('prints ps, images, volume ls and network ls exactly as the docker CLI does', async () => {
    ok(await tdock(['run', '-d', '--name', 'cli-same', '--network', 'none', '-l', 'k=v', image, 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done']), 'run -d');
    ok(await tdock(['create', '--name', 'cli-created', '--network', 'none', image, 'echo', 'a b']), 'create');
    ok(await tdock(['volume', 'create', '--label', 'x=y', 'cli-vol']), 'volume create');
    for (const args of [['ps'], ['ps', '-a'], ['ps', '-a', '--no-trunc'], ['ps', '-aq'], ['ps', '--format', '{{.Names}} {{.Labels}}'], ['images'], ['images', '-q'], ['volume', 'ls'], ['network', 'ls'], ['ps', '-a', '--filter', 'name=cli-created']]) {
      const ours = ok(await tdock(args), `tdock ${args.join(' ')}`);
      const theirs = ok(await docker(args), `docker ${args.join(' ')}`);
      assert.equal(normaliseTimes(ours.stdout), normaliseTimes(theirs.stdout), `tdock ${args.join(' ')}`);
    }
    ok(await tdock(['rm', '-f', 'cli-same', 'cli-created']), 'rm');
    ok(await tdock(['volume', 'rm', 'cli-vol']), 'volume rm');
  });

  it('-it gives a terminal; Ctrl-P Ctrl-Q detaches; attach returns with the exit code', async () => {
    const host = `-H unix://${roots.socket}`;
    const session = new PtySession(`${process.execPath} ${TDOCK} ${host} run -it --name cli-tty --network none ${image} sh`, env);
    try {
      await session.waitFor(/\/ # /);
      session.write('echo $((6*7)); tty\r');
      await session.waitFor(/42\r*\n/);
      await session.waitFor(/\/dev\/(pts\/\d+|console)\r*\n/);
      // The terminal is raw as docker's MakeRaw leaves it (no OPOST): the container's \r\n arrives unchanged.
      assert.match(session.output, /\n42\r\n/);
      assert.doesNotMatch(session.output, /\r\r\n/);
      session.write('\x10\x11');
      assert.equal(await session.exited, 0, 'detaching ends tdock with 0');
    } finally {
      session.kill();
    }
    const inspect = ok(await tdock(['inspect', '-f', '{{.State.Running}}', 'cli-tty']), 'inspect');
    assert.equal(inspect.stdout, 'true\n', 'the container runs on after the detach');
    const again = new PtySession(`${process.execPath} ${TDOCK} ${host} attach cli-tty`, env);
    try {
      again.write('\r');
      await again.waitFor(/\/ # /);
      again.write('exit 7\r');
      assert.equal(await again.exited, 7, 'attach exits with the container\'s code');
    } finally {
      again.kill();
    }
    ok(await tdock(['rm', 'cli-tty']), 'rm');
  });

  it('runs the container commands: logs, exec, top, stats, cp, pause, wait, rename, diff, commit, export', async () => {
    ok(await tdock(['run', '-d', '--name', 'cli-box', '--network', 'none', image, 'sh', '-c', 'echo hello > /hello; echo logged; trap "exit 0" TERM; while true; do sleep 0.1; done']), 'run -d');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ok(await tdock(['logs', 'cli-box']), 'logs').stdout, 'logged\n');
    assert.equal((await tdock(['exec', 'cli-box', 'sh', '-c', 'exit 4'])).code, 4);
    assert.equal(ok(await tdock(['exec', 'cli-box', 'cat', '/hello']), 'exec').stdout, 'hello\n');
    assert.match(ok(await tdock(['top', 'cli-box']), 'top').stdout, /^UID\s+PID\s+PPID/);
    assert.match(ok(await tdock(['stats', '--no-stream', 'cli-box']), 'stats').stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT/);
    const dir = fs.mkdtempSync(path.join(roots.dir, 'cp-'));
    ok(await tdock(['cp', 'cli-box:/hello', `${dir}/copied`]), 'cp out');
    assert.equal(fs.readFileSync(`${dir}/copied`, 'utf8'), 'hello\n');
    fs.writeFileSync(`${dir}/up.txt`, 'up\n');
    ok(await tdock(['cp', `${dir}/up.txt`, 'cli-box:/tmp/']), 'cp in');
    assert.equal(ok(await tdock(['exec', 'cli-box', 'cat', '/tmp/up.txt']), 'exec').stdout, 'up\n');
    assert.match(ok(await tdock(['diff', 'cli-box']), 'diff').stdout, /^A \/hello$/m);
    ok(await tdock(['pause', 'cli-box']), 'pause');
    assert.equal(ok(await tdock(['inspect', '-f', '{{.State.Status}}', 'cli-box']), 'inspect').stdout, 'paused\n');
    ok(await tdock(['unpause', 'cli-box']), 'unpause');
    ok(await tdock(['rename', 'cli-box', 'cli-box2']), 'rename');
    const commit = ok(await tdock(['commit', 'cli-box2', 'cli-committed:1']), 'commit');
    assert.match(commit.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(ok(await tdock(['run', '--rm', '--network', 'none', 'cli-committed:1', 'cat', '/hello']), 'run committed').stdout, 'hello\n');
    const exported = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [TDOCK, 'export', 'cli-box2'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let n = 0;
      child.stdout.on('data', (d: Buffer) => (n += d.length));
      child.on('close', () => resolve(n));
    });
    assert.ok(exported > 1_000_000, `export streams the rootfs (${exported} bytes)`);
    ok(await tdock(['stop', '-t', '0', 'cli-box2']), 'stop');
    assert.equal(ok(await tdock(['wait', 'cli-box2']), 'wait').stdout.trim().length > 0, true);
    ok(await tdock(['rm', 'cli-box2']), 'rm');
    ok(await tdock(['rmi', 'cli-committed:1']), 'rmi');
  });

  it('kills an allocation over --memory 32m and reports OOMKilled (docker CLI)', async () => {
    const r = await docker(['run', '--name', 'cli-oom', '--memory', '32m', '--network', 'none', image, 'sh', '-c', 'a=$(head -c 104857600 /dev/zero | tr "\\0" a); echo ${#a}']);
    assert.equal(r.code, 137, r.stderr);
    assert.equal(ok(await docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}', 'cli-oom']), 'inspect').stdout, `true 137 ${32 * 1024 * 1024}\n`);
    ok(await docker(['rm', 'cli-oom']), 'rm');
  });

  it('builds with tdock build: .dockerignore, --iidfile, -f from stdin, a failing step\'s exit code', async () => {
    const ctxDir = fs.mkdtempSync(path.join(roots.dir, 'build-'));
    fs.mkdirSync(path.join(ctxDir, 'sub'));
    fs.writeFileSync(path.join(ctxDir, 'sub', 'a.txt'), 'from-context\n');
    fs.writeFileSync(path.join(ctxDir, 'sub', 'secret.txt'), 'secret\n');
    fs.writeFileSync(path.join(ctxDir, '.dockerignore'), 'sub/secret.txt\n');
    fs.writeFileSync(path.join(ctxDir, 'Dockerfile'), `FROM ${image}\nCOPY sub /sub\nRUN ls /sub > /listing\nCMD ["cat", "/sub/a.txt", "/listing"]\n`);
    const iid = path.join(roots.dir, 'iid');
    const built = ok(await tdock(['build', '-t', 'cli-built:1', '--iidfile', iid, ctxDir]), 'build');
    assert.match(built.stdout, /Step 1\/4 : FROM /);
    assert.match(built.stdout, /Successfully tagged cli-built:1/);
    assert.match(fs.readFileSync(iid, 'utf8'), /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(await tdock(['run', '--rm', '--network', 'none', 'cli-built:1']), 'run built').stdout, 'from-context\na.txt\n');
    const failing = await tdock(['build', '-f', '-', ctxDir], `FROM ${image}\nRUN exit 7\n`);
    assert.equal(failing.code, 7, failing.stderr);
    assert.match(failing.stderr, /returned a non-zero code: 7/);
    ok(await tdock(['rmi', 'cli-built:1']), 'rmi');
  });

  it('runs the image commands: tag, history, save, load, rmi, inspect, system df, version, info', async () => {
    ok(await tdock(['tag', image, 'cli-tagged:v1']), 'tag');
    assert.match(ok(await tdock(['images', 'cli-tagged']), 'images').stdout, /cli-tagged\s+v1/);
    assert.match(ok(await tdock(['history', 'cli-tagged:v1']), 'history').stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    const archive = path.join(roots.dir, 'saved.tar');
    ok(await tdock(['save', '-o', archive, 'cli-tagged:v1']), 'save');
    assert.ok(fs.statSync(archive).size > 1_000_000);
    assert.match(ok(await tdock(['rmi', 'cli-tagged:v1']), 'rmi').stdout, /^Untagged: cli-tagged:v1$/m);
    assert.match(ok(await tdock(['load', '-i', archive]), 'load').stdout, /Loaded image: cli-tagged:v1/);
    const inspected = JSON.parse(ok(await tdock(['inspect', 'cli-tagged:v1']), 'inspect').stdout) as { RepoTags: string[] }[];
    assert.ok(inspected[0]!.RepoTags.includes('cli-tagged:v1'), String(inspected[0]!.RepoTags));
    ok(await tdock(['rmi', 'cli-tagged:v1']), 'rmi');
    assert.match(ok(await tdock(['system', 'df']), 'system df').stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+1/);
    assert.match(ok(await tdock(['version']), 'version').stdout, /Server: tdock\n Engine:\n {2}Version: +\d/);
    assert.match(ok(await tdock(['info']), 'info').stdout, /Server Version: /);
    const missing = await tdock(['inspect', 'nosuchthing']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: No such object: nosuchthing\n');
  });
});
