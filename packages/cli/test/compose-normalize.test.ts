import assert from 'node:assert/strict';
import {
  dependencyLevels,
  extraHosts,
  normalizeProjectName,
  chooseProjectName,
  normalizeService,
  parsePortString,
  parseVolumeString,
  parseComposeYaml,
  type ServiceConfig,
  type YamlMap,
} from '../src/index.js';

const ctx = { projectDir: '/proj', lookup: (k: string): string | undefined => ({ FROM_SHELL: 'shell', ARG: 'argval' })[k], home: '/home/u' };
const svc = (yaml: string, name = 'web'): ServiceConfig => normalizeService(name, parseComposeYaml(yaml, 't.yml') as YamlMap, ctx);

describe('compose/ports', () => {
  const cases: [string, object[]][] = [
    ['3000', [{ target: 3000, protocol: 'tcp', mode: 'ingress' }]],
    ['3000-3002', [3000, 3001, 3002].map((target) => ({ target, protocol: 'tcp', mode: 'ingress' }))],
    ['8000:8000', [{ target: 8000, published: '8000', protocol: 'tcp', mode: 'ingress' }]],
    ['9090-9091:8080-8081', [{ target: 8080, published: '9090', protocol: 'tcp', mode: 'ingress' }, { target: 8081, published: '9091', protocol: 'tcp', mode: 'ingress' }]],
    ['8000-9000:80', [{ target: 80, published: '8000-9000', protocol: 'tcp', mode: 'ingress' }]],
    ['127.0.0.1:8001:8001', [{ target: 8001, published: '8001', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }]],
    ['::1:6000:6000', [{ target: 6000, published: '6000', host_ip: '::1', protocol: 'tcp', mode: 'ingress' }]],
    ['[::1]:6001:6001', [{ target: 6001, published: '6001', host_ip: '::1', protocol: 'tcp', mode: 'ingress' }]],
    ['6060:6060/udp', [{ target: 6060, published: '6060', protocol: 'udp', mode: 'ingress' }]],
    ['127.0.0.1::80', [{ target: 80, host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }]],
  ];
  for (const [spec, want] of cases) it(spec, () => assert.deepEqual(parsePortString(spec), want));
  it('rejects mismatched ranges and bad protocols', () => {
    assert.throws(() => parsePortString('1-3:1-2'), /invalid ranges/);
    assert.throws(() => parsePortString('80/icmp'), /invalid proto/);
    assert.throws(() => parsePortString('http'), /invalid container port/);
  });
});

describe('compose/volumes', () => {
  const cases: [string, object][] = [
    ['/data', { type: 'volume', target: '/data' }],
    ['data:/data', { type: 'volume', source: 'data', target: '/data', volume: {} }],
    ['./src:/src:ro', { type: 'bind', source: './src', target: '/src', read_only: true, bind: { create_host_path: true } }],
    ['../x:/x', { type: 'bind', source: '../x', target: '/x', bind: { create_host_path: true } }],
    ['~/cfg:/cfg:rw,z', { type: 'bind', source: '~/cfg', target: '/cfg', bind: { create_host_path: true, selinux: 'z' } }],
    ['/host:/c:cached', { type: 'bind', source: '/host', target: '/c', consistency: 'cached', bind: { create_host_path: true } }],
    ['data:/d:nocopy', { type: 'volume', source: 'data', target: '/d', volume: { nocopy: true } }],
  ];
  for (const [spec, want] of cases) it(spec, () => assert.deepEqual(parseVolumeString(spec), want));
  it('rejects unknown modes', () => assert.throws(() => parseVolumeString('a:/b:bogus'), /unknown option: bogus/));
});

