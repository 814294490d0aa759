import assert from 'node:assert/strict';
import { TdockError } from '@tdock/core';
import { filterContainers, parseFilters, type ContainerFacts } from '../src/api/index.js';

const mk = (id: string, name: string, o: Partial<ContainerFacts> = {}): ContainerFacts => ({
  id: id.padEnd(64, '0'),
  name: `/${name}`,
  running: false,
  state: 'exited',
  exitCode: 0,
  startedAt: 1,
  labels: {},
  health: 'none',
  imageId: 'sha256:img',
  mounts: [],
  networks: [],
  ports: [],
  ...o,
});

// Newest first, as moby lists them.
const LIST = [
  mk('d4', 'web', { running: true, state: 'running', labels: { 'com.docker.compose.project': 'p', tier: 'front' }, health: 'healthy', networks: [{ name: 'p_default', id: 'abc123' }], ports: [{ privatePort: 80, publicPort: 8080, type: 'tcp' }], mounts: [{ name: 'data', source: '/v/data/_data', destination: '/data' }] }),
  mk('c3', 'db', { exitCode: 3, labels: { 'com.docker.compose.project': 'p' }, imageId: 'sha256:pg' }),
  mk('b2', 'made', { state: 'created', startedAt: 0 }),
  mk('a1', 'old', { exitCode: 137, mounts: [{ source: '/host/dir', destination: '/mnt' }] }),
];
const names = (json: string, all = true, limit = -1, anc?: Set<string>): string[] =>
  filterContainers(LIST, { all, limit, filters: parseFilters(json), ...(anc ? { ancestorImageIds: anc } : {}) }).map((c) => c.name);

describe('api: docker ps filters (moby list.go semantics)', () => {
  it('shows running containers only unless all, a status filter or a limit', () => {
    assert.deepEqual(names('', false), ['/web']);
    assert.deepEqual(names('', true), ['/web', '/db', '/made', '/old']);
    assert.deepEqual(names('{"status":["exited"]}', false), ['/db', '/old']);
    assert.deepEqual(names('', false, 2), ['/web', '/db']);
  });

  it('filters by label, name (regex), id prefix, exited, health, volume, network, ports, ancestor', () => {
    assert.deepEqual(names('{"label":["com.docker.compose.project=p"]}'), ['/web', '/db']);
    assert.deepEqual(names('{"label":{"tier":true}}'), ['/web']);
    assert.deepEqual(names('{"name":["^/?d"]}'), ['/db']);
    assert.deepEqual(names('{"name":["ol"]}'), ['/old']);
    assert.deepEqual(names('{"id":["c3"]}'), ['/db']);
    assert.deepEqual(names('{"exited":["137"]}'), ['/old']);
    assert.deepEqual(names('{"exited":["0"]}'), [], 'a never-started container has no exit code');
    assert.deepEqual(names('{"health":["healthy"]}'), ['/web']);
    assert.deepEqual(names('{"volume":["data"]}'), ['/web']);
    assert.deepEqual(names('{"volume":["/mnt"]}'), ['/old']);
    assert.deepEqual(names('{"network":["abc"]}'), ['/web']);
    assert.deepEqual(names('{"publish":["8080"]}'), ['/web']);
    assert.deepEqual(names('{"expose":["79-81/tcp"]}'), ['/web']);
    assert.deepEqual(names('{"ancestor":["postgres"]}', true, -1, new Set(['sha256:pg'])), ['/db']);
  });

  it('applies before and since by name or ID', () => {
    assert.deepEqual(names('{"before":["db"]}'), ['/made', '/old']);
    assert.deepEqual(names('{"since":["made"]}'), ['/web', '/db']);
    assert.throws(() => names('{"since":["ghost"]}'), (e: unknown) => e instanceof TdockError && e.kind === 'not-found');
  });

  it('rejects bad values', () => {
    for (const bad of ['{"exited":["x"]}', '{"status":["sleeping"]}', '{"health":["meh"]}', '{"publish":["http"]}']) {
      assert.throws(() => names(bad), (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument', bad);
    }
  });
});
