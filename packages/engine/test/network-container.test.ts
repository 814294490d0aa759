// Real busybox containers through @tdock/runtime, networked by the manager during the runtime's
// handshake (CreateOptions.network, called with the init's host pid). Loopback and our bridge only.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TdockError } from '@tdock/core';
import { Runtime, defaultSpec, readJsonFileLog, type RootfsMount } from '@tdock/runtime';
import { fixtures, tempRoots, type TempRoots } from '@tdock/testkit';
import { NetworkManager, type NetworkAttachOptions, type ContainerRef } from '../src/network/index.js';

describe('network: busybox containers through the runtime', function () {
  this.timeout(120000);
  let roots: TempRoots;
  let m: NetworkManager;
  let rt: Runtime;
  let busybox: string;
  const ctrs: ContainerRef[] = [];
  const ids: string[] = [];

  before(async () => {
    busybox = (await fixtures()).busybox.rootfs;
  });

  beforeEach(async () => {
    roots = await tempRoots();
    ctrs.length = 0;
    ids.length = 0;
    rt = new Runtime({ stateRoot: join(roots.dir, 'state'), socketDir: roots.execRoot });
    m = new NetworkManager({
      dataRoot: roots.dataRoot, bridgeName: roots.bridgeName, linkPrefix: roots.linkPrefix, nftTable: roots.nftTable,
      bip: `${roots.gateway}/24`, defaultAddressPools: [{ base: roots.subnetPool, size: 24 }], ipForward: false,
      hostResolvConf: 'nameserver 127.0.0.53\n',
      containers: {
        async resolve(x) {
          const c = ctrs.find((k) => k.id === x || k.name === x);
          if (!c) throw new TdockError('not-found', `No such container: ${x}`);
          return c;
        },
      },
    });
    await m.restore();
  });

  afterEach(async () => {
    for (const id of ids) await rt.delete(id, { force: true }).catch(() => undefined);
    for (const id of ids) await m.release(id).catch(() => undefined);
    await m.teardown();
    await m.close();
    await roots.cleanup();
  });

  /** Creates and starts a container on `network`, attached during the handshake; /etc/hosts and resolv.conf bound in. */
  async function start(name: string, network: string, args: string[], aliases: string[] = [], opts: NetworkAttachOptions = {}): Promise<{ id: string; settings: Record<string, unknown> }> {
    const id = `${roots.id}${name}`;
    const ref: ContainerRef = { id, name };
    ctrs.push(ref);
    ids.push(id);
    await m.connectAtCreate(ref, network, { [network]: { Aliases: aliases } });
    const dir = join(roots.dir, 'c', name);
    mkdirSync(join(dir, 'upper'), { recursive: true });
    mkdirSync(join(dir, 'work'), { recursive: true });
    const hosts = join(dir, 'hosts');
    const resolv = join(dir, 'resolv.conf');
    writeFileSync(hosts, '');
    writeFileSync(resolv, '');
    const spec = defaultSpec({ args, hostname: name });
    spec.mounts = [...(spec.mounts ?? []),
      { destination: '/etc/hosts', type: 'bind', source: hosts, options: ['rbind', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: resolv, options: ['rbind', 'rprivate'] }];
    const rootfs: RootfsMount = { type: 'overlay', lowers: [busybox], upper: join(dir, 'upper'), work: join(dir, 'work') };
    let settings: Record<string, unknown> = {};
    await rt.create(id, {
      bundle: dir, spec, rootfs,
      network: async (pid) => {
        settings = await m.attach(id, pid, opts);
        const files = m.containerFiles(id, { hostname: name });
        writeFileSync(hosts, files.hosts);
        writeFileSync(resolv, files.resolvConf);
      },
    });
    await rt.start(id);
    return { id, settings };
  }

  async function output(id: string): Promise<string> {
    await rt.wait(id);
    return readJsonFileLog(join(rt.stateDir(id), `${id}-json.log`)).map((r) => r.log).join('');
  }

  const get = (port: number): Promise<string> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });

  it('a busybox httpd on a user network is reached by alias from another container and through -p 127.0.0.1', async () => {
    await m.create({ Name: 'app' });
    const web = await start('web', 'app', ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www'], ['site'],
      { ports: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } });
    const port = Number((web.settings.Ports as Record<string, Array<{ HostPort: string }>>)['80/tcp']?.[0]?.HostPort);
    const client = await start('cli', 'app', ['sh', '-c',
      'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://site/ && break; sleep 0.3; done; wget -qO- http://web/; cat /etc/resolv.conf; ip route; cat /etc/hosts; hostname']);
    const out = await output(client.id);
    assert.match(out, /^hello-from-web\nhello-from-web\n/, out);
    assert.match(out, /nameserver 10\.222\.\d+\.1\noptions ndots:0/);
    assert.match(out, /default via 10\.222\.\d+\.1 dev eth0/);
    const ip = (client.settings.Networks as Record<string, { IPAddress: string }>).app?.IPAddress ?? '';
    assert.match(out, new RegExp(`127\\.0\\.0\\.1\\tlocalhost\n[^]*\n${ip.replace(/\./g, '\\.')}\\tcli\ncli\n$`));
    assert.equal(await get(port), 'hello-from-web\n');
  });

  it('a container on another network cannot reach them; one on an internal network has no default route', async () => {
    await m.create({ Name: 'app' });
    await m.create({ Name: 'elsewhere' });
    await m.create({ Name: 'sealed', Internal: true });
    const web = await start('web', 'app', ['sh', '-c', 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www']);
    const ip = (web.settings.Networks as Record<string, { IPAddress: string }>).app?.IPAddress ?? '';
    const other = await start('oth', 'elsewhere', ['sh', '-c', `wget -T 2 -qO- http://${ip}/ && echo reached || echo unreachable; nslookup web 2>&1 | tail -2`]);
    const out = await output(other.id);
    assert.match(out, /^unreachable$/m, out);
    assert.doesNotMatch(out, /^reached$/m);
    assert.doesNotMatch(out, new RegExp(ip.replace(/\./g, '\\.')));
    const sealed = await start('sea', 'sealed', ['sh', '-c', 'ip route; echo end']);
    const routes = await output(sealed.id);
    assert.doesNotMatch(routes, /default/);
    assert.match(routes, /dev eth0/);
  });
});
