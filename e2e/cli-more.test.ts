// The tdock CLI commands e2e/cli.test.ts does not drive (create, start, restart, kill, port, update,
// login/push/logout, import, volume, network, system prune, events), against the built tdockd, each
// compared with the real docker CLI against the same daemon where their output can be compared.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startRegistry, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import { DOCKER, PtySession, TDOCK, ok, openTdockdSuite, runCommand, type Result, type TdockdSuite } from './support.js';
const LOOP = 'trap "exit 0" TERM; while true; do sleep 0.1; done';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string | Buffer): Promise<Result> => runCommand(cmd, args, { env, input });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A file of the container's cgroup (v1 controller directory, or the v2 unified one). */
function cgroupFile(pid: number, controller: string, v1: string, v2: string): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1line = lines.find((l) => l.split(':')[1]!.split(',').includes(controller));
  if (v1line) return path.join('/sys/fs/cgroup', controller, v1line.split(':')[2]!, v1);
  return path.join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3), v2);
}

describe('e2e: more tdock CLI commands against tdockd', function () {
  this.timeout(180_000);
  let suite: TdockdSuite | undefined;
  let roots: TempRoots;
  let reg: RegistryHandle;
  let authReg: RegistryHandle | undefined;
  let image: string;
  let env: NodeJS.ProcessEnv;
  const tdock = (args: string[], input?: string | Buffer): Promise<Result> => run(process.execPath, [TDOCK, ...args], env, input);
  const docker = (args: string[], input?: string | Buffer): Promise<Result> => run(DOCKER, args, env, input);
  /** Runs the command with both CLIs; exit code, stdout and stderr must match (docker naming itself aside). */
  const same = async (args: string[], input?: string): Promise<Result> => {
    const ours = await tdock(args, input);
    const theirs = await docker(args, input);
    const rename = (s: string): string => s.replace(/docker/g, 'tdock').replace(/Docker/g, 'tdock');
    assert.deepEqual({ code: ours.code, stdout: ours.stdout, stderr: ours.stderr }, { code: theirs.code, stdout: rename(theirs.stdout), stderr: rename(theirs.stderr) }, `tdock ${args.join(' ')}`);
    return ours;
  };
  const state = async (name: string, format: string): Promise<string> => ok(await tdock(['inspect', '-f', format, name]), `inspect ${name}`).stdout.trim();

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    suite = await openTdockdSuite({ TZ: 'UTC' });
    ({ roots, reg, image, env } = suite);
    await suite.start();
    ok(await tdock(['pull', '-q', image]), 'pull');
  });

  after(async () => {
    await authReg?.stop();
    await suite?.stop();
  });

  it('create, start (-a, -i), restart and kill -s act and print as docker does', async () => {
    const script = 'trap "echo usr1" USR1; trap "exit 0" TERM; echo started; while true; do sleep 0.1; done';
    const created = ok(await tdock(['create', '--name', 'm-life', '--network', 'none', image, 'sh', '-c', script]), 'create');
    assert.match(created.stdout, /^[0-9a-f]{64}\n$/);
    assert.equal(await state('m-life', '{{.State.Status}}'), 'created');
    assert.equal(ok(await tdock(['start', 'm-life']), 'start').stdout, 'm-life\n');
    assert.equal(await state('m-life', '{{.State.Status}}'), 'running');
    assert.equal(ok(await tdock(['start', 'm-life']), 'start again').stdout, 'm-life\n', 'starting a running container is no error');
    for (let i = 0; i < 2; i++) {
      const before = await state('m-life', '{{.State.StartedAt}}');
      assert.equal(ok(await tdock(['restart', '-t', '1', 'm-life']), 'restart').stdout, 'm-life\n');
      assert.notEqual(await state('m-life', '{{.State.StartedAt}}'), before);
      await sleep(1000); // past the clean-up of the previous run, which must not touch the new one
      assert.equal(await state('m-life', '{{.State.Status}} {{.State.Running}}'), 'running true', `after restart ${i + 1}`);
    }
    assert.equal(ok(await tdock(['logs', 'm-life']), 'logs').stdout, 'started\nstarted\nstarted\n');
    await same(['kill', '-s', 'BOGUS', 'm-life']);
    assert.equal(ok(await tdock(['kill', '-s', 'USR1', 'm-life']), 'kill -s USR1').stdout, 'm-life\n');
    for (let i = 0; i < 100 && !(await tdock(['logs', 'm-life'])).stdout.includes('usr1'); i++) await sleep(100);
    assert.match(ok(await tdock(['logs', 'm-life']), 'logs').stdout, /usr1\n/);
    assert.equal(await state('m-life', '{{.State.Running}}'), 'true', 'USR1 is trapped');
    assert.equal(ok(await tdock(['kill', '--signal=SIGTERM', 'm-life']), 'kill TERM').stdout, 'm-life\n');
    assert.equal(ok(await tdock(['wait', 'm-life']), 'wait').stdout, '0\n', 'TERM is trapped: exit 0');
    const again = await same(['kill', 'm-life']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error response from daemon: container [0-9a-f]{64} is not running\n$/);
    await same(['create', '--network', 'none', `${reg.host}/kit/nosuch:v1`]);
    await same(['create', '--pull', 'never', 'nosuchimage:v1']);
    await same(['start', 'nosuch1', 'nosuch2']);
    await same(['kill', 'nosuch']);
    await same(['restart', 'nosuch']);

    ok(await tdock(['create', '--name', 'm-att', '--network', 'none', image, 'sh', '-c', 'echo out; echo err >&2; exit 3']), 'create');
    const attached = await same(['start', '-a', 'm-att']);
    assert.deepEqual([attached.code, attached.stdout, attached.stderr], [3, 'out\n', 'err\n']);
    ok(await tdock(['create', '-i', '--name', 'm-in', '--network', 'none', image, 'sh', '-c', 'read x; echo got $x']), 'create -i');
    const fed = await tdock(['start', '-ai', 'm-in'], 'hello\n');
    assert.deepEqual([fed.code, fed.stdout], [0, 'got hello\n']);
    await same(['start', '-a', 'm-att', 'm-in']);
    ok(await tdock(['rm', 'm-life', 'm-att', 'm-in']), 'rm');
  });

  it('port lists the published ports in docker\'s natural order and finds one', async () => {
    ok(await tdock(['run', '-d', '--name', 'm-port', '-p', '127.0.0.1::8080', '-p', '127.0.0.1::80', '-p', '127.0.0.1::443', '-p', '127.0.0.1::53/udp', image, 'sh', '-c', LOOP]), 'run -p');
    const all = await same(['port', 'm-port']);
    assert.deepEqual(all.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['53/udp', '80/tcp', '443/tcp', '8080/tcp']);
    assert.match(all.stdout, /^53\/udp -> 127\.0\.0\.1:\d+\n/);
    const http = await same(['port', 'm-port', '80']);
    assert.match(http.stdout, /^127\.0\.0\.1:\d+\n$/);
    assert.equal(ok(await tdock(['port', 'm-port', '80/tcp']), 'port 80/tcp').stdout, http.stdout);
    await same(['port', 'm-port', '53/udp']);
    const none = await same(['port', 'm-port', '81']);
    assert.deepEqual([none.code, none.stderr], [1, "Error: No public port '81' published for m-port\n"]);
    await same(['port', 'm-port', 'x']);
    await same(['port', 'nosuch']);
    ok(await tdock(['rm', '-f', 'm-port']), 'rm');
  });

  it('update changes limits and the restart policy of a running container, merging as dockerd does', async () => {
    ok(await tdock(['run', '-d', '--name', 'm-upd', '--network', 'none', '--memory', '64m', image, 'sh', '-c', LOOP]), 'run --memory');
    const fmt = '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}';
    assert.equal(await state('m-upd', fmt), `${64 << 20} ${128 << 20} no:0`, 'MemorySwap defaults to twice the memory');
    await same(['update', 'm-upd']);
    assert.equal(ok(await tdock(['update', '--memory', '96m', '--restart', 'on-failure:2', 'm-upd']), 'update').stdout, 'm-upd\n');
    assert.equal(await state('m-upd', fmt), `${96 << 20} ${128 << 20} on-failure:2`);
    const pid = Number(await state('m-upd', '{{.State.Pid}}'));
    assert.equal(fs.readFileSync(cgroupFile(pid, 'memory', 'memory.limit_in_bytes', 'memory.max'), 'utf8').trim(), String(96 << 20));
    // The docker CLI sends every Resources field, zero where no flag was given: nothing else may change.
    assert.equal(ok(await docker(['update', '--pids-limit', '40', 'm-upd']), 'docker update').stdout, 'm-upd\n');
    assert.equal(await state('m-upd', `${fmt} {{.HostConfig.PidsLimit}}`), `${96 << 20} ${128 << 20} on-failure:2 40`);
    assert.equal(fs.readFileSync(cgroupFile(pid, 'pids', 'pids.max', 'pids.max'), 'utf8').trim(), '40');
    const above = await same(['update', '--memory', '512m', 'm-upd']);
    assert.match(above.stderr, /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
    assert.match((await same(['update', '--memory', '2m', 'm-upd'])).stderr, /^Error response from daemon: Minimum memory limit allowed is 6MB\n$/);
    assert.match((await same(['update', '--restart', 'bogus', 'm-upd'])).stderr, /invalid restart policy: unknown policy 'bogus'/);
    await same(['update', '--restart', ':1', 'm-upd']);
    const mixed = await same(['update', '--memory', '100m', '--memory-swap', '200m', 'nosuch', 'm-upd']);
    assert.deepEqual([mixed.code, mixed.stdout, mixed.stderr], [1, 'm-upd\n', 'Error response from daemon: No such container: nosuch\n']);
    assert.equal(await state('m-upd', `${fmt} {{.HostConfig.PidsLimit}}`), `${100 << 20} ${200 << 20} on-failure:2 40`);
    ok(await tdock(['rm', '-f', 'm-upd']), 'rm');
  });

  it('login stores credentials as docker does, push and pull use them, logout removes them', async () => {
    authReg = await startRegistry({ auth: 'basic' });
    const host = authReg.host;
    const user = authReg.username!;
    const password = authReg.password!;
    const config = path.join(env.DOCKER_CONFIG!, 'config.json');
    const wrong = await same(['login', '-u', user, '-p', 'wrong', host]);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, `WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nError response from daemon: login attempt to http://${host}/v2/ failed with status: 401 Unauthorized\n`);
    assert.equal(fs.existsSync(config), false, 'a failed login saves nothing');
    await same(['login', host]);
    ok(await tdock(['tag', image, `${host}/cli/pushed:v1`]), 'tag');
    assert.equal((await tdock(['push', `${host}/cli/pushed:v1`])).code, 1, 'push without credentials fails');

    const login = ok(await tdock(['login', '-u', user, '--password-stdin', host], `${password}\n`), 'login');
    assert.equal(login.stdout, 'Login Succeeded\n');
    assert.equal(login.stderr, `\nWARNING! Your credentials are stored unencrypted in '${config}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    assert.equal(fs.statSync(config).mode & 0o777, 0o600);
    const saved = fs.readFileSync(config, 'utf8');
    assert.deepEqual(JSON.parse(saved), { auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } });
    const theirConfig = path.join(roots.dir, 'their-config');
    ok(await run(DOCKER, ['login', '-u', user, '--password-stdin', host], { ...env, DOCKER_CONFIG: theirConfig }, `${password}\n`), 'docker login');
    assert.equal(saved, fs.readFileSync(path.join(theirConfig, 'config.json'), 'utf8'), 'the same config.json, byte for byte');
    const stored = ok(await tdock(['login', host]), 'login with stored credentials');
    assert.equal(stored.stdout, 'Login Succeeded\n');
    assert.match(stored.stderr, new RegExp(`^Authenticating with existing credentials\\.\\.\\. \\[Username: ${user}\\]\n`));

    const pushed = ok(await tdock(['push', `${host}/cli/pushed:v1`]), 'push');
    assert.match(pushed.stdout, /^The push refers to repository \[127\.0\.0\.1:\d+\/cli\/pushed\]\n/);
    assert.match(pushed.stdout, /: Pushed\n/);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+\n$/.exec(pushed.stdout)?.[1];
    assert.ok(digest, pushed.stdout);
    const id = await state(image, '{{.Id}}');
    ok(await tdock(['rmi', `${host}/cli/pushed:v1`]), 'rmi');
    const pulled = ok(await tdock(['pull', `${host}/cli/pushed:v1`]), 'pull with the stored credentials');
    assert.match(pulled.stdout, new RegExp(`Digest: ${digest}\n`));
    assert.equal(await state(`${host}/cli/pushed:v1`, '{{.Id}}'), id);
    assert.equal(ok(await tdock(['run', '--rm', '--network', 'none', `${host}/cli/pushed:v1`, 'echo', 'pulled back']), 'run').stdout, 'pulled back\n');

    assert.equal(ok(await tdock(['logout', host]), 'logout').stdout, `Removing login credentials for ${host}\n`);
    assert.deepEqual(JSON.parse(fs.readFileSync(config, 'utf8')), { auths: {} });
    await same(['logout', `http://${host}/v2/`]);
    ok(await tdock(['rmi', `${host}/cli/pushed:v1`]), 'rmi');
    // A refused pull is dockerd's plain 500 error: on a 401 the docker CLI would prompt to log in.
    const refused = await same(['pull', `${host}/cli/pushed:v1`]);
    assert.match(refused.stderr, /^Error response from daemon: .*authentication required/);
    // On a terminal, login asks for what it was not given; the password is not echoed.
    const pty = new PtySession(`${process.execPath} ${TDOCK} login ${host}`, env);
    try {
      await pty.waitFor(/Username: $/);
      pty.write(`${user}\r`);
      await pty.waitFor(/Password: $/);
      pty.write(`${password}\r`);
      await pty.waitFor(/Login Succeeded/);
      assert.equal(await pty.exited, 0);
    } finally {
      pty.kill();
    }
    assert.ok(!pty.output.includes(password), `the password is not echoed: ${JSON.stringify(pty.output)}`);
    assert.equal(JSON.parse(fs.readFileSync(config, 'utf8')).auths[host].auth, Buffer.from(`${user}:${password}`).toString('base64'));
    ok(await tdock(['logout', host]), 'logout');
    await same(['login', '--password-stdin', host]);
    await same(['login', '-u', user, '-p', 'x', '--password-stdin', host]);
  });

  it('import makes an image from an exported tarball, with -c and -m, from a file or stdin', async () => {
    ok(await tdock(['create', '--name', 'm-exp', '--network', 'none', image, 'true']), 'create');
    const tar = path.join(roots.dir, 'exported.tar');
    ok(await tdock(['export', '-o', tar, 'm-exp']), 'export');
    const imported = ok(await tdock(['import', '-c', 'CMD ["sh", "-c", "echo $IMPORTED"]', '-c', 'ENV IMPORTED=yes', '-m', 'from a tarball', tar, 'm-imported:v1']), 'import');
    assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(await state('m-imported:v1', '{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}}'), '["sh","-c","echo $IMPORTED"] ["IMPORTED=yes"] from a tarball');
    assert.equal(ok(await tdock(['history', '--format', '{{.Comment}}', 'm-imported:v1']), 'history').stdout, 'from a tarball\n');
    assert.equal(ok(await tdock(['run', '--rm', '--network', 'none', 'm-imported:v1']), 'run imported').stdout, 'yes\n');
    // The docker CLI sends the tarball with no type (text/plain): it must still become the layer.
    ok(await docker(['import', tar, 'm-imported:v2']), 'docker import');
    assert.equal(await state('m-imported:v2', '{{.Size}} {{.Comment}}'), `${await state('m-imported:v1', '{{.Size}}')} Imported from -`);
    ok(await tdock(['import', '-', 'm-imported:v3'], fs.readFileSync(tar)), 'import -');
    assert.equal(ok(await tdock(['run', '--rm', '--network', 'none', 'm-imported:v3', 'cat', '/etc/hostname']), 'run v3').code, 0);
    await same(['import', path.join(roots.dir, 'nonexistent.tar')]);
    await same(['import', '-c', 'FROM x', tar]);
    ok(await tdock(['rm', 'm-exp']), 'rm');
    ok(await tdock(['rmi', 'm-imported:v1', 'm-imported:v2', 'm-imported:v3']), 'rmi');
  });

  it('volume create, ls, inspect, rm and prune as docker does', async () => {
    assert.equal(ok(await tdock(['volume', 'create', '--label', 'k=v', 'm-vol1']), 'volume create').stdout, 'm-vol1\n');
    const anonymous = ok(await tdock(['volume', 'create']), 'volume create').stdout.trim();
    assert.match(anonymous, /^[0-9a-f]{64}$/);
    ok(await tdock(['volume', 'create', 'm-vol2']), 'volume create');
    for (const args of [['volume', 'ls'], ['volume', 'ls', '-q'], ['volume', 'ls', '--filter', 'label=k=v'], ['volume', 'inspect', 'm-vol1'], ['volume', 'inspect', '-f', '{{.Name}} {{.Labels}}', 'm-vol1', 'm-vol2'], ['volume', 'inspect', 'nosuch'], ['volume', 'rm', 'nosuch'], ['volume'], ['volume', 'frob']]) await same(args);
    ok(await tdock(['run', '-d', '--name', 'm-volc', '--network', 'none', '-v', 'm-vol1:/data', image, 'sh', '-c', LOOP]), 'run -v');
    assert.match((await same(['volume', 'rm', 'm-vol1'])).stderr, /volume is in use/);
    const asked = await same(['volume', 'prune'], 'n\n');
    assert.equal(asked.stdout, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    assert.equal(ok(await tdock(['volume', 'prune', '-f']), 'prune').stdout, `Deleted Volumes:\n${anonymous}\n\nTotal reclaimed space: 0B\n`);
    assert.equal(ok(await tdock(['volume', 'prune', '--all'], 'y\n'), 'prune --all').stdout, 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Volumes:\nm-vol2\n\nTotal reclaimed space: 0B\n');
    await same(['volume', 'prune', '-a', '--filter', 'all=1']);
    ok(await tdock(['rm', '-f', 'm-volc']), 'rm');
    assert.equal(ok(await tdock(['volume', 'rm', 'm-vol1']), 'volume rm').stdout, 'm-vol1\n');
    assert.equal(ok(await tdock(['volume', 'ls', '-q']), 'ls').stdout, '');
  });

  it('network create, ls, inspect, connect, disconnect, rm and prune as docker does', async () => {
    const id = ok(await tdock(['network', 'create', '--label', 'x=y', 'm-net']), 'network create').stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await same(['network', 'create', 'm-net']);
    await same(['network', 'create', '--subnet', '10.213.7.0/24', '--subnet', 'bad', 'm-net2']);
    await same(['network', 'create', '--subnet', '10.213.7.0/24', '--gateway', '10.213.8.1', 'm-net2']);
    await same(['network', 'create', '--subnet', '10.213.7.0/24,10.213.7.128/25', 'm-net2']);
    for (const args of [['network', 'ls'], ['network', 'ls', '-q', '--filter', 'name=m-net'], ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels}} {{.Internal}}', 'm-net'], ['network', 'inspect', 'nosuch'], ['network']]) await same(args);
    assert.equal(await state('m-net', '{{.Id}}'), id);
    ok(await tdock(['run', '-d', '--name', 'm-netc', image, 'sh', '-c', LOOP]), 'run');
    const links = async (): Promise<string> => ok(await tdock(['exec', 'm-netc', 'sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "']), 'exec').stdout;
    assert.equal(await links(), 'eth0 lo ');
    assert.equal(ok(await tdock(['network', 'connect', '--alias', 'web', 'm-net', 'm-netc']), 'connect').stdout, '');
    assert.equal(await links(), 'eth0 eth1 lo ');
    assert.equal(await state('m-netc', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}'), 'bridge m-net');
    assert.match(await state('m-netc', '{{json (index .NetworkSettings.Networks "m-net").Aliases}}'), /"web"/);
    await same(['network', 'connect', 'm-net', 'm-netc']);
    const inUse = await same(['network', 'rm', 'm-net']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /\nexit status 1\n$/);
    assert.equal(ok(await tdock(['network', 'disconnect', 'm-net', 'm-netc']), 'disconnect').stdout, '');
    assert.equal(await links(), 'eth0 lo ');
    await same(['network', 'disconnect', 'm-net', 'm-netc']);
    assert.equal(ok(await tdock(['network', 'rm', 'm-net']), 'network rm').stdout, 'm-net\n');
    await same(['network', 'rm', 'nosuch']);
    await same(['network', 'rm', '-f', 'nosuch']);
    ok(await tdock(['network', 'create', 'm-net3']), 'network create');
    await same(['network', 'prune']);
    assert.equal(ok(await tdock(['network', 'prune', '-f']), 'network prune').stdout, 'Deleted Networks:\nm-net3\n\n');
    ok(await tdock(['rm', '-f', 'm-netc']), 'rm');
  });

  it('system prune -f removes stopped containers, unused networks and dangling images only', async () => {
    ok(await tdock(['run', '-d', '--name', 'm-keep', '--network', 'none', image, 'sh', '-c', LOOP]), 'run');
    const stopped = ok(await tdock(['create', '--name', 'm-stopped', '--network', 'none', image, 'true']), 'create').stdout.trim();
    const dangling = ok(await tdock(['commit', 'm-keep']), 'commit').stdout.trim();
    ok(await tdock(['network', 'create', 'm-unused']), 'network create');
    const asked = await same(['system', 'prune']);
    assert.equal(asked.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
    await same(['system', 'prune', '--filter', 'label=a=b', '--filter', 'until=1h', '--volumes']);
    const pruned = ok(await tdock(['system', 'prune', '-f']), 'system prune').stdout;
    assert.match(pruned, new RegExp(`^Deleted Containers:\n${stopped}\n\nDeleted Networks:\nm-unused\n\nDeleted Images:\ndeleted: ${dangling}\n(deleted: sha256:[0-9a-f]{64}\n)*\nTotal reclaimed space: \\d+(\\.\\d+)?[kMG]?B\n$`));
    assert.equal(ok(await tdock(['ps', '-a', '--format', '{{.Names}}']), 'ps').stdout, 'm-keep\n');
    assert.equal(ok(await tdock(['image', 'inspect', '-f', '{{.Id}}', image]), 'image kept').code, 0);
    await same(['image', 'inspect', dangling]);
    await same(['container', 'inspect', 'nosuch']);
    assert.equal(ok(await tdock(['system', 'prune', '-f']), 'system prune again').stdout, 'Total reclaimed space: 0B\n');
    ok(await tdock(['rm', '-f', 'm-keep']), 'rm');
  });

  it('events prints docker\'s lines for --since/--until and streams while containers start', async () => {
    const since = Math.floor(Date.now() / 1000);
    const id = ok(await tdock(['create', '--name', 'm-ev', '--network', 'none', image, 'true']), 'create').stdout.trim();
    ok(await tdock(['start', '-a', 'm-ev']), 'start -a');
    ok(await tdock(['rm', 'm-ev']), 'rm');
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const args = ['events', '--since', String(since), '--until', until, '--filter', `container=${id}`];
    const lines = (await same(args)).stdout.trim().split('\n');
    const attrs = `(image=${image}, name=m-ev)`;
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container \w+ [0-9a-f]{64} \(/, l);
    assert.deepEqual(lines.map((l) => l.split(' ')[2]), ['create', 'attach', 'start', 'die', 'destroy']);
    assert.equal(lines[2]!.slice(31), `container start ${id} ${attrs}`);
    assert.match(lines[3]!.slice(31), new RegExp(`^container die ${id} \\(execDuration=\\d+, exitCode=0, image=${image.replace(/[.]/g, '\\.')}, name=m-ev\\)$`));
    const json = (await same([...args, '--format', 'json', '--filter', 'event=start'])).stdout;
    assert.match(json, new RegExp(`^\\{"status":"start","id":"${id}","from":"[^"]+","Type":"container","Action":"start","Actor":\\{"ID":"${id}","Attributes":\\{"image":"[^"]+","name":"m-ev"\\}\\},"scope":"local","time":\\d+,"timeNano":\\d+\\}\n$`));
    await same([...args, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);

    // A background `events` sees containers start while it runs.
    const child = spawn(process.execPath, [TDOCK, 'events', '--filter', 'event=start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 20 && !/ container start [0-9a-f]{64} \(image=[^,]+, name=m-bg\)\n/.test(out); i++) {
        ok(await tdock(['run', '--rm', '--name', 'm-bg', '--network', 'none', image, 'true']), 'run');
      }
    } finally {
      child.kill('SIGTERM');
    }
    assert.match(out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container start [0-9a-f]{64} \(image=[^,]+, name=m-bg\)\n/);
  });
});
