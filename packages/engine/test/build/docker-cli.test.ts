// `DOCKER_BUILDKIT=0 docker build` against the built tdockd (started by the kit on temporary roots): the legacy
// stream as the CLI draws it, --iidfile from the aux ID, a Dockerfile from stdin, the cache, a failing RUN's exit
// code, and the built image running.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';

const DOCKER = '/usr/local/bin/docker';
const COMPOSE = '/usr/bin/docker-compose';

interface Result { code: number; stdout: string; stderr: string }

describe('e2e: docker build (legacy builder) against tdockd', function () {
  this.timeout(180_000);
  let roots: TempRoots;
  let reg: RegistryHandle;
  let daemon: DaemonHandle | undefined;
  let image: string;
  let ctx: string;

  const run = (cmd: string, args: string[], cwd?: string, extra: NodeJS.ProcessEnv = {}, input?: string): Promise<Result> => new Promise((resolve) => {
    const env = {
      PATH: `/usr/local/bin:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: process.env.HOME ?? '/root', DOCKER_BUILDKIT: '0',
      DOCKER_HOST: `unix://${roots.socket}`, DOCKER_CONFIG: path.join(roots.dir, 'docker-config'), ...extra,
    };
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
  const docker = (args: string[], input?: string): Promise<Result> => run(DOCKER, args, undefined, {}, input);

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    roots = await tempRoots();
    reg = await startRegistry();
    image = (await fixtures()).busybox.refIn(reg.host);
    daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
    ctx = path.join(roots.dir, 'ctx');
    fs.mkdirSync(path.join(ctx, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'src', 'hello.txt'), 'hello\n');
    fs.writeFileSync(path.join(ctx, 'ignored.txt'), 'secret\n');
    fs.writeFileSync(path.join(ctx, '.dockerignore'), 'ignored.txt\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), [
      `FROM ${image}`, 'ARG WHO=world', 'COPY src/ /srv/', 'COPY . /c/', 'RUN echo "hi $WHO" > /srv/greeting && ls /c /srv > /srv/list', 'CMD ["cat", "/srv/greeting", "/srv/list"]',
    ].join('\n'));
  });

  after(async () => {
    if (daemon) {
      const ps = await docker(['ps', '-aq']).catch(() => undefined);
      for (const id of ps?.stdout.split('\n').filter(Boolean) ?? []) await docker(['rm', '-f', id]);
      await daemon.stop();
    }
    await reg?.stop();
    await roots?.cleanup();
  });

  it('builds (pulling the base inline), writes --iidfile, and the image runs', async () => {
    const iid = path.join(roots.dir, 'iid');
    const r = await docker(['build', '-t', 'e2e/app:1', '--build-arg', 'WHO=tdock', '--iidfile', iid, ctx]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Step 1\/6 : FROM /);
    assert.match(r.stdout, / ---> Running in [a-f0-9]{12}\n/);
    const id = fs.readFileSync(iid, 'utf8').trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    assert.ok(r.stdout.includes(`Successfully built ${id.slice(7, 19)}\nSuccessfully tagged e2e/app:1\n`), r.stdout);
    const run = await docker(['run', '--rm', '--network', 'none', 'e2e/app:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hi tdock\n/c:\nDockerfile\nsrc\n\n/srv:\ngreeting\nhello.txt\nlist\n', 'ignored.txt stayed out');
    const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'e2e/app:1']);
    assert.ok(history.stdout.includes('/bin/sh -c #(nop)  CMD ["cat" "/srv/greeting" "/srv/list"]'), history.stdout);

    const again = await docker(['build', '-t', 'e2e/app:1', '--build-arg', 'WHO=tdock', ctx]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.match(/Using cache/g)?.length, 5, again.stdout);
    assert.ok(again.stdout.includes(`Successfully built ${id.slice(7, 19)}`));
  });

  for (const cliBuild of ['0', '1']) {
    it(`docker-compose 1.29 build (COMPOSE_DOCKER_CLI_BUILD=${cliBuild}) tags <project>_<service>`, async function () {
      if (!fs.existsSync(COMPOSE)) this.skip();
      const dir = path.join(roots.dir, `compose${cliBuild}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${image}\nARG V=none\nRUN echo "v=$V" > /v\nCMD ["cat", "/v"]\n`);
      fs.writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "3"\nservices:\n  web:\n    build:\n      context: .\n      args:\n        V: "${cliBuild}"\n`);
      const r = await run(COMPOSE, ['-p', `p${cliBuild}`, 'build'], dir, { COMPOSE_DOCKER_CLI_BUILD: cliBuild });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = await docker(['run', '--rm', '--network', 'none', `p${cliBuild}_web`]);
      assert.equal(out.stdout, `v=${cliBuild}\n`, out.stderr);
    });
  }

  it('takes a Dockerfile from stdin and reports a failing RUN with its exit code', async () => {
    const r = await docker(['build', '-f', '-', ctx], `FROM ${image}\nRUN echo going; exit 7\n`);
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo going; exit 7' returned a non-zero code: 7/);
    assert.match(r.stdout, /going\n/);
  });
});
