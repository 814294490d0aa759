import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  composeSchemaPath,
  createComposeValidator,
  mergeFiles,
  parseComposeYaml,
  precompiledValidatorMatches,
  composeValidatorCacheState,
  composeValidatorCachePath,
  stripMergeTags,
  type YamlMap,
} from '../src/index.js';

const y = (src: string): YamlMap => parseComposeYaml(src, 'test.yaml');
const merge = (...srcs: string[]): YamlMap => mergeFiles(srcs.map(y));

describe('compose/yaml', () => {
  it('resolves anchors, aliases and << merge keys', () => {
    const t = y(`
x-base: &base
  image: busybox
  environment: {A: "1"}
services:
  a:
    <<: *base
    command: [true]
  b:
    <<: *base
    image: alpine
`);
    const services = t['services'] as YamlMap;
    assert.deepEqual(services['a'], { image: 'busybox', environment: { A: '1' }, command: [true] });
    assert.equal((services['b'] as YamlMap)['image'], 'alpine');
  });

  it('keeps YAML 1.2 scalars: no stays a string, quoted numbers stay strings', () => {
    const t = y('services: {a: {restart: no, ports: ["80:80"], cpus: 0.5}}');
    assert.deepEqual((t['services'] as YamlMap)['a'], { restart: 'no', ports: ['80:80'], cpus: 0.5 });
  });

  it('reports syntax errors with the file name', () => {
    assert.throws(() => y('services:\n  a: [unclosed\n'), /^TdockError: test\.yaml: /);
    assert.throws(() => y('- a\n- b\n'), /top-level object must be a mapping/);
    assert.throws(() => y('a: 1\na: 2\n'), /test\.yaml: Map keys must be unique/);
  });
});

describe('compose/merge', () => {
  it('merges mappings and overrides scalars', () => {
    assert.deepEqual(merge('services: {a: {image: x, user: u}}', 'services: {a: {image: y, tty: true}, b: {image: z}}'), {
      services: { a: { image: 'y', user: 'u', tty: true }, b: { image: 'z' } },
    });
  });

  it('appends plain sequences', () => {
    assert.deepEqual(merge('services: {a: {dns: [1.1.1.1]}}', 'services: {a: {dns: [8.8.8.8, 1.1.1.1]}}'), {
      services: { a: { dns: ['1.1.1.1', '8.8.8.8'] } },
    });
  });

  it('replaces command, entrypoint and healthcheck.test', () => {
    const m = merge(
      'services: {a: {command: [echo, foo], entrypoint: [a, b], healthcheck: {test: [CMD, x], interval: 5s}}}',
      'services: {a: {command: [echo, bar], entrypoint: [c], healthcheck: {test: [CMD, y]}}}',
    );
    assert.deepEqual(m, { services: { a: { command: ['echo', 'bar'], entrypoint: ['c'], healthcheck: { test: ['CMD', 'y'], interval: '5s' } } } });
  });

  it('merges volumes by target and ports by their key', () => {
    const m = merge(
      'services: {a: {volumes: ["foo:/work", "/x:/keep"], ports: ["8080:80", "9090:90"]}}',
      'services: {a: {volumes: ["bar:/work", {type: volume, source: v, target: /new}], ports: ["8080:80", "8443:443"]}}',
    );
    const a = (m['services'] as YamlMap)['a'] as YamlMap;
    assert.deepEqual(a['volumes'], ['bar:/work', '/x:/keep', { type: 'volume', source: 'v', target: '/new' }]);
    assert.deepEqual(a['ports'], ['8080:80', '9090:90', '8443:443']);
  });

  it('merges environment and labels by key across list and map forms', () => {
    const m = merge('services: {a: {environment: [A=1, B=2], labels: {x: "1"}}}', 'services: {a: {environment: {B: "3", C: "4"}, labels: [y=2]}}');
    const a = (m['services'] as YamlMap)['a'] as YamlMap;
    assert.deepEqual(a['environment'], { A: '1', B: '3', C: '4' });
    assert.deepEqual(a['labels'], { x: '1', y: '2' });
  });

  it('merges depends_on and networks given as lists or maps', () => {
    const m = merge('services: {a: {depends_on: [db], networks: [front]}}', 'services: {a: {depends_on: {cache: {condition: service_healthy}}, networks: {back: {aliases: [x]}}}}');
    const a = (m['services'] as YamlMap)['a'] as YamlMap;
    assert.deepEqual(a['depends_on'], { db: { condition: 'service_started', required: true }, cache: { condition: 'service_healthy' } });
    assert.deepEqual(a['networks'], { front: null, back: { aliases: ['x'] } });
  });

  it('a bare network in an override keeps the base aliases', () => {
    const m = merge('services: {a: {networks: {front: {aliases: [x]}}}}', 'services: {a: {networks: [front, back]}}');
    assert.deepEqual(((m['services'] as YamlMap)['a'] as YamlMap)['networks'], { front: { aliases: ['x'] }, back: null });
  });

  it('merges build given as a string with a mapping', () => {
    const m = merge('services: {a: {build: ./dir}}', 'services: {a: {build: {dockerfile: Other, args: [X=1]}}}');
    assert.deepEqual(((m['services'] as YamlMap)['a'] as YamlMap)['build'], { context: './dir', dockerfile: 'Other', args: ['X=1'] });
  });

  it('!reset removes and !override replaces (spec examples)', () => {
    const base = 'services:\n  app:\n    image: myapp\n    ports: ["8080:80"]\n    environment:\n      FOO: BAR\n      KEEP: "1"\n';
    assert.deepEqual(merge(base, 'services:\n  app:\n    image: myapp\n    ports: !reset []\n    environment:\n      FOO: !reset null\n'), {
      services: { app: { image: 'myapp', environment: { KEEP: '1' } } },
    });
    assert.deepEqual(merge(base, 'services:\n  app:\n    ports: !override\n      - "8443:443"\n'), {
      services: { app: { image: 'myapp', ports: ['8443:443'], environment: { FOO: 'BAR', KEEP: '1' } } },
    });
  });

  it('a file alone resolves its own tags', () => {
    assert.deepEqual(stripMergeTags(y('services: {a: {image: x, ports: !reset [], cap_add: !override [ALL]}}')), {
      services: { a: { image: 'x', cap_add: ['ALL'] } },
    });
  });
});

