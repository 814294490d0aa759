import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  containerLabels,
  containerName,
  createComposeValidator,
  loadProject,
  renderConfigYaml,
  selectServices,
  serviceConfigHash,
  serviceImageName,
  type LoadProjectOptions,
  type Project,
} from '../src/index.js';

describe('compose/load', () => {
  let root: string;
  const validator = createComposeValidator();
  const write = (rel: string, content: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  };
  const load = (o: Partial<LoadProjectOptions> & { cwd?: string } = {}): Project =>
    loadProject({ env: {}, validator, ...o, cwd: o.cwd ?? join(root, 'My.App') });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tdock-compose-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('discovers compose.yaml upward with its override, names the project from the directory', () => {
    write('My.App/compose.yaml', 'services: {web: {image: nginx, ports: ["8080:80"]}}');
    write('My.App/compose.override.yml', 'services: {web: {environment: [DEBUG=1]}}');
    mkdirSync(join(root, 'My.App/sub/deeper'), { recursive: true });
    const p = load({ cwd: join(root, 'My.App/sub/deeper') });
    assert.equal(p.name, 'myapp');
    assert.equal(p.workingDir, join(root, 'My.App'));
    assert.deepEqual(p.configFiles, [join(root, 'My.App/compose.yaml'), join(root, 'My.App/compose.override.yml')]);
    assert.deepEqual(p.services['web']!.environment, { DEBUG: '1' });
    assert.deepEqual(Object.keys(p.networks), ['default']);
    assert.equal(p.networks['default']!.name, 'myapp_default');
  });

  it('prefers compose.yaml over docker-compose.yml and fails clearly with none', () => {
    write('My.App/docker-compose.yml', 'services: {old: {image: a}}');
    write('My.App/compose.yaml', 'services: {new: {image: b}}');
    assert.deepEqual(Object.keys(load().services), ['new']);
    assert.throws(() => load({ cwd: root }), /no configuration file provided: not found/);
  });

  it('merges -f files in order and COMPOSE_FILE', () => {
    write('My.App/a.yml', 'services: {web: {image: a, command: [x]}}');
    write('My.App/b.yml', 'services: {web: {image: b}}');
    assert.equal(load({ files: ['a.yml', 'b.yml'] }).services['web']!.image, 'b');
    assert.equal(load({ env: { COMPOSE_FILE: 'b.yml:a.yml' } }).services['web']!.image, 'a');
    assert.throws(() => load({ files: ['missing.yml'] }), /no such file or directory/);
  });

  it('interpolates from the shell over .env, exposes COMPOSE_PROJECT_NAME, fails on :?', () => {
    write('My.App/.env', 'TAG=from-dotenv\nPORT=8080\nCOMPOSE_PROJECT_NAME=dotenvname\n');
    write('My.App/compose.yaml', 'services: {web: {image: "nginx:${TAG}", ports: ["${PORT}:80"], container_name: "${COMPOSE_PROJECT_NAME}-web"}}');
    const p = load({ env: { TAG: 'from-shell' } });
    assert.equal(p.name, 'dotenvname');
    assert.equal(p.services['web']!.image, 'nginx:from-shell');
    assert.equal(p.services['web']!.ports[0]!.published, '8080');
    assert.equal(p.services['web']!.container_name, 'dotenvname-web');
    write('My.App/compose.yaml', 'services: {web: {image: "nginx:${MISSING:?set MISSING please}"}}');
    assert.throws(() => load(), /compose\.yaml: error while interpolating services\.web\.image: required variable MISSING is missing a value: set MISSING please/);
  });

  it('--env-file replaces .env', () => {
    write('My.App/.env', 'TAG=dotenv\n');
    write('My.App/other.env', 'TAG=other\n');
    write('My.App/compose.yaml', 'services: {web: {image: "x:${TAG}"}}');
    assert.equal(load({ envFiles: ['other.env'] }).services['web']!.image, 'x:other');
    assert.deepEqual(load({ envFiles: ['other.env'] }).envFiles, [join(root, 'My.App/other.env')]);
    assert.equal(load({ env: { COMPOSE_ENV_FILES: 'other.env' } }).services['web']!.image, 'x:other');
    assert.throws(() => load({ envFiles: ['nope.env'] }), /couldn't find env file: .*nope\.env/);
  });

  it('project name: -p over name: over directory', () => {
    write('My.App/compose.yaml', 'name: "${N:-fromfile}"\nservices: {web: {image: x}}');
    assert.equal(load().name, 'fromfile');
    assert.equal(load({ env: { N: 'interp' } }).name, 'interp');
    assert.equal(load({ projectName: 'flag' }).name, 'flag');
  });

  it('profiles: --profile, COMPOSE_PROFILES, named services enable themselves and their dependencies', () => {
    write(
      'My.App/compose.yaml',
      `services:
  web: {image: x}
  debug: {image: x, profiles: [debug]}
  tools: {image: x, profiles: [tools], depends_on: [helper]}
  helper: {image: x, profiles: [helper]}
`,
    );
    assert.deepEqual(Object.keys(load().services).sort(), ['web']);
    assert.deepEqual(Object.keys(load({ profiles: ['debug'] }).services).sort(), ['debug', 'web']);
    assert.deepEqual(Object.keys(load({ env: { COMPOSE_PROFILES: 'debug,helper' } }).services).sort(), ['debug', 'helper', 'web']);
    assert.deepEqual(Object.keys(load({ services: ['tools'] }).services).sort(), ['helper', 'tools', 'web']);
    assert.throws(() => load({ profiles: ['tools'] }), /service helper is required by tools but is disabled/);
    assert.deepEqual(Object.keys(load({ profiles: ['*'] }).services).sort(), ['debug', 'helper', 'tools', 'web']);
  });

  it('rejects undefined volumes and networks, cycles, and schema errors with file and path', () => {
    write('My.App/compose.yaml', 'services: {web: {image: x, volumes: ["data:/data"]}}');
    assert.throws(() => load(), /service "web" refers to undefined volume data/);
    write('My.App/compose.yaml', 'services: {web: {image: x, networks: [front]}}');
    assert.throws(() => load(), /service "web" refers to undefined network front/);
    write('My.App/compose.yaml', 'services: {a: {image: x, depends_on: [b]}, b: {image: x, depends_on: [a]}}');
    assert.throws(() => load(), /Circular dependency between services a and b/);
    write('My.App/compose.yaml', 'services: {web: {image: x, portz: []}}');
    assert.throws(() => load(), (e: Error) => e.message === `validating ${join(root, 'My.App/compose.yaml')}: services.web additional property 'portz' is not allowed`);
  });

  it('reads env_file relative to the project, environment wins, optional files may be missing', () => {
    write('My.App/web.env', 'A=from-file\nB=from-file\nC=${TAG}\n');
    write('My.App/compose.yaml', 'services: {web: {image: x, env_file: [web.env, {path: missing.env, required: false}], environment: {B: env}}}');
    const p = load({ env: { TAG: 't' } });
    assert.deepEqual(p.services['web']!.environment, { A: 'from-file', B: 'env', C: 't' });
    write('My.App/compose.yaml', 'services: {web: {image: x, env_file: missing.env}}');
    assert.throws(() => load(), /env file .*missing\.env not found/);
  });

  it('external and named resources keep their names', () => {
    write(
      'My.App/compose.yaml',
      `services: {web: {image: x, volumes: [db:/db, ext:/ext], networks: [front, outside]}}
volumes: {db: {labels: {k: v}}, ext: {external: true}, named: {name: real-name}}
networks: {front: {internal: true, ipam: {config: [{subnet: 10.9.0.0/24}]}}, outside: {external: true, name: host-net}}
`,
    );
    const p = load();
    assert.deepEqual(
      Object.fromEntries(Object.entries(p.volumes).map(([k, v]) => [k, [v.name, v.external]])),
      { db: ['myapp_db', false], ext: ['ext', true], named: ['real-name', false] },
    );
    assert.equal(p.networks['front']!.name, 'myapp_front');
    assert.equal(p.networks['front']!.internal, true);
    assert.deepEqual(p.networks['front']!.ipam?.config, [{ subnet: '10.9.0.0/24' }]);
    assert.equal(p.networks['outside']!.name, 'host-net');
    assert.equal('default' in p.networks, false);
  });

  it('names, labels and config hash as compose v2', () => {
    write('My.App/compose.yaml', 'services: {web: {build: ., depends_on: {db: {condition: service_healthy}}, labels: {com.docker.compose.project: hijack, mine: "1"}}, db: {image: pg}}');
    const p = load();
    const web = p.services['web']!;
    assert.equal(containerName(p.name, web, 2), 'myapp-web-2');
    assert.equal(containerName(p.name, web, 1, { compatibility: true }), 'myapp_web_1');
    assert.equal(serviceImageName(p.name, web), 'myapp-web');
    const labels = containerLabels(p, web, { number: 1 });
    assert.equal(labels['com.docker.compose.project'], 'myapp');
    assert.equal(labels['mine'], '1');
    assert.equal(labels['com.docker.compose.oneoff'], 'False');
    assert.equal(labels['com.docker.compose.container-number'], '1');
    assert.equal(labels['com.docker.compose.depends_on'], 'db:service_healthy:false');
    assert.equal(labels['com.docker.compose.project.working_dir'], join(root, 'My.App'));
    assert.match(labels['com.docker.compose.config-hash']!, /^[0-9a-f]{64}$/);
    assert.deepEqual(selectServices(p, ['web']), ['db', 'web']);
    assert.deepEqual(selectServices(p, ['web'], true), ['web']);
  });

  it('config hash changes with the runtime config, not with build, scale or depends_on', () => {
    const hash = (svc: string): string => {
      write('My.App/compose.yaml', `services: {web: ${svc}, db: {image: pg}}`);
      return serviceConfigHash(load().services['web']!);
    };
    const base = hash('{image: nginx}');
    assert.equal(hash('{image: nginx}'), base);
    assert.equal(hash('{image: nginx, build: ., scale: 2, depends_on: [db]}'), base);
    assert.notEqual(hash('{image: nginx, environment: [A=1]}'), base);
    assert.notEqual(hash('{image: nginx:2}'), base);
  });

  it('config output is deterministic YAML of the resolved model', () => {
    write('My.App/compose.yaml', 'services:\n  web:\n    image: nginx\n    restart: "no"\n    ports: ["8080:80"]\n    command: echo hi\n');
    assert.equal(
      renderConfigYaml(load()),
      `name: myapp
services:
  web:
    command:
      - echo
      - hi
    image: nginx
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
    restart: "no"
networks:
  default:
    name: myapp_default
`,
    );
  });
});

describe('compose/config output', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prints builds, depends_on, healthchecks, ports, volumes and networks as compose config does', () => {
    root = mkdtempSync(join(tmpdir(), 'tdock-compose-'));
    mkdirSync(join(root, 'cfg'));
    writeFileSync(
      join(root, 'cfg/compose.yaml'),
      `services:
  web:
    build: {context: ./app, args: [V=1]}
    command: ["npm", "start"]
    environment: {NODE_ENV: production}
    ports: ["127.0.0.1:3000:3000"]
    volumes: [data:/data, ./conf:/conf:ro]
    depends_on: {db: {condition: service_healthy, restart: true}}
    healthcheck: {test: ["CMD", "true"], interval: 10s, retries: 3}
    stop_grace_period: 90s
    deploy: {replicas: 2}
  db:
    image: postgres:16
    networks: {back: {aliases: [database]}}
volumes: {data: {}}
networks: {back: {internal: true}}
`,
    );
    const dir = join(root, 'cfg');
    assert.equal(
      renderConfigYaml(loadProject({ cwd: dir, env: {} })),
      `name: cfg
services:
  db:
    image: postgres:16
    networks:
      back:
        aliases:
          - database
  web:
    build:
      context: ${dir}/app
      dockerfile: Dockerfile
      args:
        V: "1"
    command:
      - npm
      - start
    depends_on:
      db:
        condition: service_healthy
        restart: true
        required: true
    deploy:
      replicas: 2
    environment:
      NODE_ENV: production
    healthcheck:
      test:
        - CMD
        - "true"
      interval: 10s
      retries: 3
    networks:
      default: null
    ports:
      - mode: ingress
        host_ip: 127.0.0.1
        target: 3000
        published: "3000"
        protocol: tcp
    stop_grace_period: 1m30s
    volumes:
      - type: volume
        source: data
        target: /data
        volume: {}
      - type: bind
        source: ${dir}/conf
        target: /conf
        read_only: true
        bind:
          create_host_path: true
networks:
  back:
    name: cfg_back
    internal: true
  default:
    name: cfg_default
volumes:
  data:
    name: cfg_data
`,
    );
  });
});

