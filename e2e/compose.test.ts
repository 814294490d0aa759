// tdock compose against tdockd: a corpus of small projects, and docker-compose 1.29 reading the same
// project. Images come from the kit registry (interpolated into the files as ${IMG}).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import { runCommand, type Result } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TDOCK = path.join(ROOT, 'packages/cli/bin/tdock.js');
const DOCKER = '/usr/local/bin/docker';
const DOCKER_COMPOSE = '/usr/bin/docker-compose';

const run = (cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Result> => runCommand(cmd, args, opts);

const SERVER = `["sh", "-c", "trap 'exit 0' TERM; echo up; while true; do sleep 0.1; done"]`;

describe('e2e: tdock compose against tdockd', function () {
  this.timeout(240_000);
  let roots: TempRoots;
  let reg: RegistryHandle;
  let daemon: DaemonHandle | undefined;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const compose = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> => run(process.execPath, [TDOCK, 'compose', ...args], { env: { ...env, ...extraEnv }, cwd: dir });
  const docker = (args: string[]): Promise<Result> => run(DOCKER, args, { env });
  const ok = (r: Result, what: string): Result => {
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    return r;
  };
  const project = (name: string, yaml: string, files: Record<string, string> = {}): void => {
    dir = path.join(roots.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'compose.yaml'), yaml);
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  };
  const names = async (): Promise<string[]> => ok(await docker(['ps', '-a', '--format', '{{.Names}}']), 'ps').stdout.split('\n').filter(Boolean).sort();

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    roots = await tempRoots();
    reg = await startRegistry();
    const image = (await fixtures()).busybox.refIn(reg.host);
    daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: roots.dir, DOCKER_HOST: `unix://${roots.socket}`, DOCKER_CONFIG: path.join(roots.dir, 'docker-config'), IMG: image };
  });

  afterEach(async () => {
    if (!daemon) return;
    const ps = await docker(['ps', '-aq']);
    for (const id of ps.stdout.split('\n').filter(Boolean)) await docker(['rm', '-f', '-v', id]);
  });

  after(async () => {
    await daemon?.stop();
    await reg?.stop();
    await roots?.cleanup();
  });

  it('a client reaches a web server by its service name on the default network', async () => {
    project('net', `
services:
  web:
    image: \${IMG}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo served-by-web > /www/index.html; httpd -f -p 80 -h /www & wait"]
  client:
    image: \${IMG}
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/index.html && exit 0; sleep 0.5; done; exit 1"]
    depends_on: [web]
`);
    ok(await compose(['up', '-d']), 'up');
    const networks = ok(await docker(['network', 'ls', '--format', '{{.Name}}']), 'network ls').stdout;
    assert.match(networks, /^net_default$/m);
    const code = ok(await docker(['wait', 'net-client-1']), 'wait').stdout.trim();
    assert.equal(code, '0', ok(await compose(['logs']), 'logs').stdout);
    assert.equal(ok(await compose(['logs', '--no-log-prefix', 'client']), 'logs').stdout, 'served-by-web\n');
    ok(await compose(['down']), 'down');
    assert.doesNotMatch(ok(await docker(['network', 'ls', '--format', '{{.Name}}']), 'network ls').stdout, /net_default/);
  });

  it('a network with enable_ipv6 and an IPv6 subnet gives the service an IPv6 address', async () => {
    // Hextets of four significant digits, so the subnet is written as the daemon prints addresses.
    const hextet = (): string => (randomBytes(2).readUInt16BE(0) | 0x1000).toString(16);
    const v6 = `fd00:${hextet()}:${hextet()}::/64`;
    const [a, b, c] = roots.subnet.split('.').map(Number) as [number, number, number];
    project('six', `
services:
  web:
    image: \${IMG}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    networks: [v6net]
networks:
  v6net:
    enable_ipv6: true
    ipam:
      config:
        - subnet: ${a}.${b}.${c + 3}.0/24
        - subnet: ${v6}
`);
    ok(await compose(['up', '-d']), 'up');
    assert.equal(ok(await docker(['network', 'inspect', '-f', '{{.EnableIPv6}}', 'six_v6net']), 'inspect').stdout.trim(), 'true');
    const ip6 = ok(await docker(['inspect', '-f', '{{(index .NetworkSettings.Networks "six_v6net").GlobalIPv6Address}}', 'six-web-1']), 'inspect ip6').stdout.trim();
    assert.equal(ip6, v6.replace(/::\/64$/, '::2'));
    ok(await compose(['down']), 'down');
  });

  it('keeps a named volume across down and up, and removes it with down -v', async () => {
    project('vol', `
services:
  writer:
    image: \${IMG}
    network_mode: none
    command: ["sh", "-c", "cat /data/f 2>/dev/null || echo none; echo kept > /data/f"]
    volumes: [data:/data]
volumes:
  data: {}
`);
    ok(await compose(['up', '-d']), 'up');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(ok(await compose(['logs', '--no-log-prefix']), 'logs').stdout, 'none\n');
    ok(await compose(['down']), 'down');
    assert.match(ok(await docker(['volume', 'ls', '-q']), 'volume ls').stdout, /^vol_data$/m);
    ok(await compose(['up', '-d']), 'up again');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(ok(await compose(['logs', '--no-log-prefix']), 'logs').stdout, 'kept\n');
    ok(await compose(['down', '-v']), 'down -v');
    assert.doesNotMatch(ok(await docker(['volume', 'ls', '-q']), 'volume ls').stdout, /vol_data/);
  });

  it('starts a service_healthy dependent only after the health check passes', async () => {
    project('health', `
services:
  db:
    image: \${IMG}
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /ready; while true; do sleep 0.1; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/ready"], interval: 500ms, retries: 20 }
  app:
    image: \${IMG}
    network_mode: none
    command: ${SERVER}
    depends_on: { db: { condition: service_healthy } }
`);
    const up = ok(await compose(['up', '-d']), 'up');
    const lines = up.stderr.split('\n');
    const healthy = lines.findIndex((l) => /Container health-db-1 +Healthy/.test(l));
    const started = lines.findIndex((l) => /Container health-app-1 +Started/.test(l));
    assert.ok(healthy >= 0 && started > healthy, up.stderr);
    const dbStarted = ok(await docker(['inspect', '-f', '{{.State.StartedAt}}', 'health-db-1']), 'inspect').stdout.trim();
    const appStarted = ok(await docker(['inspect', '-f', '{{.State.StartedAt}}', 'health-app-1']), 'inspect').stdout.trim();
    assert.ok(Date.parse(appStarted) - Date.parse(dbStarted) >= 1500, `${dbStarted} then ${appStarted}`);
    ok(await compose(['down']), 'down');
  });

  it('scales, recreates only the changed service, and removes orphans', async () => {
    const yaml = (cmd: string): string => `
services:
  web:
    image: \${IMG}
    network_mode: none
    command: ${SERVER}
  worker:
    image: \${IMG}
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; echo ${cmd}; while true; do sleep 0.1; done"]
`;
    project('scale', yaml('one'));
    ok(await compose(['up', '-d', '--scale', 'web=3']), 'up --scale');
    assert.deepEqual(await names(), ['scale-web-1', 'scale-web-2', 'scale-web-3', 'scale-worker-1']);
    const before = ok(await docker(['inspect', '-f', '{{.Id}}', 'scale-web-1', 'scale-worker-1']), 'inspect').stdout.split('\n');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), yaml('two'));
    const up = ok(await compose(['up', '-d', '--scale', 'web=3']), 'up again');
    assert.match(up.stderr, /Container scale-worker-1 +Recreate/);
    assert.doesNotMatch(up.stderr, /scale-web-\d +Recreate/);
    const after = ok(await docker(['inspect', '-f', '{{.Id}}', 'scale-web-1', 'scale-worker-1']), 'inspect').stdout.split('\n');
    assert.equal(after[0], before[0], 'web kept');
    assert.notEqual(after[1], before[1], 'worker recreated');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), `
services:
  web:
    image: \${IMG}
    network_mode: none
    command: ${SERVER}
`);
    const warn = ok(await compose(['up', '-d']), 'up without worker');
    assert.match(warn.stderr, /Found orphan containers \(\[scale-worker-1\]\)/);
    ok(await compose(['up', '-d', '--remove-orphans']), 'up --remove-orphans');
    assert.deepEqual(await names(), ['scale-web-1']);
    ok(await compose(['down']), 'down');
  });

  it('interpolates from .env and the shell, fails clearly on :?, and honours profiles', async () => {
    project('interp', `
services:
  a:
    image: \${IMG}
    network_mode: none
    command: ["sh", "-c", "echo \${GREETING}-\${WHO:-nobody}"]
  b:
    image: \${IMG}
    network_mode: none
    profiles: [extra]
    command: ["true"]
`, { '.env': 'GREETING=hello\nWHO=env\n' });
    ok(await compose(['up', '-d'], { WHO: 'shell' }), 'up');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(ok(await compose(['logs', '--no-log-prefix']), 'logs').stdout, 'hello-shell\n');
    assert.deepEqual(await names(), ['interp-a-1']);
    ok(await compose(['--profile', 'extra', 'up', '-d']), 'up with profile');
    assert.deepEqual(await names(), ['interp-a-1', 'interp-b-1']);
    ok(await compose(['--profile', 'extra', 'down']), 'down');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), `
services:
  a:
    image: \${IMG}
    command: ["echo", "\${MUST:?set MUST first}"]
`);
    const failed = await compose(['up', '-d']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /required variable MUST is missing a value: set MUST first/);
    assert.deepEqual(await names(), []);
  });

  it('refuses invalid files before creating anything, naming the key path', async () => {
    project('bad', `
services:
  a:
    image: \${IMG}
    ports: [{ target: "x" }]
    bogus: 1
`);
    const r = await compose(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /services\.a/);
    project('cycle', `
services:
  a: { image: "\${IMG}", depends_on: [b] }
  b: { image: "\${IMG}", depends_on: [a] }
`);
    const c = await compose(['up', '-d']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /Circular dependency between services a and b|Circular dependency between services b and a/);
    project('undef', `
services:
  a: { image: "\${IMG}", volumes: ["nope:/x"] }
`);
    const u = await compose(['up', '-d']);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /nope/);
    assert.deepEqual(await names(), []);
    assert.equal(ok(await docker(['volume', 'ls', '-q']), 'volume ls').stdout, '');
  });

  it('builds a service from its Dockerfile and runs it', async () => {
    project('built', `
services:
  app:
    build:
      context: .
      args: { GREETING: built-hello, IMG: "\${IMG}" }
    network_mode: none
`, { Dockerfile: 'ARG IMG\nFROM ${IMG}\nARG GREETING\nRUN echo $GREETING > /greeting\nCMD ["cat", "/greeting"]\n' });
    const up = ok(await compose(['up', '-d']), 'up');
    assert.match(up.stderr, /Image built-app +Built/);
    assert.match(ok(await docker(['images', '--format', '{{.Repository}}']), 'images').stdout, /^built-app$/m);
    assert.equal(ok(await docker(['wait', 'built-app-1']), 'wait').stdout.trim(), '0');
    assert.equal(ok(await compose(['logs', '--no-log-prefix']), 'logs').stdout, 'built-hello\n');
    ok(await compose(['down', '--rmi', 'local']), 'down --rmi local');
    assert.doesNotMatch(ok(await docker(['images', '--format', '{{.Repository}}']), 'images').stdout, /^built-app$/m);
  });

  it('tdock compose ps lists what docker-compose 1.29 started', async function () {
    if (!fs.existsSync(DOCKER_COMPOSE)) this.skip();
    project('fromv1', `
services:
  web:
    image: \${IMG}
    network_mode: none
    command: ${SERVER}
`);
    ok(await run(DOCKER_COMPOSE, ['-p', 'fromv1', 'up', '-d'], { env, cwd: dir }), 'docker-compose up');
    const ps = ok(await compose(['-p', 'fromv1', 'ps']), 'tdock compose ps');
    assert.match(ps.stdout, /fromv1_web_1 .* web .* Up/);
    ok(await run(DOCKER_COMPOSE, ['-p', 'fromv1', 'down'], { env, cwd: dir }), 'docker-compose down');
  });

  it('docker-compose 1.29 lists what tdock compose started', async function () {
    if (!fs.existsSync(DOCKER_COMPOSE)) this.skip();
    project('interop', `
services:
  web:
    image: \${IMG}
    network_mode: none
    command: ${SERVER}
`);
    ok(await compose(['-p', 'interop', 'up', '-d']), 'up');
    const ps = ok(await run(DOCKER_COMPOSE, ['-p', 'interop', 'ps'], { env, cwd: dir }), 'docker-compose ps');
    assert.match(ps.stdout, /interop-web-1 .* Up/);
    assert.match(ok(await compose(['-p', 'interop', 'ps']), 'tdock compose ps').stdout, /interop-web-1/);
    ok(await compose(['-p', 'interop', 'down']), 'down');
  });
});
