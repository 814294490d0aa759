// The real docker CLI's network commands against the HTTP layer wired to the NetworkManager (the kernel
// side through a recording runner, so nothing is created on the host).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TdockError } from '@tdock/core';
import { tempRoots, type TempRoots } from '@tdock/testkit';
import { buildApp } from '../src/api/index.js';
import { NetworkManager, type CommandRunner, type ContainerRef } from '../src/network/index.js';
import { fakeServices } from './api-fakes.js';

const DOCKER = '/usr/local/bin/docker';

describe('network: the docker CLI against the network API', function () {
  this.timeout(60000);
  let roots: TempRoots;
  let m: NetworkManager;
  let app: ReturnType<typeof buildApp>;
  let sock: string;
  const ctrs: ContainerRef[] = [{ id: 'c'.repeat(64), name: 'box' }];

  const docker = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(DOCKER, args, { env: { PATH: '/usr/bin:/bin', HOME: roots.dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(roots.dir, 'cfg') }, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    roots = await tempRoots();
    const runner: CommandRunner = { async run(cmd, args) { return cmd === 'ip' && args.includes('route') ? '[]' : ''; } };
    m = new NetworkManager({
      dataRoot: roots.dataRoot, runner, checkNamespace: async () => undefined, ipForward: false, bridgeName: roots.bridgeName, linkPrefix: roots.linkPrefix, nftTable: roots.nftTable,
      bip: `${roots.gateway}/24`, defaultAddressPools: [{ base: roots.subnetPool, size: 24 }],
      containers: {
        async resolve(x) {
          const c = ctrs.find((k) => k.id.startsWith(x) || k.name === x);
          if (!c) throw new TdockError('not-found', `No such container: ${x}`);
          return c;
        },
      },
    });
    await m.restore();
    app = buildApp(fakeServices({ networks: m }));
    sock = path.join(roots.dir, 'n.sock');
    await app.listen({ path: sock });
  });

  after(async () => {
    await app?.close();
    await m?.close();
    await roots?.cleanup();
  });

  it('create, ls (filters, format), inspect, connect, rm in use, disconnect, rm, prune', async () => {
    const created = await docker(['network', 'create', '--label', 'tier=web', '--subnet', '10.95.0.0/24', '--ip-range', '10.95.0.128/25', '--gateway', '10.95.0.254', '-o', 'com.docker.network.driver.mtu=1450', 'front']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout.trim(), /^[0-9a-f]{64}$/);
    const dup = await docker(['network', 'create', 'front']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /network with name front already exists/);
    const ls = await docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['bridge bridge local', 'front bridge local', 'host host local', 'none null local']);
    const custom = await docker(['network', 'ls', '-q', '--no-trunc', '--filter', 'type=custom', '--filter', 'label=tier=web']);
    assert.equal(custom.stdout.trim(), created.stdout.trim());
    const insp = JSON.parse((await docker(['network', 'inspect', 'front'])).stdout) as Array<Record<string, unknown>>;
    assert.equal(insp[0]?.Name, 'front');
    assert.deepEqual(insp[0]?.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.95.0.0/24', IPRange: '10.95.0.128/25', Gateway: '10.95.0.254' }] });
    assert.deepEqual(insp[0]?.Options, { 'com.docker.network.driver.mtu': '1450' });
    assert.deepEqual(insp[0]?.Labels, { tier: 'web' });
    const conn = await docker(['network', 'connect', '--alias', 'b', '--ip', '10.95.0.200', 'front', 'box']);
    assert.equal(conn.code, 0, conn.stderr);
    assert.deepEqual(m.containerNetworks('c'.repeat(64)).front?.Aliases, ['b']);
    await m.attach('c'.repeat(64), 4242);
    assert.equal(m.containerNetworks('c'.repeat(64)).front?.IPAddress, '10.95.0.200');
    const busy = await docker(['network', 'rm', 'front']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /error while removing network: network front has active endpoints \(box\)/);
    const shown = JSON.parse((await docker(['network', 'inspect', '-f', '{{json .Containers}}', 'front'])).stdout) as Record<string, { Name: string; IPv4Address: string }>;
    assert.deepEqual(Object.values(shown).map((c) => [c.Name, c.IPv4Address]), [['box', '10.95.0.200/24']]);
    assert.equal((await docker(['network', 'disconnect', 'front', 'box'])).code, 0);
    const rm = await docker(['network', 'rm', 'front']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout.trim(), 'front');
    const builtin = await docker(['network', 'rm', 'bridge']);
    assert.match(builtin.stderr, /bridge is a pre-defined network and cannot be removed/);
    await docker(['network', 'create', 'spare']);
    const prune = await docker(['network', 'prune', '-f']);
    assert.match(prune.stdout, /spare/);
    const missing = await docker(['network', 'inspect', 'spare']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /network spare not found/);
  });
});