describe('compose/normalize service', () => {
  it('splits command and entrypoint strings with shell words, never sh -c', () => {
    const s = svc(`image: x\ncommand: sh -c 'echo "$$HOME"'\nentrypoint: /bin/tini --`);
    assert.deepEqual(s.command, ['sh', '-c', 'echo "$$HOME"']);
    assert.deepEqual(s.entrypoint, ['/bin/tini', '--']);
    assert.deepEqual(svc('image: x\ncommand: []').command, []);
    assert.deepEqual(svc("image: x\nentrypoint: ''").entrypoint, []);
    assert.equal(svc('image: x').command, undefined);
  });

  it('environment list/map, bare keys from the environment, unset dropped', () => {
    assert.deepEqual(svc('image: x\nenvironment: [A=1, FROM_SHELL, NOT_SET, "E="]').environment, { A: '1', FROM_SHELL: 'shell', E: '' });
    assert.deepEqual(svc('image: x\nenvironment: {A: 1, FROM_SHELL: null, NOT_SET: }').environment, { A: '1', FROM_SHELL: 'shell' });
  });

  it('healthcheck: string test is CMD-SHELL, durations in ns, disable is NONE', () => {
    assert.deepEqual(svc('image: x\nhealthcheck: {test: curl -f x, interval: 1m30s, timeout: 10s, retries: 5, start_period: 500ms}').healthcheck, {
      test: ['CMD-SHELL', 'curl -f x'],
      interval: 90e9,
      timeout: 10e9,
      retries: 5,
      start_period: 5e8,
    });
    assert.deepEqual(svc('image: x\nhealthcheck: {disable: true}').healthcheck, { test: ['NONE'], disable: true });
    assert.throws(() => svc('image: x\nhealthcheck: {test: [RUN, x]}'), /must start either by "CMD", "CMD-SHELL" or "NONE"/);
  });

  it('depends_on short and long forms', () => {
    assert.deepEqual(svc('image: x\ndepends_on: [db]').depends_on, { db: { condition: 'service_started', restart: false, required: true } });
    assert.deepEqual(svc('image: x\ndepends_on: {db: {condition: service_healthy, restart: true}}').depends_on, {
      db: { condition: 'service_healthy', restart: true, required: true },
    });
  });

  it('restart: boolean false (YAML 1.1 no) is "no"', () => {
    assert.equal(svc('image: x\nrestart: false').restart, 'no');
    assert.equal(svc('image: x\nrestart: "on-failure:3"').restart, 'on-failure:3');
  });

  it('networks: implicit default, list, map with aliases, none with network_mode', () => {
    assert.deepEqual(svc('image: x').networks, { default: {} });
    assert.deepEqual(svc('image: x\nnetworks: [front, back]').networks, { front: {}, back: {} });
    assert.deepEqual(svc('image: x\nnetworks: {front: {aliases: [w], ipv4_address: 10.0.0.5}, back: null}').networks, {
      front: { aliases: ['w'], ipv4_address: '10.0.0.5' },
      back: {},
    });
    assert.deepEqual(svc('image: x\nnetwork_mode: host').networks, {});
    assert.throws(() => svc('image: x\nnetwork_mode: host\nnetworks: [a]'), /mutually exclusive/);
  });

  it('volumes resolve bind paths against the project directory and home', () => {
    const s = svc('image: x\nvolumes: ["./src:/src", "~/c:/c", "../up:/up", "named:/n", {type: tmpfs, target: /t, tmpfs: {size: 1m}}]');
    assert.deepEqual(
      s.volumes.map((v) => [v.type, v.source, v.target]),
      [['bind', '/proj/src', '/src'], ['bind', '/home/u/c', '/c'], ['bind', '/up', '/up'], ['volume', 'named', '/n'], ['tmpfs', undefined, '/t']],
    );
    assert.equal(s.volumes[4]!.tmpfs?.size, 1048576);
    assert.deepEqual(s.volumes[0]!.bind, { create_host_path: true }, 'short syntax implies create_host_path');
    const long = svc('image: x\nvolumes: [{type: bind, source: ./a, target: /a}, {type: bind, source: /b, target: /b, bind: {create_host_path: true}}]');
    assert.deepEqual(long.volumes.map((v) => v.bind), [{}, { create_host_path: true }]);
  });

  it('limits, scale, stop_grace_period, ulimits, labels, extra_hosts', () => {
    const s = svc(`
image: x
mem_limit: 512m
cpus: "1.5"
pids_limit: 100
stop_grace_period: 1m30s
ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}
labels: [a=1, b]
extra_hosts: ["h1=1.2.3.4", "h2:5.6.7.8", "v6=[::1]"]
deploy: {replicas: 3}
`);
    assert.deepEqual(s.limits, { memory: 536870912, cpus: 1.5, pids: 100 });
    assert.equal(s.scale, 3);
    assert.equal(s.stop_grace_period, 90);
    assert.deepEqual(s.ulimits, { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 1024, hard: 2048 } });
    assert.deepEqual(s.labels, { a: '1', b: '' });
    assert.deepEqual(s.extra_hosts, ['h1:1.2.3.4', 'h2:5.6.7.8', 'v6:::1']);
    assert.deepEqual(svc('image: x\ndeploy: {resources: {limits: {cpus: "0.25", memory: 1g}}}').limits, { memory: 1073741824, cpus: 0.25 });
    assert.deepEqual(extraHosts({ a: '1.1.1.1', b: ['2.2.2.2', '3.3.3.3'] }), ['a:1.1.1.1', 'b:2.2.2.2', 'b:3.3.3.3']);
    assert.throws(() => svc('image: x\nscale: 2\ndeploy: {replicas: 3}'), /distinct values/);
    assert.throws(() => svc('image: x\nscale: 2\ncontainer_name: c'), /container name must be unique/);
  });

  it('build: string or map, defaults, args from the environment', () => {
    assert.deepEqual(svc('build: ./app').build, { context: '/proj/app', dockerfile: 'Dockerfile', args: {}, labels: {} });
    const b = svc('build: {context: ., dockerfile: Dockerfile.dev, args: [X=1, ARG, UNSET_ARG], target: dev}').build!;
    assert.deepEqual(b, { context: '/proj', dockerfile: 'Dockerfile.dev', args: { X: '1', ARG: 'argval' }, labels: {}, target: 'dev' });
    assert.equal(svc('build: https://github.com/x/y.git#main').build!.context, 'https://github.com/x/y.git#main');
    assert.throws(() => svc('user: x'), /neither an image nor a build context/);
  });
});

