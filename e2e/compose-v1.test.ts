// Debian's docker-compose 1.29 (docker-py 5) against the built tdockd: a two-service project with a
// named volume and `network_mode: host`. compose 1.29 names containers <project>_<service>_1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import { runCommand, type Result } from './support.js';

const DOCKER = '/usr/local/bin/docker';
const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const PROJECT = 'e2ecv1';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Result> => runCommand(cmd, args, { env, cwd });

const service = (name: string, image: string, cmd: string): string => `  ${name}:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; ${cmd}; while true; do sleep 0.2; done"]
    network_mode: host
    volumes:
      - data:/data
`;

describe('e2e: docker-compose 1.29 against tdockd', function () {
  this.timeout(240_000);
  let roots: TempRoots;
  let reg: RegistryHandle;
  let daemon: DaemonHandle | undefined;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let image: string;
  const compose = (args: string[]): Promise<Result> => run(DOCKER_COMPOSE, ['-p', PROJECT, ...args], env, dir);
  const docker = (args: string[]): Promise<Result> => run(DOCKER, args, env);
  const ok = (r: Result, what: string): Result => {
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const until = async (what: string, get: () => Promise<string>, good: (s: string) => boolean): Promise<string> => {
    let s = '';
    for (let i = 0; i < 60; i++) {
      s = await get();
      if (good(s)) return s;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`${what}: ${s}`);
  };

  before(async function () {
    if (!fs.existsSync(DOCKER_COMPOSE) || !fs.existsSync(DOCKER)) this.skip();
    roots = await tempRoots();
    reg = await startRegistry();
    image = (await fixtures()).busybox.refIn(reg.host);
    daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: roots.dir, DOCKER_HOST: `unix://${roots.socket}`, DOCKER_CONFIG: path.join(roots.dir, 'docker-config') };
    dir = path.join(roots.dir, 'project');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'docker-compose.yml'),
      `version: "3.7"\nservices:\n${service('writer', image, 'echo writer-up; echo shared > /data/f')}${service('reader', image, 'echo reader-up >&2')}volumes:\n  data: {}\n`,
    );
  });

  afterEach(async () => {
    if (!daemon) return;
    const ps = await docker(['ps', '-aq']);
    for (const id of ps.stdout.split('\n').filter(Boolean)) await docker(['rm', '-f', '-v', id]);
    const vols = await docker(['volume', 'ls', '-q']);
    for (const v of vols.stdout.split('\n').filter(Boolean)) await docker(['volume', 'rm', '-f', v]);
  });

  after(async () => {
    await daemon?.stop();
    await reg?.stop();
    await roots?.cleanup();
  });

  it('up -d, ps shows both Up, logs prints their output, down keeps the volume', async () => {
    ok(await compose(['up', '-d']), 'up -d');
    const names = ok(await docker(['ps', '--format', '{{.Names}}']), 'docker ps').stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(names, [`${PROJECT}_reader_1`, `${PROJECT}_writer_1`]);
    const ps = ok(await compose(['ps']), 'ps').stdout;
    assert.match(ps, new RegExp(`^${PROJECT}_writer_1 .* Up`, 'm'));
    assert.match(ps, new RegExp(`^${PROJECT}_reader_1 .* Up`, 'm'));
    // compose 1.29 prefixes log lines with <service>_<n>, not the container name.
    const logs = await until('logs', async () => ok(await compose(['logs', '--no-color']), 'logs').stdout, (s) => s.includes('writer-up') && s.includes('reader-up'));
    assert.match(logs, /^writer_1 +\| writer-up$/m);
    assert.match(logs, /^reader_1 +\| reader-up$/m, 'stderr is in the logs too');
    const label = ok(await docker(['inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}} {{.HostConfig.NetworkMode}}', `${PROJECT}_writer_1`]), 'inspect').stdout;
    assert.equal(label, 'writer host\n');
    // The named volume is shared: the reader sees what the writer wrote.
    await until('shared volume', async () => (await docker(['exec', `${PROJECT}_reader_1`, 'cat', '/data/f'])).stdout, (s) => s === 'shared\n');
    assert.match(ok(await docker(['volume', 'ls', '-q']), 'volume ls').stdout, new RegExp(`^${PROJECT}_data$`, 'm'));
    ok(await compose(['down']), 'down');
    assert.equal(ok(await docker(['ps', '-aq']), 'ps -aq').stdout, '');
    assert.match(ok(await docker(['volume', 'ls', '-q']), 'volume ls').stdout, new RegExp(`^${PROJECT}_data$`, 'm'), 'down keeps the volume');
    assert.equal(ok(await compose(['ps', '-q']), 'ps -q').stdout, '');
  });

  it('down -v removes the named volume', async () => {
    ok(await compose(['up', '-d']), 'up -d');
    await until('volume data', async () => (await docker(['exec', `${PROJECT}_reader_1`, 'cat', '/data/f'])).stdout, (s) => s === 'shared\n');
    ok(await compose(['down', '-v']), 'down -v');
    assert.equal(ok(await docker(['ps', '-aq']), 'ps -aq').stdout, '');
    assert.doesNotMatch(ok(await docker(['volume', 'ls', '-q']), 'volume ls').stdout, new RegExp(`${PROJECT}_data`));
  });

  it('on the default network, a client reaches a web server by its service name', async () => {
    const netDir = path.join(roots.dir, 'net');
    fs.mkdirSync(netDir);
    fs.writeFileSync(path.join(netDir, 'docker-compose.yml'), `version: "3.8"
services:
  web:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo v1-web > /www/index.html; httpd -f -p 80 -h /www & wait"]
  client:
    image: ${image}
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/index.html && exit 0; sleep 0.5; done; exit 1"]
    depends_on: [web]
`);
    const v1 = (args: string[]): Promise<Result> => run(DOCKER_COMPOSE, ['-p', 'e2ev1net', ...args], env, netDir);
    ok(await v1(['up', '-d']), 'up -d');
    assert.match(ok(await docker(['network', 'ls', '--format', '{{.Name}}']), 'network ls').stdout, /^e2ev1net_default$/m);
    assert.equal(ok(await docker(['wait', 'e2ev1net_client_1']), 'wait').stdout.trim(), '0');
    assert.match(ok(await v1(['logs', 'client']), 'logs').stdout, /v1-web/);
    ok(await v1(['down']), 'down');
    assert.doesNotMatch(ok(await docker(['network', 'ls', '--format', '{{.Name}}']), 'network ls').stdout, /e2ev1net_default/);
  });
});
