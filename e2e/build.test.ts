// Dockerfile builds through the legacy builder's API, with the docker CLI (DOCKER_BUILDKIT=0) and `tdock build` as
// clients: the stream as dockerd 20.10 prints it (compared with a real dockerd), intermediate images (`images -a`,
// `history`, Parent, rmi), --force-rm, --cache-from, --platform, and the resource flags reaching RUN containers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { KitSkipError, startDockerd, type TempRoots } from '@tdock/testkit';
import { DOCKER, TDOCK, ok, openTdockdSuite, runCommand, type Result, type TdockdSuite } from './support.js';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string, input?: string): Promise<Result> => runCommand(cmd, args, { env, cwd, input });

/** A build's output with what legitimately differs between two daemons taken out: IDs, the context size, dockerd's warnings. */
function normaliseBuild(text: string): string {
  return text
    .split('\n').filter((l) => !l.startsWith(' ---> [Warning] IPv4 forwarding is disabled')).join('\n')
    .replace(/Sending build context to Docker daemon\s+\S+/, 'Sending build context to Docker daemon N')
    .replace(/\b[a-f0-9]{12}\b/g, '<id>')
    .replace(/127\.0\.0\.1:\d+/g, 'REG');
}

const ids = (text: string): string[] => [...text.matchAll(/\n ---> ([a-f0-9]{12})\n/g)].map((m) => m[1]!);

