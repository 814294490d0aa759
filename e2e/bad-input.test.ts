// Bad input against the built tdockd, over raw HTTP on its unix socket (and the real docker CLI for
// `docker cp`): malformed and wrong-typed bodies, unknown objects, name conflicts, path traversal, a
// too-new API version, and a bounded fast-check fuzz of the create body. Docker's status and message,
// and the daemon keeps answering.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import { runCommand, type Result } from './support.js';

const DOCKER = '/usr/local/bin/docker';
const LOOP = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'];

type Body = { message?: string; Id?: string } & Record<string, unknown>;
interface Reply { status: number; type: string | undefined; body: string; json: () => Body }
function request(socketPath: string, method: string, urlPath: string, body?: string | Buffer, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ socketPath, method, path: urlPath, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: text, json: () => JSON.parse(text) as Body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Result> => runCommand(cmd, args, { env, cwd });

/** A one-file ustar archive whose entry name is taken verbatim (so it may contain `..`). */
function tarOf(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  data.write(content);
  return Buffer.concat([header, data, Buffer.alloc(1024)]);
}

const CONFIG_KEYS = ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Volumes', 'WorkingDir', 'Entrypoint', 'NetworkDisabled', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell', 'NetworkingConfig'];
const HOST_KEYS = ['Binds', 'Mounts', 'Tmpfs', 'PortBindings', 'PublishAllPorts', 'NetworkMode', 'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'CpusetCpus', 'PidsLimit', 'BlkioWeight', 'BlkioDeviceReadBps', 'Ulimits', 'RestartPolicy', 'AutoRemove', 'Privileged', 'CapAdd', 'CapDrop', 'SecurityOpt', 'ReadonlyRootfs', 'Init', 'ShmSize', 'Sysctls', 'ExtraHosts', 'Dns', 'DnsOptions', 'DnsSearch', 'LogConfig', 'Devices', 'OomKillDisable'];

/**
 * Values of every JSON type except arrays of strings, so no random host path ever reaches Binds,
 * Mounts or Tmpfs in a shape that is valid (nothing is created on the host by the fuzz).
 */
const wrongish = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
  fc.constant(-1),
  fc.constant(2 ** 63),
  fc.constant(''),
);

const str = fc.string({ maxLength: 10 });
const strs = fc.array(str, { maxLength: 3 });
const int = fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constantFrom(-1, 0, 1, 4096));
/** Right-typed, odd values for keys where that cannot touch the host at create time (no paths). */
const RIGHT_TYPED: Record<string, fc.Arbitrary<unknown>> = {
  Hostname: str, Domainname: str, User: str, StopSignal: fc.oneof(str, fc.constantFrom('SIGTERM', 'KILL', '9', 'SIGNOPE')), WorkingDir: fc.oneof(str, fc.constant('/w')), StopTimeout: int,
  Tty: fc.boolean(), OpenStdin: fc.boolean(), StdinOnce: fc.boolean(), AttachStdin: fc.boolean(), Cmd: strs, Entrypoint: strs, Env: strs, Shell: strs, Labels: fc.dictionary(str, str, { maxKeys: 3 }),
  Memory: int, MemorySwap: int, MemoryReservation: int, NanoCpus: int, CpuShares: int, CpuQuota: int, CpuPeriod: int, PidsLimit: int, BlkioWeight: int, ShmSize: int,
  PublishAllPorts: fc.boolean(), AutoRemove: fc.boolean(), Privileged: fc.boolean(), ReadonlyRootfs: fc.boolean(), Init: fc.boolean(), OomKillDisable: fc.boolean(),
  NetworkMode: fc.constantFrom('none', 'host', 'bridge', 'default', 'container:nope', 'x y', ''), CpusetCpus: fc.oneof(str, fc.constantFrom('0', '0-1', '999')),
  CapAdd: strs, CapDrop: strs, SecurityOpt: strs, Dns: strs, DnsOptions: strs, DnsSearch: strs, ExtraHosts: strs,
  RestartPolicy: fc.record({ Name: fc.constantFrom('', 'no', 'always', 'on-failure', 'unless-stopped', 'bogus'), MaximumRetryCount: int }),
  LogConfig: fc.record({ Type: fc.constantFrom('json-file', 'none', 'syslog', ''), Config: fc.dictionary(fc.constantFrom('max-size', 'max-file', 'x'), str, { maxKeys: 2 }) }),
};
/** A value for key: right-typed (when allowed) or wrong-typed. */
const valueFor = (key: string): fc.Arbitrary<unknown> => (RIGHT_TYPED[key] ? fc.oneof({ arbitrary: RIGHT_TYPED[key], weight: 5 }, { arbitrary: wrongish, weight: 1 }) : wrongish);
/** An object with up to max keys from keys, each with valueFor(key). */
const objectOf = (keys: string[], max: number): fc.Arbitrary<Record<string, unknown>> =>
  fc.uniqueArray(fc.constantFrom(...keys), { maxLength: max }).chain((ks) => (ks.length ? fc.tuple(...ks.map((k) => valueFor(k))).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]]))) : fc.constant({})));

