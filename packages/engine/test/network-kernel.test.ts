// Real-kernel networking: namespaces made with `ip netns add` stand in for containers (attach gets the
// pid of a process inside each); traffic stays on loopback and inside those namespaces.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { connect, createConnection } from 'node:net';
import { createSocket } from 'node:dgram';
import { TdockError } from '@tdock/core';
import { tempRoots, type TempRoots } from '@tdock/testkit';
import { NetworkManager, type ContainerRef } from '../src/network/index.js';
import { linkName } from '../src/network/plumbing.js';

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

/** A stand-in container: a netns with a sleeping process in it. */
interface Box { ns: string; ref: ContainerRef; proc: ChildProcess; pid: number }

const SERVER = `
const net = require('net'), dgram = require('dgram');
const size = Number(process.argv[1] || 0);
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
u.bind(53, '0.0.0.0', () => net.createServer((s) => { if (size) { s.end(Buffer.alloc(size, 120)); } else { s.end('hello from ' + require('os').hostname() + '\\n'); } })
  .listen(80, '0.0.0.0', () => console.log('ready')));
`;

describe('network: on the real kernel', function () {
  this.timeout(60000);
  let roots: TempRoots;
  let m: NetworkManager;
  const boxes: Box[] = [];
  const procs: ChildProcess[] = [];
  const ctrs: ContainerRef[] = [];

  async function box(name: string, labels?: Record<string, string>): Promise<Box> {
    const ns = `${roots.linkPrefix}n${boxes.length}`;
    sh('ip', ['netns', 'add', ns]);
    const proc = spawn('ip', ['netns', 'exec', ns, 'sleep', '600'], { stdio: 'ignore' });
    const want = statSync(`/run/netns/${ns}`).ino;
    for (let i = 0; i < 200; i++) { // until the process has entered the namespace
      try { if (statSync(`/proc/${proc.pid}/ns/net`).ino === want) break; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 10));
    }
    const id = createHash('sha256').update(`${roots.id}/${name}`).digest('hex');
    const b: Box = { ns, proc, pid: proc.pid ?? 0, ref: { id, name, ...(labels ? { labels } : {}) } };
    boxes.push(b);
    ctrs.push(b.ref);
    return b;
  }

  /** Runs node inside a box's namespace and resolves with its stdout. */
  function inside(b: Box, script: string, ...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', b.ns, process.execPath, '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
    });
  }

  async function serve(b: Box, size = 0): Promise<void> {
    const p = spawn('ip', ['netns', 'exec', b.ns, process.execPath, '-e', SERVER, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(p);
    await new Promise<void>((resolve, reject) => { p.stdout?.once('data', () => resolve()); p.once('exit', () => reject(new Error('server died'))); });
  }

  const fetchText = (host: string, port: number): Promise<string> => new Promise((resolve, reject) => {
    const s = createConnection({ host, port }, () => undefined);
    let out = '';
    s.on('data', (d: Buffer) => { out += d.toString(); });
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(5000, () => { s.destroy(); reject(new Error('timeout')); });
  });

  beforeEach(async () => {
    roots = await tempRoots();
    boxes.length = 0;
    ctrs.length = 0;
    m = new NetworkManager({
      dataRoot: roots.dataRoot, bridgeName: roots.bridgeName, linkPrefix: roots.linkPrefix, nftTable: roots.nftTable,
      bip: `${roots.gateway}/24`, defaultAddressPools: [{ base: roots.subnetPool, size: 24 }], ipForward: false, dnsForward: false,
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
    for (const p of procs.splice(0)) p.kill('SIGKILL');
    await m.close();
    for (const b of boxes) b.proc.kill('SIGKILL');
    await roots.cleanup();
  });

  it('two namespaces on a user network reach each other by IP and by name; another network cannot; cleanup leaves nothing', async () => {
    await m.create({ Name: 'app', Attachable: true });
    await m.create({ Name: 'other' });
    const a = await box('aaa', { 'com.docker.compose.service': 'websvc' });
    const b = await box('bbb');
    const c = await box('ccc');
    await m.connectAtCreate(a.ref, 'app', { app: { Aliases: ['www'] } });
    await m.connectAtCreate(b.ref, 'app', {});
    await m.connectAtCreate(c.ref, 'other', {});
    const sa = await m.attach(a.ref.id, a.pid);
    await m.attach(b.ref.id, b.pid);
    await m.attach(c.ref.id, c.pid);
    const ipA = String((sa.Networks as Record<string, { IPAddress: string; MacAddress: string }>).app?.IPAddress);
    assert.match(ipA, /^10\.222\./);
    const link = JSON.parse(sh('ip', ['netns', 'exec', a.ns, 'ip', '-j', 'addr', 'show', 'dev', 'eth0'])) as Array<{ address: string; mtu: number; addr_info: Array<{ local: string }> }>;
    assert.equal(link[0]?.addr_info.find((x) => x.local.includes('.'))?.local, ipA);
    assert.equal(link[0]?.address, (sa.Networks as Record<string, { MacAddress: string }>).app?.MacAddress);
    assert.match(sh('ip', ['netns', 'exec', a.ns, 'ip', 'route']), /^default via 10\.222\.\d+\.1 dev eth0/m);
    await serve(a);
    const viaIp = await inside(b, `require('net').connect(80, process.argv[1]).on('data', (d) => process.stdout.write(d))`, ipA);
    assert.match(viaIp, /^hello from/);
    const gw = String((await m.inspect('app', { verbose: false }) as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0]?.Gateway);
    const resolve = `const r = new (require('dns').promises.Resolver)(); r.setServers([process.argv[1]]);
      Promise.all(process.argv.slice(2).map((n) => r.resolve4(n).catch((e) => e.code))).then((x) => console.log(JSON.stringify(x)))`;
    const names = JSON.parse(await inside(b, resolve, gw, 'aaa', 'www', 'websvc', a.ref.id.slice(0, 12), 'ccc', 'nonexistent.example')) as unknown[];
    assert.deepEqual(names, [[ipA], [ipA], [ipA], [ipA], 'ENOTFOUND', 'ENOTFOUND']);
    const viaName = await inside(b, `const r = new (require('dns').promises.Resolver)(); r.setServers([process.argv[1]]);
      r.resolve4('www').then(([ip]) => require('net').connect(80, ip).on('data', (d) => process.stdout.write(d)))`, gw);
    assert.match(viaName, /^hello from/);
    const fromOther = await inside(c, `const s = require('net').connect({ host: process.argv[1], port: 80 });
      s.on('connect', () => console.log('connected')); s.on('error', (e) => console.log(e.code)); s.setTimeout(1500, () => { console.log('timeout'); s.destroy(); })`, ipA);
    assert.notEqual(fromOther.trim(), 'connected');
    const rules = sh('nft', ['-j', 'list', 'table', 'ip', roots.nftTable]);
    assert.match(rules, /"drop"/);
    // names stay current: once a is detached, its name no longer resolves
    await m.detach(a.ref.id);
    assert.deepEqual(JSON.parse(await inside(b, resolve, gw, 'aaa')), ['ENOTFOUND']);
    assert.deepEqual((await m.inspect('app', { verbose: false })).Containers && Object.keys((await m.inspect('app', { verbose: false })).Containers as object), [b.ref.id]);
    await assert.rejects(m.remove('app'), (e: unknown) => e instanceof TdockError && e.kind === 'conflict' && /active endpoints \(bbb\)/.test(e.message));
    for (const x of [b, c]) await m.release(x.ref.id);
    await m.release(a.ref.id);
    await m.remove('app');
    await m.remove('other');
    await m.teardown();
    const left = (JSON.parse(sh('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>).filter((l) => l.ifname.startsWith(roots.linkPrefix));
    assert.deepEqual(left, []);
    assert.doesNotMatch(sh('nft', ['list', 'tables']), new RegExp(roots.nftTable));
    assert.doesNotMatch(sh('ip', ['-4', 'addr']), new RegExp(roots.gateway.replace(/\./g, '\\.')));
  });

  it('refuses to configure the host namespace as a container', async () => {
    const ref: ContainerRef = { id: 'f'.repeat(64), name: 'oops' };
    await m.connectAtCreate(ref, 'bridge', {});
    await assert.rejects(m.attach(ref.id, process.pid), (e: unknown) => e instanceof TdockError && /host's network namespace/.test(e.message));
    assert.equal(m.containerNetworks(ref.id).bridge?.IPAddress, '');
  });

  it('an internal network has no default route and no masquerade', async () => {
    await m.create({ Name: 'sealed', Internal: true });
    const a = await box('iii');
    await m.connectAtCreate(a.ref, 'sealed', {});
    await m.attach(a.ref.id, a.pid);
    assert.doesNotMatch(sh('ip', ['netns', 'exec', a.ns, 'ip', 'route']), /default/);
    const rules = sh('nft', ['list', 'table', 'ip', roots.nftTable]);
    assert.doesNotMatch(rules, /masquerade/);
    assert.match(rules, /oifname != "\S+" drop/);
  });

  it('publishes TCP on 127.0.0.1, random ports with -P, and UDP; the default bridge gets masquerade', async () => {
    const a = await box('ppp');
    await m.connectAtCreate(a.ref, 'default', {});
    const ports = { ExposedPorts: { '80/tcp': {}, '53/udp': {} }, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, PublishAllPorts: true };
    const s = await m.attach(a.ref.id, a.pid, { ports });
    assert.match(String(s.IPAddress), /^10\.222\./);
    assert.equal(s.Gateway, roots.gateway);
    const p = s.Ports as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    assert.equal(p['80/tcp']?.[0]?.HostIp, '127.0.0.1');
    assert.equal(p['53/udp']?.[0]?.HostIp, '0.0.0.0');
    const tcpPort = Number(p['80/tcp']?.[0]?.HostPort);
    const udpPort = Number(p['53/udp']?.[0]?.HostPort);
    assert.ok(tcpPort > 0 && udpPort > 0);
    assert.deepEqual(m.settings(a.ref.id, ports).Ports, p);
    await serve(a);
    assert.match(await fetchText(String(s.IPAddress), 80), /^hello from/);
    assert.match(await fetchText('127.0.0.1', tcpPort).catch((e: Error) => `${e.message}\n${sh('nft', ['list', 'ruleset'])}`), /^hello from/);
    const echo = await new Promise<string>((resolve, reject) => {
      const u = createSocket('udp4');
      const t = setTimeout(() => { u.close(); reject(new Error('no UDP reply')); }, 5000);
      u.on('message', (msg) => { clearTimeout(t); u.close(); resolve(msg.toString()); });
      u.send('ping', udpPort, '127.0.0.1');
    });
    assert.equal(echo, 'echo:ping');
    const rules = sh('nft', ['list', 'table', 'ip', roots.nftTable]);
    assert.match(rules, new RegExp(`ip saddr ${roots.subnet.replace(/\./g, '\\.')} oifname != "${roots.bridgeName}" masquerade`));
    assert.match(rules, /ip saddr 127\.0\.0\.0\/8 oifname/);
    await m.detach(a.ref.id);
    assert.doesNotMatch(sh('nft', ['list', 'tables']), new RegExp(roots.nftTable));
    await assert.rejects(new Promise((resolve, reject) => { const c = connect(tcpPort, '127.0.0.1', () => resolve(c)); c.on('error', reject); }));
  });

  it('after a daemon restart, live attachments are kept, dead ones freed, rules and names rebuilt', async () => {
    await m.create({ Name: 'app' });
    const a = await box('aaa');
    const b = await box('bbb');
    await m.connectAtCreate(a.ref, 'app', {});
    await m.connectAtCreate(b.ref, 'app', {});
    const sa = await m.attach(a.ref.id, a.pid, { ports: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } });
    const sb = await m.attach(b.ref.id, b.pid);
    const ipA = (sa.Networks as Record<string, { IPAddress: string }>).app?.IPAddress;
    const ipB = (sb.Networks as Record<string, { IPAddress: string }>).app?.IPAddress;
    // "kill -9": no detach; b's namespace dies meanwhile (its veth pair goes with it)
    await m.close();
    b.proc.kill('SIGKILL');
    await new Promise((r) => b.proc.once('exit', r));
    sh('ip', ['netns', 'delete', b.ns]);
    m = new NetworkManager({ ...m.opts });
    await m.restore();
    const nets = m.containerNetworks(a.ref.id);
    assert.equal(nets.app?.IPAddress, ipA);
    assert.equal(m.containerNetworks(b.ref.id).app?.IPAddress, '');
    assert.deepEqual(Object.keys((await m.inspect('app', { verbose: false })).Containers as object), [a.ref.id]);
    assert.match(sh('nft', ['list', 'table', 'ip', roots.nftTable]), new RegExp(`dnat to ${String(ipA).replace(/\./g, '\\.')}:80`));
    const c = await box('ccc');
    await m.connectAtCreate(c.ref, 'app', {});
    const sc = await m.attach(c.ref.id, c.pid);
    const ipC = (sc.Networks as Record<string, { IPAddress: string }>).app?.IPAddress;
    assert.notEqual(ipC, ipA);
    assert.notEqual(ipC, ipB, 'the freed address is not reused first');
    const gw = (m.find('app').IPAM.Config[0]?.Gateway) ?? '';
    const found = await inside(c, `const r = new (require('dns').promises.Resolver)(); r.setServers([process.argv[1]]); r.resolve4('aaa').then((x) => console.log(x[0]))`, gw);
    assert.equal(found.trim(), ipA);
  });

  it('replaces a leftover host veth and remakes a bridge deleted behind its back', async () => {
    const a = await box('lll');
    await m.connectAtCreate(a.ref, 'bridge', {});
    const leftover = linkName(roots.linkPrefix, 'v', `${a.ref.id}/${m.find('bridge').Id}`);
    sh('ip', ['link', 'add', leftover, 'type', 'veth', 'peer', 'name', `${roots.linkPrefix}x0`]);
    await m.attach(a.ref.id, a.pid);
    assert.match(sh('ip', ['-o', 'link', 'show', 'dev', leftover]), new RegExp(`master ${roots.bridgeName}`));
    await m.detach(a.ref.id);
    sh('ip', ['link', 'delete', roots.bridgeName]);
    const s = await m.attach(a.ref.id, a.pid);
    assert.match(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', roots.bridgeName]), new RegExp(roots.gateway.replace(/\./g, '\\.')));
    assert.match(sh('ip', ['netns', 'exec', a.ns, 'ip', '-4', '-o', 'addr']), new RegExp(String(s.IPAddress).replace(/\./g, '\\.')));
  });

  it('connect on a running container plugs a second interface; disconnect removes it', async () => {
    const a = await box('hhh');
    await m.connectAtCreate(a.ref, 'bridge', {});
    await m.attach(a.ref.id, a.pid);
    a.ref.pid = a.pid;
    const [o1, o2, o3] = roots.subnetPool.split('.').map(Number);
    const net = `${o1}.${o2}.${(o3 ?? 0) + 3}`;
    await m.create({ Name: 'late', IPAM: { Config: [{ Subnet: `${net}.0/24` }] } });
    await m.connect('late', 'hhh', { IPAMConfig: { IPv4Address: `${net}.77` }, Aliases: ['h'] });
    const addrs = sh('ip', ['netns', 'exec', a.ns, 'ip', '-4', '-o', 'addr']);
    assert.match(addrs, new RegExp(`eth1\\s+inet ${net.replace(/\./g, '\\.')}\\.77/24`));
    assert.match(sh('ip', ['netns', 'exec', a.ns, 'ip', 'route']), new RegExp(`default via ${roots.gateway.replace(/\./g, '\\.')} dev eth0`));
    await m.disconnect('late', 'hhh', false);
    assert.doesNotMatch(sh('ip', ['netns', 'exec', a.ns, 'ip', '-4', '-o', 'addr']), /eth1/);
    // a failing hot-plug (the static address is the gateway's) leaves the other interface alone
    await assert.rejects(m.connect('late', 'hhh', { IPAMConfig: { IPv4Address: `${net}.1` } }), (e: unknown) => e instanceof TdockError && e.kind === 'conflict');
    assert.equal(m.containerNetworks(a.ref.id).late, undefined);
    assert.match(sh('ip', ['netns', 'exec', a.ns, 'ip', '-4', '-o', 'addr']), /eth0\s+inet /);
    // interface names are reused: without eth0, the next network gets eth0
    await m.disconnect('bridge', 'hhh', false);
    await m.connect('late', 'hhh', {});
    assert.match(sh('ip', ['netns', 'exec', a.ns, 'ip', '-4', '-o', 'addr']), new RegExp(`eth0\\s+inet ${net.replace(/\./g, '\\.')}\\.`));
    await m.disconnect('late', 'hhh', false);
    await m.remove('late');
  });

  it('limits a container to 8 Mbit/s each way: tc shows it, and 4 MiB out of it and into it each take at least 3.5 s', async function () {
    await m.create({ Name: 'slow' });
    const a = await box('sss');
    const b = await box('rrr');
    await m.connectAtCreate(a.ref, 'slow', {});
    await m.connectAtCreate(b.ref, 'slow', {});
    const sa = await m.attach(a.ref.id, a.pid, { networkRate: '8mbit' });
    const sb = await m.attach(b.ref.id, b.pid);
    const veth = m.endpointsOf(a.ref.id)[0]?.e.hostVeth ?? '';
    const ifb = m.endpointsOf(a.ref.id)[0]?.e.ifb ?? '';
    const q = JSON.parse(sh('tc', ['-j', 'qdisc', 'show', 'dev', veth])) as Array<{ kind: string; options?: { rate?: number } }>;
    assert.equal(q.find((x) => x.kind === 'tbf')?.options?.rate, 1e6);
    const qi = JSON.parse(sh('tc', ['-j', 'qdisc', 'show', 'dev', ifb])) as Array<{ kind: string; options?: { rate?: number } }>;
    assert.equal(qi.find((x) => x.kind === 'tbf')?.options?.rate, 1e6);
    assert.match(sh('tc', ['filter', 'show', 'dev', veth, 'parent', 'ffff:']), /mirred.*Redirect to device/i);
    const ipOf = (s: Record<string, unknown>): string => String((s.Networks as Record<string, { IPAddress: string }>).slow?.IPAddress);
    const download = `const t = Date.now(); let n = 0; require('net').connect(80, process.argv[1]).on('data', (d) => { n += d.length; }).on('end', () => console.log(JSON.stringify({ n, ms: Date.now() - t })))`;
    const rates: string[] = [];
    // out of the limited container (ingress of its host veth → ifb → tbf), then into it (tbf on the host veth)
    for (const [server, client, ip] of [[a, b, ipOf(sa)], [b, a, ipOf(sb)]] as const) {
      await serve(server, 4 << 20);
      const r = JSON.parse(await inside(client, download, ip)) as { n: number; ms: number };
      assert.equal(r.n, 4 << 20);
      assert.ok(r.ms >= 3500, `4 MiB took ${r.ms} ms`);
      rates.push(((r.n * 8) / r.ms / 1000).toFixed(2));
    }
    this.test!.title += ` (achieved: out ${rates[0]}, in ${rates[1]} Mbit/s)`;
  });
});