describe('compose/extends and include', () => {
  let root: string;
  const validator = createComposeValidator();
  const write = (rel: string, content: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  };
  const load = (o: Partial<LoadProjectOptions> = {}): Project => loadProject({ env: {}, validator, cwd: join(root, 'app'), ...o });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tdock-compose-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('extends a service in the same file (spec example) and in another file, rebasing paths', () => {
    write('common/base.yml', 'services: {webapp: {build: ., environment: {TZ: utc, PORT: "80"}, volumes: ["./data:/data"], cap_add: [NET_ADMIN]}}');
    write(
      'app/compose.yaml',
      `services:
  common: {image: busybox, environment: {TZ: utc, PORT: "80"}}
  cli: {extends: {service: common}, environment: {PORT: "8080"}}
  web: {extends: {file: ../common/base.yml, service: webapp}, cap_add: [SYS_TIME]}
  chained: {extends: cli, command: [x]}
`,
    );
    const p = load();
    assert.deepEqual(p.services['cli']!.environment, { TZ: 'utc', PORT: '8080' });
    assert.equal(p.services['cli']!.image, 'busybox');
    assert.deepEqual(p.services['chained']!.environment, { TZ: 'utc', PORT: '8080' });
    const web = p.services['web']!;
    assert.equal(web.build!.context, join(root, 'common'));
    assert.equal(web.volumes[0]!.source, join(root, 'common/data'));
    assert.deepEqual(web.cap_add, ['NET_ADMIN', 'SYS_TIME']);
  });

  it('rejects extends cycles and missing services', () => {
    write('app/compose.yaml', 'services: {a: {image: x, extends: b}, b: {image: x, extends: a}}');
    assert.throws(() => load(), /Circular reference with extends/);
    write('app/compose.yaml', 'services: {a: {image: x, extends: ghost}}');
    assert.throws(() => load(), /cannot extend service "ghost"/);
  });

  it('include brings in services with their own relative paths; conflicts fail', () => {
    write('lib/db.yml', 'services: {db: {build: ./dbimage, volumes: [dbdata:/var/lib/db]}}\nvolumes: {dbdata: {}}');
    write('app/compose.yaml', 'include: [../lib/db.yml]\nservices: {web: {image: x, depends_on: [db]}}');
    const p = load();
    assert.deepEqual(Object.keys(p.services).sort(), ['db', 'web']);
    assert.equal(p.services['db']!.build!.context, join(root, 'lib/dbimage'));
    assert.equal(p.volumes['dbdata']!.name, 'app_dbdata');
    write('app/compose.yaml', 'include: [../lib/db.yml]\nservices: {db: {image: x}}');
    assert.throws(() => load(), /defines conflicting service db/);
  });
});