describe('e2e: bad input to tdockd', function () {
  this.timeout(240_000);
  let roots: TempRoots;
  let reg: RegistryHandle;
  let daemon: DaemonHandle | undefined;
  let image: string;
  let env: NodeJS.ProcessEnv;
  const api = (method: string, urlPath: string, body?: string | Buffer, type?: string): Promise<Reply> => request(roots.socket, method, urlPath, body, type);
  const docker = (args: string[], cwd?: string): Promise<Result> => run(DOCKER, args, env, cwd);
  const create = (body: unknown, name?: string): Promise<Reply> => api('POST', `/v1.47/containers/create${name ? `?name=${name}` : ''}`, JSON.stringify(body));
  const pingOk = async (): Promise<void> => {
    const p = await api('GET', '/_ping');
    assert.equal(p.status, 200);
    assert.equal(p.body, 'OK');
  };
  const assertError = (r: Reply, status: number, message?: string | RegExp): void => {
    assert.equal(r.status, status, r.body);
    assert.equal(r.type, 'application/json', 'exactly application/json, or the CLI prints the raw body');
    const m = r.json().message;
    assert.equal(typeof m, 'string', r.body);
    if (typeof message === 'string') assert.equal(m, message);
    else if (message) assert.match(m!, message);
  };

  before(async () => {
    roots = await tempRoots();
    reg = await startRegistry();
    image = (await fixtures()).busybox.refIn(reg.host);
    daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: roots.dir, DOCKER_HOST: `unix://${roots.socket}`, DOCKER_CONFIG: path.join(roots.dir, 'docker-config') };
    const pull = await api('POST', `/v1.47/images/create?fromImage=${encodeURIComponent(image)}`);
    assert.equal(pull.status, 200, pull.body);
    assert.doesNotMatch(pull.body, /"error"/);
  });

  afterEach(async () => {
    if (!daemon) return;
    const list = await api('GET', '/v1.47/containers/json?all=1');
    for (const c of JSON.parse(list.body) as Array<{ Id: string }>) await api('DELETE', `/v1.47/containers/${c.Id}?force=1&v=1`);
    await pingOk();
  });

  after(async () => {
    await daemon?.stop();
    await reg?.stop();
    await roots?.cleanup();
  });

  it('malformed JSON on /containers/create: 400 with a JSON message', async () => {
    for (const body of ['{"Image": ', '{bad json}', '[1,2', 'null x', '{"Image":"a"}}']) {
      const r = await api('POST', '/v1.47/containers/create', body);
      assertError(r, 400, /invalid JSON|unexpected content after JSON/i);
    }
    // Unversioned (dockerode) too.
    assertError(await api('POST', '/containers/create', '{'), 400);
    await pingOk();
  });

  it('wrong types in the create body: 400', async () => {
    const bodies: unknown[] = [
      { Image: image, HostConfig: { Memory: 'abc' } },
      { Image: image, Cmd: 5 },
      { Image: image, Env: 'A=1' },
      { Image: image, Labels: ['a'] },
      { Image: image, Tty: 'yes' },
      { Image: image, HostConfig: { Binds: '/x:/y' } },
      { Image: image, HostConfig: { CapAdd: [1] } },
      { Image: image, HostConfig: { RestartPolicy: 'always' } },
      { Image: 5 },
      { Image: image, HostConfig: 'none' },
      [1, 2],
    ];
    // dockerd: `invalid JSON: json: cannot unmarshal <type> into Go struct field ...` (runconfig loadJSON).
    for (const b of bodies) assertError(await create(b), 400, /json: cannot unmarshal /);
    assert.equal(JSON.parse((await api('GET', '/v1.47/containers/json?all=1')).body).length, 0, 'nothing was created');
  });

  it('unknown container and image: 404 No such container / No such image', async () => {
    assertError(await api('GET', '/v1.47/containers/x/json'), 404, 'No such container: x');
    assertError(await api('POST', '/v1.47/containers/x/start'), 404, 'No such container: x');
    assertError(await api('DELETE', '/v1.47/containers/x'), 404, 'No such container: x');
    assertError(await api('GET', '/containers/x/logs?stdout=1'), 404, 'No such container: x');
    assertError(await api('GET', '/v1.47/images/x/json'), 404, /^No such image: x(:latest)?$/);
    assertError(await api('DELETE', '/v1.47/images/x'), 404, /^No such image: x(:latest)?$/);
    // create with an image that is not there: 404 so that `docker run` pulls.
    assertError(await create({ Image: 'x' }), 404, /^No such image: x(:latest)?$/);
  });

  it('a name conflict: 409 with Docker\'s message', async () => {
    const first = await create({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, 'dup');
    assert.equal(first.status, 201, first.body);
    const id = first.json().Id!;
    const again = await create({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, 'dup');
    assertError(again, 409, `Conflict. The container name "/dup" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const other = await create({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }, 'dup2');
    assert.equal(other.status, 201);
    const rename = await api('POST', `/v1.47/containers/${other.json().Id!}/rename?name=dup`);
    assertError(rename, 409, /^Conflict\. The container name "\/dup" is already in use by container/);
    assertError(await create({ Image: image }, 'bad%20name'), 400, /^Invalid container name \(bad name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed$/);
  });

  const cpContainer = async (): Promise<string> => {
    const c = await docker(['run', '-d', '--name', 'cpt', '--network', 'none', image, ...LOOP]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await docker(['exec', 'cpt', 'sh', '-c', 'echo container-shadow > /etc/shadow'])).code, 0);
    const dir = path.join(roots.dir, 'cp');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'hostdir'));
    fs.writeFileSync(path.join(dir, 'hostdir', 'secret'), 'host-secret\n');
    return dir;
  };

  it('docker cp out of the container: /../../../etc/shadow and symlinks resolve inside the container root', async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    const dir = await cpContainer();
    // /../../../etc/shadow is the container's /etc/shadow, never the host's.
    const out = path.join(dir, 'x');
    const down = await docker(['cp', 'cpt:/../../../etc/shadow', out]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), 'container-shadow\n');
    // A symlink inside the container that points at a host directory is resolved inside the root.
    const hostDir = path.join(dir, 'hostdir');
    assert.equal((await docker(['exec', 'cpt', 'ln', '-s', hostDir, '/link'])).code, 0);
    const leak = await docker(['cp', 'cpt:/link/secret', path.join(dir, 'leak')]);
    assert.notEqual(leak.code, 0, 'the host file is not reachable through the link');
    assert.match(leak.stderr, /Could not find the file \/link\/secret in container cpt/);
    assert.equal(fs.existsSync(path.join(dir, 'leak')), false);
    await pingOk();
  });

  // The docker CLI sends the PUT /containers/{id}/archive tar with `Content-Type: text/plain`; like
  // dockerd, tdockd must take it as the tar stream it is.
  it('docker cp into the container: ../../file and a symlink to a host dir write nothing outside the root', async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    const dir = await cpContainer();
    fs.writeFileSync(path.join(dir, 'passwd-marker'), 'host-side\n');
    // A relative source that climbs is the user's own file; it lands inside the container.
    const up = await docker(['cp', '../../passwd-marker', 'cpt:/'], path.join(dir, 'a', 'b'));
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await docker(['exec', 'cpt', 'cat', '/passwd-marker'])).stdout, 'host-side\n');
    assert.equal(fs.existsSync('/passwd-marker'), false, 'nothing written to the host root');
    // Through a link to a host directory: written into the container's copy of that path.
    const hostDir = path.join(dir, 'hostdir');
    await docker(['exec', 'cpt', 'ln', '-s', hostDir, '/link']);
    await docker(['exec', 'cpt', 'mkdir', '-p', hostDir]);
    fs.writeFileSync(path.join(dir, 'planted'), 'planted\n');
    const plant = await docker(['cp', path.join(dir, 'planted'), 'cpt:/link/']);
    assert.equal(plant.code, 0, plant.stderr);
    assert.equal(fs.existsSync(path.join(hostDir, 'planted')), false, 'nothing written through the link onto the host');
    assert.equal((await docker(['exec', 'cpt', 'cat', `${hostDir}/planted`])).stdout, 'planted\n');
    await pingOk();
  });

  it('a raw archive PUT with ../ entries writes nothing outside the container root', async () => {
    const c = await create({ Image: image, Cmd: LOOP, HostConfig: { NetworkMode: 'none' } }, 'cpraw');
    assert.equal(c.status, 201, c.body);
    const target = path.join(roots.dir, 'escaped');
    const depth = '../'.repeat(40);
    const r = await api('PUT', '/v1.47/containers/cpraw/archive?path=/tmp', tarOf(`${depth}${target.slice(1)}`, 'escaped\n'), 'application/x-tar');
    assert.ok(r.status === 200 || (r.status >= 400 && r.status < 600), `${r.status} ${r.body}`);
    if (r.status !== 200) assertError(r, r.status);
    assert.equal(fs.existsSync(target), false, 'no file written outside the container root');
    await pingOk();
  });

  it('an API version too new: 400 with dockerd\'s message', async () => {
    assertError(await api('GET', '/v1.99/version'), 400, 'client version 1.99 is too new. Maximum supported API version is 1.47');
    assertError(await api('POST', '/v1.99/containers/create', '{}'), 400, 'client version 1.99 is too new. Maximum supported API version is 1.47');
    const ok = await api('GET', '/v1.24/version');
    assert.equal(ok.status, 200);
    await pingOk();
  });

  it('fuzz: random create bodies never get a 5xx and the daemon keeps answering', async () => {
    const hostConfig = fc.oneof({ arbitrary: wrongish, weight: 1 }, { arbitrary: objectOf(HOST_KEYS, 4), weight: 4 });
    const body = fc.record(
      { Image: fc.oneof(fc.constant(image), fc.constant(image), wrongish), HostConfig: hostConfig, extra: objectOf(CONFIG_KEYS, 4) },
      { requiredKeys: ['extra'] },
    ).map(({ extra, ...rest }) => ({ ...extra, ...rest }));
    const created: string[] = [];
    const seen = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const r = await create(b);
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          if (r.status === 201) created.push(r.json().Id!);
          assert.ok(r.status < 500, `${r.status} ${r.body} for ${JSON.stringify(b)}`);
          if (r.status >= 400) assert.equal(r.type, 'application/json');
        }),
        { numRuns: 100, seed: 0x7d0c, endOnFailure: true },
      );
    } finally {
      for (const id of created) await api('DELETE', `/v1.47/containers/${id}?force=1&v=1`);
    }
    assert.ok((seen.get(400) ?? 0) > 0 && (seen.get(201) ?? 0) > 0, `the fuzz reaches both validation and creation: ${JSON.stringify([...seen])}`);
    await pingOk();
  });
});