describe('compose/validate', () => {
  const validate = createComposeValidator();
  const cases: [string, RegExp][] = [
    ['services: {web: {image: x, foo: 1}}', /^validating f\.yml: services\.web additional property 'foo' is not allowed$/],
    ['services: {web: {image: x, ports: [true]}}', /^validating f\.yml: services\.web\.ports\[0\] must be a number, a string or a mapping$/],
    ['services: {web: {image: 3}}', /^validating f\.yml: services\.web\.image must be a string$/],
    ['services: {web: {image: x, networks: {front: {aliases: "a"}}}}', /services\.web\.networks\.front\.aliases must be a list/],
    ['servics: {}', /^validating f\.yml: \(root\) additional property 'servics' is not allowed$/],
    ['services: {web: {image: x, depends_on: {db: {condition: sometimes}}}}', /services\.web\.depends_on\.db\.condition must be one of: service_started, service_healthy, service_completed_successfully/],
  ];
  for (const [src, re] of cases) {
    it(`rejects ${src}`, () => assert.throws(() => validate(stripMergeTags(y(src)), 'f.yml'), (e: Error) => re.test(e.message)));
  }
  it('accepts x- extensions, interpolated strings where numbers go, and a full service', () => {
    validate(
      y(`
x-anything: {whatever: true}
services:
  web:
    x-note: hi
    image: nginx
    cpus: "0.5"
    ports: ["80:80", {target: 443, published: "8443"}]
    healthcheck: {test: curl x, interval: 10s, retries: 3}
    deploy: {replicas: 2, resources: {limits: {memory: 512m}}}
volumes: {data: {}}
networks: {front: {driver: bridge, ipam: {config: [{subnet: 10.5.0.0/16}]}}}
`),
      'ok.yml',
    );
  });

  it('the precompiled validator is generated from the bundled schema (run generate-validator.mjs after updating it)', () => {
    assert.equal(precompiledValidatorMatches(), true);
  });

  it('the precompiled validator loads with the code cache the build wrote (V8 accepts it in a flagless Node)', () => {
    assert.equal(composeValidatorCacheState(), 'accepted');
  });

  it('a validator code cache written for other text is not used, nor a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdock-vcache-'));
    try {
      const stale = readFileSync(composeValidatorCachePath());
      stale[0] = stale[0]! ^ 0xff; // the recorded sha256 of the module's text no longer matches
      writeFileSync(join(dir, 'stale'), stale);
      assert.equal(composeValidatorCacheState(join(dir, 'stale')), 'stale');
      assert.equal(composeValidatorCacheState(join(dir, 'absent')), 'missing');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the run-time compiled fallback reports the same messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdock-schema-'));
    try {
      copyFileSync(composeSchemaPath(), join(dir, 'schema.json'));
      const compiled = createComposeValidator(join(dir, 'schema.json'));
      for (const [src] of cases) {
        const msg = (v: typeof validate): string => {
          try {
            v(stripMergeTags(y(src)), 'f.yml');
            return 'ok';
          } catch (e) {
            return (e as Error).message;
          }
        };
        assert.equal(msg(compiled), msg(validate));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