describe('e2e: builds (legacy builder API) with the docker CLI and tdock build', function () {
  this.timeout(300_000);
  let suite: TdockdSuite | undefined;
  let roots: TempRoots;
  let image: string;
  let env: NodeJS.ProcessEnv;
  let ctx: string;
  const docker = (args: string[], cwd?: string, input?: string): Promise<Result> => run(DOCKER, args, env, cwd ?? ctx, input);
  const tdock = (args: string[], cwd?: string, input?: string): Promise<Result> => run(process.execPath, [TDOCK, ...args], env, cwd ?? ctx, input);
  const write = (name: string, text: string): string => {
    fs.writeFileSync(path.join(ctx, name), text);
    return name;
  };
  const appDockerfile = (): string => `FROM ${image}\nENV A=b\nCOPY a.txt /app/\nWORKDIR /app\nRUN echo hi && echo err >&2\nRUN true\nCMD ["sh"]\n`;

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    suite = await openTdockdSuite({ PATH: `/usr/local/bin:${process.env.PATH ?? '/usr/bin:/bin'}`, DOCKER_BUILDKIT: '0' });
    ({ roots, image, env } = suite);
    await suite.start();
    ctx = path.join(roots.dir, 'ctx');
    fs.mkdirSync(ctx);
    write('a.txt', 'a\n');
    write('Dockerfile', appDockerfile());
    ok(await docker(['pull', image]), 'pull');
  });

  after(async () => {
    await suite?.stop();
  });

  it('prints the build as dockerd does, and each step is an intermediate image (images -a, history, Parent, rmi, image prune)', async () => {
    const first = ok(await docker(['build', '-t', 'e2e/steps', '.']), 'build');
    const stepIds = ids(first.stdout);
    assert.equal(stepIds.length, 7, first.stdout);
    assert.match(first.stdout, /Step 2\/7 : ENV A=b\n ---> Running in ([a-f0-9]{12})\nRemoving intermediate container \1\n ---> [a-f0-9]{12}\nStep 3\/7 : COPY a.txt \/app\/\n ---> [a-f0-9]{12}\n/);
    const red = (t: string): string => `\u001b[91m${t}\u001b[0m`;
    const runId = /Step 5\/7 : RUN echo hi && echo err >&2\n ---> Running in ([a-f0-9]{12})\n/.exec(first.stdout)?.[1];
    assert.ok(first.stdout.includes(`Running in ${runId}\nhi\n${red('err\n')}Removing intermediate container ${runId}\n`), first.stdout);
    assert.ok(first.stdout.endsWith(`Successfully built ${stepIds[6]}\nSuccessfully tagged e2e/steps:latest\n`), first.stdout);

    const all = ok(await docker(['images', '-a', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']), 'images -a').stdout;
    for (const id of stepIds.slice(1, 6)) assert.ok(all.includes(`<none>:<none> ${id}`), `${id} in images -a:\n${all}`);
    const plain = ok(await docker(['images', '--format', '{{.ID}}']), 'images').stdout;
    for (const id of stepIds.slice(1, 6)) assert.ok(!plain.includes(id), `${id} hidden from docker images`);
    const dangling = ok(await docker(['images', '-f', 'dangling=true', '-q']), 'images dangling').stdout;
    assert.equal(dangling, '', 'intermediate images are not dangling');
    const history = ok(await docker(['history', '--format', '{{.ID}}', 'e2e/steps']), 'history').stdout.trim().split('\n');
    assert.deepEqual(history, [...stepIds].reverse(), 'history lists each step\'s image, the base last');
    const parent = ok(await docker(['image', 'inspect', '--format', '{{.Parent}}', 'e2e/steps']), 'inspect').stdout.trim();
    assert.equal(parent.slice(7, 19), stepIds[5]);

    const again = ok(await docker(['build', '-t', 'e2e/steps', '.']), 'rebuild');
    assert.equal(again.stdout.match(/ ---> Using cache\n/g)?.length, 6, again.stdout);
    assert.deepEqual(ids(again.stdout), stepIds, 'a cached step names the same intermediate image');

    const rmi = ok(await docker(['rmi', 'e2e/steps']), 'rmi').stdout;
    const deleted = [...rmi.matchAll(/^Deleted: sha256:([a-f0-9]{12})/gm)].map((m) => m[1]!);
    for (const id of stepIds.slice(1)) assert.ok(deleted.includes(id), `rmi deletes the image and its untagged parents (${id}):\n${rmi}`);
    assert.ok(!deleted.includes(stepIds[0]!), 'the tagged base stays');
    const left = ok(await docker(['images', '-a', '-q']), 'images -a').stdout.trim().split('\n');
    assert.deepEqual(left, [stepIds[0]], 'only the base image is left');

    // untagged, the result is dangling (its parents are not): image prune removes it and the chain below it
    const untagged = ok(await docker(['build', '.']), 'build without a tag');
    assert.equal(untagged.stdout.match(/ ---> Using cache\n/g)?.length, 6, 'the cache outlives rmi (tdockd\'s records)');
    assert.deepEqual(ok(await docker(['images', '-f', 'dangling=true', '-q']), 'dangling').stdout.trim().split('\n'), [stepIds[6]]);
    const pruned = ok(await docker(['image', 'prune', '-f']), 'image prune').stdout;
    for (const id of stepIds.slice(1)) assert.match(pruned, new RegExp(`deleted: sha256:${id}`), pruned);
    assert.deepEqual(ok(await docker(['images', '-a', '-q']), 'images -a').stdout.trim().split('\n'), [stepIds[0]]);
  });

  it('prints the same lines as a real dockerd for the same build (IDs aside)', async function () {
    let dockerd;
    try {
      dockerd = await startDockerd();
    } catch (err) {
      if (err instanceof KitSkipError) this.skip();
      throw err;
    }
    try {
      const denv = { ...env, DOCKER_HOST: `unix://${dockerd.socket}` };
      ok(await run(DOCKER, ['pull', image], denv), 'pull on dockerd');
      // stdout only: dockerd interleaves a RUN's stdout and stderr in no fixed order
      const df = write('Dockerfile.cmp', `FROM ${image}\nENV CMP=1\nCOPY a.txt /app/\nWORKDIR /app\nRUN echo hi\nRUN true\nCMD ["sh"]\n`);
      const theirs = ok(await run(DOCKER, ['build', '-f', df, '-t', 'cmp', '.'], denv, ctx), 'dockerd build');
      const ours = ok(await docker(['build', '-f', df, '-t', 'cmp', '.']), 'tdockd build');
      assert.equal(normaliseBuild(ours.stdout), normaliseBuild(theirs.stdout));
      const theirs2 = ok(await run(DOCKER, ['build', '-f', df, '-t', 'cmp', '.'], denv, ctx), 'dockerd rebuild');
      const ours2 = ok(await docker(['build', '-f', df, '-t', 'cmp', '.']), 'tdockd rebuild');
      assert.equal(normaliseBuild(ours2.stdout), normaliseBuild(theirs2.stdout));
      const fail = write('Dockerfile.fail', `FROM ${image}\nRUN echo x > /x\nRUN exit 3\n`);
      for (const extra of [['--force-rm'], []]) {
        const t = await run(DOCKER, ['build', ...extra, '-f', fail, '.'], denv, ctx);
        const o = await docker(['build', ...extra, '-f', fail, '.']);
        assert.deepEqual([o.code, normaliseBuild(o.stdout)], [t.code, normaliseBuild(t.stdout)], `build ${extra.join(' ')}`);
        assert.ok(o.stderr.endsWith("The command '/bin/sh -c exit 3' returned a non-zero code: 3\n"), o.stderr);
        // --force-rm leaves nothing; the default --rm leaves the failed step's container, on both daemons
        const left = async (e: NodeJS.ProcessEnv): Promise<string> => ok(await run(DOCKER, ['ps', '-a', '--format', '{{.Command}} {{.State}}'], e, ctx), 'ps -a').stdout;
        assert.equal(await left(env), await left(denv), `containers left by build ${extra.join(' ')}`);
      }
      assert.equal(ok(await docker(['ps', '-a', '--format', '{{.Command}} {{.State}}']), 'ps').stdout, '"/bin/sh -c \'exit 3\'" exited\n');
      const removeAll = async (): Promise<void> => {
        for (const e of [env, denv]) {
          const ids = ok(await run(DOCKER, ['ps', '-aq'], e, ctx), 'ps -aq').stdout.split('\n').filter(Boolean);
          ok(await run(DOCKER, ['rm', ...ids], e, ctx), 'rm');
        }
      };
      await removeAll();
      // --rm=false: the same lines, and the same containers left (RUN's exited, the metadata and WORKDIR steps' created)
      const theirsKept = ok(await run(DOCKER, ['build', '--rm=false', '--no-cache', '-f', df, '.'], denv, ctx), 'dockerd build --rm=false');
      const oursKept = ok(await docker(['build', '--rm=false', '--no-cache', '-f', df, '.']), 'tdockd build --rm=false');
      assert.equal(normaliseBuild(oursKept.stdout), normaliseBuild(theirsKept.stdout));
      const kept = async (e: NodeJS.ProcessEnv): Promise<string> => ok(await run(DOCKER, ['ps', '-a', '--no-trunc', '--format', '{{.Command}} {{.State}}'], e, ctx), 'ps -a').stdout;
      assert.equal(await kept(env), await kept(denv));
      await removeAll();
      const hist = async (e: NodeJS.ProcessEnv): Promise<string> => normaliseBuild(ok(await run(DOCKER, ['history', '--format', '{{.ID}} {{.CreatedBy}}', 'cmp'], e, ctx), 'history').stdout);
      assert.equal(await hist(env), await hist(denv));
    } finally {
      await dockerd.stop();
    }
  });

  it('keeps build containers as dockerd does: --rm=false leaves each step\'s on its parent image, a failing step leaves its own unless --force-rm', async () => {
    const psA = async (): Promise<string[][]> => ok(await docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}}|{{.Image}}|{{.Command}}|{{.Status}}']), 'ps -a')
      .stdout.split('\n').filter(Boolean).map((l) => l.split('|'));
    assert.deepEqual(await psA(), [], 'no container before');
    const df = write('Dockerfile.k', `FROM ${image}\nENV K=1\nRUN true\nRUN echo two > /two\n`);
    const plain = ok(await docker(['build', '--no-cache', '-f', df, '.']), 'build');
    assert.equal(plain.stdout.match(/Removing intermediate container/g)?.length, 3, plain.stdout);
    assert.deepEqual(await psA(), [], 'the default --rm removes every container');
    for (const client of [docker, tdock]) {
      const keep = ok(await client(['build', '--rm=false', '--no-cache', '-f', df, '.']), 'build --rm=false');
      assert.ok(!keep.stdout.includes('Removing intermediate container') && !keep.stdout.includes('[Warning]'), keep.stdout);
      const m = /Step 1\/4 : FROM \S+\n ---> ([a-f0-9]{12})\nStep 2\/4 : ENV K=1\n ---> Running in ([a-f0-9]{12})\n ---> ([a-f0-9]{12})\nStep 3\/4 : RUN true\n ---> Running in ([a-f0-9]{12})\n ---> ([a-f0-9]{12})\nStep 4\/4 : RUN echo two > \/two\n ---> Running in ([a-f0-9]{12})\n/.exec(keep.stdout);
      assert.ok(m, keep.stdout);
      const [, baseImage, envCtr, envImage, first, runImage, second] = m;
      const listed = await psA();
      assert.deepEqual(listed.map(([id, img, cmd]) => [id!.slice(0, 12), img!.slice(0, 19), cmd]), [
        [second, `sha256:${runImage}`, '"/bin/sh -c \'echo two > /two\'"'],
        [first, `sha256:${envImage}`, '"/bin/sh -c true"'],
        [envCtr, `sha256:${baseImage}`, '"/bin/sh -c \'#(nop) \' \'ENV K=1\'"'],
      ], 'newest first, each created from the image of the step before (the ENV step\'s too, never started)');
      assert.deepEqual(listed.map(([, , , status]) => status!.replace(/ \d+ seconds? ago$| Less than a second ago$/, '')), ['Exited (0)', 'Exited (0)', 'Created']);
      const inspect = ok(await docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{json .Config.Cmd}} {{json .Config.Entrypoint}} {{.HostConfig.LogConfig.Type}} {{index .Config.Env 1}}', first!]), 'inspect').stdout;
      assert.equal(inspect, 'exited 0 ["/bin/sh","-c","true"] null none K=1\n');
      assert.match(ok(await docker(['diff', second!]), 'diff').stdout, /^A \/two$/m, 'the container keeps the step\'s changes');
      ok(await docker(['start', '-a', second!]), 'start -a: the step runs again');
      assert.equal(ok(await docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', second!]), 'inspect').stdout, 'exited 0\n');
      assert.equal(ok(await docker(['rm', first!, second!, envCtr!]), 'rm').stdout.split('\n').filter(Boolean).length, 3);
      assert.deepEqual(await psA(), []);
    }

    const fail = write('Dockerfile.f', `FROM ${image}\nRUN exit 4\n`);
    const failed = await docker(['build', '-f', fail, '.']);
    assert.equal(failed.code, 4);
    const failedId = / ---> Running in ([a-f0-9]{12})\n$/.exec(failed.stdout)?.[1];
    assert.ok(failedId, failed.stdout);
    const left = await psA();
    assert.deepEqual(left.map(([id, , cmd]) => [id!.slice(0, 12), cmd]), [[failedId, '"/bin/sh -c \'exit 4\'"']], 'the failing step\'s container stays with the default --rm');
    assert.match(left[0]![3]!, /^Exited \(4\) /);
    assert.equal((await docker(['start', '-a', failedId!])).code, 4, 'the failed step\'s container can be started again, and fails again');
    ok(await docker(['rm', failedId!]), 'rm');
    const forced = await docker(['build', '--force-rm', '-f', fail, '.']);
    assert.equal(forced.code, 4);
    assert.match(forced.stdout, / ---> Running in ([a-f0-9]{12})\nRemoving intermediate container \1\n$/);
    assert.deepEqual(await psA(), [], '--force-rm leaves none');
  });

  it('publishes create, attach, start, die and destroy for each RUN container as dockerd does; a kept one has no destroy and keeps its name', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const df = write('Dockerfile.e', `FROM ${image}\nRUN exit 0\n`);
    const runIn = (out: string): string => {
      const id = / ---> Running in ([a-f0-9]{12})\n/.exec(out)?.[1];
      assert.ok(id, out);
      return id;
    };
    const removed = runIn(ok(await docker(['build', '--no-cache', '-f', df, '.']), 'build').stdout);
    const kept = runIn(ok(await docker(['build', '--rm=false', '--no-cache', '-f', df, '.']), 'build --rm=false').stdout);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = ok(await docker(['events', '--since', since, '--until', until, '--filter', 'type=container', '--format',
      '{{.Action}}|{{.Actor.ID}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.exitCode}}|{{.Actor.Attributes.image}}']), 'events')
      .stdout.split('\n').filter(Boolean).map((l) => l.split('|'));
    const of = (id: string): string[][] => events.filter(([, full]) => full!.startsWith(id));
    assert.deepEqual(of(removed).map(([action]) => action), ['create', 'attach', 'start', 'die', 'destroy'], events.join('\n'));
    assert.deepEqual(of(kept).map(([action]) => action), ['create', 'attach', 'start', 'die'], events.join('\n'));
    assert.equal(of(kept).find(([action]) => action === 'die')![3], '0');
    const name = ok(await docker(['ps', '-a', '--filter', `id=${kept}`, '--format', '{{.Names}}']), 'ps').stdout.trim();
    assert.ok(/^[a-z]+_[a-z]+$/.test(name), name);
    assert.ok(of(kept).every(([, , n]) => n === name), `every event names the kept container ${name}: ${events.join('\n')}`);
    const base = ok(await docker(['image', 'inspect', '--format', '{{.Id}}', image]), 'inspect').stdout.trim();
    assert.ok(of(removed).every(([, , , , img]) => img === base), 'the image attribute is the step\'s parent image');
    ok(await docker(['rm', kept]), 'rm');
  });

  it('--cache-from reuses the steps of a named image when the build cache has none', async () => {
    const df = write('Dockerfile.cf', `FROM ${image}\nENV CF=1\nCOPY a.txt /cf/\nRUN echo cf > /cf/out\n`);
    const first = ok(await docker(['build', '-f', df, '-t', 'e2e/cf', '.']), 'build');
    const firstId = ok(await docker(['image', 'inspect', '--format', '{{.Id}}', 'e2e/cf']), 'inspect').stdout.trim();
    ok(await docker(['builder', 'prune', '-af']), 'builder prune');
    const fromCache = ok(await docker(['build', '-f', df, '--cache-from', 'e2e/cf', '-t', 'e2e/cf2', '.']), 'build --cache-from');
    assert.equal(fromCache.stdout.match(/ ---> Using cache\n/g)?.length, 3, fromCache.stdout);
    assert.deepEqual(ids(fromCache.stdout), ids(first.stdout));
    assert.equal(ok(await docker(['image', 'inspect', '--format', '{{.Id}}', 'e2e/cf2']), 'inspect').stdout.trim(), firstId);
    ok(await docker(['builder', 'prune', '-af']), 'builder prune');
    const viaTdock = ok(await tdock(['build', '-f', df, '--cache-from', 'e2e/cf', '.']), 'tdock build --cache-from');
    assert.equal(viaTdock.stdout.match(/ ---> Using cache\n/g)?.length, 3, viaTdock.stdout);
    ok(await docker(['builder', 'prune', '-af']), 'builder prune');
    const without = ok(await docker(['build', '-f', df, '.']), 'build without --cache-from');
    assert.ok(!without.stdout.includes('Using cache'), without.stdout);
  });

  it('--platform: a base for another platform is refused; the base\'s own platform builds', async () => {
    const wrong = await docker(['build', '--platform', 'linux/arm64', '.']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /was found but its platform \(linux\/amd64\) does not match the specified platform \(linux\/arm64\)/);
    ok(await docker(['build', '--platform', 'linux/amd64', '.']), 'build --platform linux/amd64');
    const bad = await docker(['build', '--platform', 'not a platform', '.']);
    assert.notEqual(bad.code, 0);
  });

  it('passes --memory, --cpu-shares, --cpuset-cpus, --add-host, --ulimit, --shm-size and --network to RUN containers', async () => {
    const df = write('Dockerfile.res', [
      `FROM ${image}`,
      'RUN grep Cpus_allowed_list /proc/self/status > /res && grep foo.example /etc/hosts >> /res && ulimit -n >> /res && df -k /dev/shm | tail -1 | awk \'{print $2}\' >> /res' +
        ' && cat /proc/self/cgroup > /cgroup && (grep -c eth0 /proc/net/dev || true) > /net',
      'CMD ["cat", "/res", "/net"]',
    ].join('\n'));
    const flags = ['--memory', '64m', '--cpu-shares', '512', '--cpuset-cpus', '0', '--add-host', 'foo.example:10.1.2.3', '--ulimit', 'nofile=1000:1000', '--shm-size', '16m'];
    for (const [client, name] of [[docker, 'docker'], [tdock, 'tdock']] as const) {
      for (const net of ['none', 'default']) {
        const tag = `e2e/res-${name}-${net}`;
        const b = await client(['build', '--no-cache', '--network', net, ...flags, '-f', df, '-t', tag, '.']);
        assert.equal(b.code, 0, `${name} --network ${net}: ${b.stdout}\n${b.stderr}`);
        const out = ok(await docker(['run', '--rm', '--network', 'none', tag]), 'run').stdout;
        assert.equal(out, `Cpus_allowed_list:\t0\n10.1.2.3\tfoo.example\n1000\n16384\n${net === 'none' ? '0' : '1'}\n`, `${name} --network ${net}`);
      }
    }
    const oom = write('Dockerfile.oom', `FROM ${image}\nRUN a=$(head -c 104857600 /dev/zero | tr "\\0" a); echo \${#a}\n`);
    const killed = await docker(['build', '--memory', '32m', '-f', oom, '.']);
    assert.equal(killed.code, 137, `a 100 MB allocation under --memory 32m is killed: ${killed.stdout}\n${killed.stderr}`);
    const bad = await docker(['build', '--memory', '1k', '.']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Minimum memory limit allowed is 6MB/);
  });
});
