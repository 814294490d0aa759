import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject, type Project } from '../src/compose/index.js';
import { networkMode, serviceNetworks, toCreateBody } from '../src/compose-cmd/convert.js';

function project(yaml: string): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-convert-'));
  try {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), yaml);
    return loadProject({ cwd: dir, env: {}, projectName: 'p' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('compose-cmd/convert (service to create body, as compose v2)', () => {
  it('maps image, command, env, ports, restart, labels and the default network with the service alias', () => {
    const p = project(`
services:
  web:
    image: nginx
    command: nginx -g "daemon off;"
    environment: { A: "1" }
    ports: ["127.0.0.1:8080:80", "9000"]
    restart: on-failure:3
    labels: { mine: "yes" }
`);
    const b = toCreateBody(p, p.services.web!, { number: 1 });
    assert.equal(b.Image, 'nginx');
    assert.deepEqual(b.Cmd, ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(b.Env, ['A=1']);
    assert.deepEqual(b.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '9000/tcp': [{ HostIp: '', HostPort: '' }] });
    assert.deepEqual(b.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(b.HostConfig.NetworkMode, 'p_default');
    assert.deepEqual(b.NetworkingConfig, { EndpointsConfig: { p_default: { Aliases: ['web'] } } });
    const labels = b.Labels as Record<string, string>;
    assert.equal(labels['com.docker.compose.project'], 'p');
    assert.equal(labels['com.docker.compose.service'], 'web');
    assert.equal(labels['com.docker.compose.container-number'], '1');
    assert.equal(labels['com.docker.compose.oneoff'], 'False');
    assert.equal(labels.mine, 'yes');
    assert.match(labels['com.docker.compose.config-hash']!, /^[0-9a-f]{64}$/);
  });

  it('puts binds in Binds, named volumes and tmpfs in Mounts, anonymous volumes in Volumes', () => {
    const p = project(`
services:
  db:
    image: pg
    volumes: ["/srv/x:/x:ro", "data:/var/lib/data", "/anon", {type: tmpfs, target: /t, tmpfs: {size: 1048576}}]
volumes:
  data: {}
`);
    const b = toCreateBody(p, p.services.db!);
    assert.deepEqual(b.HostConfig.Binds, ['/srv/x:/x:ro']);
    assert.deepEqual(b.HostConfig.Mounts, [
      { Type: 'volume', Source: 'p_data', Target: '/var/lib/data', ReadOnly: false },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } },
    ]);
    assert.deepEqual(b.Volumes, { '/anon': {} });
  });

  it('converts healthchecks, limits and network_mode', () => {
    const p = project(`
services:
  a:
    image: x
    network_mode: host
    healthcheck: { test: "true", interval: 2s, retries: 5 }
    mem_limit: 32m
    cpus: 0.5
    stop_grace_period: 3s
  b:
    image: x
    network_mode: "service:a"
`);
    const a = toCreateBody(p, p.services.a!);
    assert.deepEqual(a.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 5 });
    assert.equal(a.HostConfig.NetworkMode, 'host');
    assert.equal(a.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(a.HostConfig.NanoCpus, 5e8);
    assert.equal(a.StopTimeout, 3);
    assert.deepEqual(a.NetworkingConfig, { EndpointsConfig: {} });
    assert.equal(networkMode(p, p.services.b!, (s) => (s === 'a' ? 'abc123' : undefined)), 'container:abc123');
  });

  it('orders several networks and keeps aliases and static addresses for the first', () => {
    const p = project(`
services:
  s:
    image: x
    networks:
      back: { aliases: [db] }
      front: { ipv4_address: 10.9.0.5, priority: 10 }
networks:
  back: {}
  front: { ipam: { config: [{ subnet: 10.9.0.0/24 }] } }
`);
    assert.deepEqual(serviceNetworks(p.services.s!), ['front', 'back']);
    const b = toCreateBody(p, p.services.s!);
    assert.equal(b.HostConfig.NetworkMode, 'p_front');
    assert.deepEqual(b.NetworkingConfig, { EndpointsConfig: { p_front: { Aliases: ['s'], IPAMConfig: { IPv4Address: '10.9.0.5' } } } });
  });

  it('makes one-off containers: no ports published, oneoff labels, the given command', () => {
    const p = project(`
services:
  w:
    image: x
    ports: ["80:80"]
    restart: always
`);
    const b = toCreateBody(p, p.services.w!, { oneoff: true, slug: 'a'.repeat(64), command: ['sh'], publish: false });
    assert.deepEqual(b.HostConfig.PortBindings, {});
    assert.deepEqual(b.ExposedPorts, { '80/tcp': {} });
    assert.deepEqual(b.Cmd, ['sh']);
    assert.deepEqual(b.HostConfig.RestartPolicy, { Name: 'no' });
    const labels = b.Labels as Record<string, string>;
    assert.equal(labels['com.docker.compose.oneoff'], 'True');
    assert.equal(labels['com.docker.compose.slug'], 'a'.repeat(64));
    assert.equal(labels['com.docker.compose.container-number'], undefined);
  });
});