describe('compose/graph', () => {
  const services = (deps: Record<string, string[]>): Record<string, ServiceConfig> => {
    const out: Record<string, ServiceConfig> = {};
    for (const [n, d] of Object.entries(deps)) out[n] = svc(`image: x\ndepends_on: [${d.join(', ')}]`, n);
    return out;
  };
  it('groups services into levels', () => {
    assert.deepEqual(dependencyLevels(services({ web: ['api', 'db'], api: ['db', 'cache'], db: [], cache: [], worker: ['db'] })), [
      ['cache', 'db'],
      ['api', 'worker'],
      ['web'],
    ]);
  });
  it('detects cycles, naming the services', () => {
    assert.throws(() => dependencyLevels(services({ a: ['b'], b: ['a'] })), /^TdockError: Circular dependency between services a and b$/);
    assert.throws(() => dependencyLevels(services({ a: ['b'], b: ['c'], c: ['a'] })), /Circular dependency between services a, b and c/);
    assert.throws(() => dependencyLevels(services({ a: ['a'] })), /Circular dependency between services a and a/);
  });
  it('rejects an unknown dependency', () => {
    assert.throws(() => dependencyLevels(services({ a: ['ghost'] })), /service "a" depends on undefined service "ghost"/);
  });
});

describe('compose/project name', () => {
  const cases: [string, string][] = [
    ['My.App', 'myapp'],
    ['hello_world-1', 'hello_world-1'],
    ['__x', 'x'],
    ['-Dash', 'dash'],
    ['Ünïcode App', 'ncodeapp'],
  ];
  for (const [dir, want] of cases) it(`${dir} → ${want}`, () => assert.equal(normalizeProjectName(dir), want));
  it('follows -p > COMPOSE_PROJECT_NAME > name: > directory', () => {
    assert.equal(chooseProjectName({ flag: 'flag', env: 'env', fileName: 'file', projectDir: '/x/Dir' }), 'flag');
    assert.equal(chooseProjectName({ env: 'env', fileName: 'file', projectDir: '/x/Dir' }), 'env');
    assert.equal(chooseProjectName({ fileName: 'file', projectDir: '/x/Dir' }), 'file');
    assert.equal(chooseProjectName({ projectDir: '/x/My.Dir' }), 'mydir');
    assert.throws(() => chooseProjectName({ flag: 'Bad Name', projectDir: '/x' }), /invalid project name "Bad Name"/);
    assert.throws(() => chooseProjectName({ projectDir: '/x/...' }), /must not be empty/);
  });
});
