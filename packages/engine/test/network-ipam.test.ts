import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TdockError } from '@tdock/core';
import { tempRoots, type TempRoots } from '@tdock/testkit';
import { NetworkManager, hostsFile, resolvConf, parseRate, type CommandRunner, type ContainerRef } from '../src/network/index.js';
import { allocateAddress, pickSubnet } from '../src/network/ipam.js';
import { parseCidr, formatCidr, macFromIp, parseIp, routesFromIpJson } from '../src/network/ipv4.js';
import { renderRules, renderRules6 } from '../src/network/nft.js';
import { formatCidr6, formatIp6, overlaps6, parseCidr6, parseIp6 } from '../src/network/ipv6.js';
import { choosePorts, wantedPorts, portsView } from '../src/network/ports.js';
import { createServer, type AddressInfo } from 'node:net';
import { linkName } from '../src/network/plumbing.js';

/** Records commands; answers nothing (no kernel is touched). */
function fakeRunner(): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return { calls, async run(cmd, args) { calls.push([cmd, ...args].join(' ')); return cmd === 'ip' && args.includes('route') ? '[]' : ''; } };
}

function containers(list: ContainerRef[]): { resolve(x: string): Promise<ContainerRef> } {
  return {
    async resolve(x) {
      const c = list.find((k) => k.id === x || k.name === x || k.id.startsWith(x));
      if (!c) throw new TdockError('not-found', `No such container: ${x}`);
      return c;
    },
  };
}

const cid = (ch: string): string => ch.repeat(64);

function kind(k: string, re?: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof TdockError && e.kind === k && (!re || re.test(e.message));
}

describe('network: IPAM and the network store', () => {
  let roots: TempRoots;
  const ctrs: ContainerRef[] = [{ id: cid('a'), name: 'web' }, { id: cid('b'), name: 'db', labels: { 'com.docker.compose.service': 'database' } }];
  const make = (extra: Partial<ConstructorParameters<typeof NetworkManager>[0]> = {}): NetworkManager => new NetworkManager({
    dataRoot: roots.dataRoot, containers: containers(ctrs), runner: fakeRunner(), checkNamespace: async () => undefined, bridgeName: roots.bridgeName, linkPrefix: roots.linkPrefix,
    nftTable: roots.nftTable, bip: `${roots.gateway}/24`, defaultAddressPools: [{ base: roots.subnetPool, size: 24 }], ...extra,
  });
  beforeEach(async () => { roots = await tempRoots(); });
  afterEach(async () => { await roots.cleanup(); });

  it('parses and formats addresses, derives Docker MACs, reads routes', () => {
    assert.equal(formatCidr(parseCidr('10.1.2.3/24')), '10.1.2.0/24');
    assert.throws(() => parseCidr('10.1.2.3/24', true), kind('invalid-argument'));
    assert.equal(macFromIp(parseIp('172.17.0.2')!), '02:42:ac:11:00:02');
    assert.deepEqual(routesFromIpJson('[{"dst":"default"},{"dst":"192.0.2.0/24"},{"dst":"10.9.9.9"}]').map(formatCidr), ['192.0.2.0/24', '10.9.9.9/32']);
  });

  it('parses and formats IPv6 addresses and networks (RFC 5952)', () => {
    for (const [inp, out] of [['fd00::1', 'fd00::1'], ['FD00:0:0:0:0:0:0:1', 'fd00::1'], ['::', '::'], ['::1', '::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0db8:0000:0001:0000:0000:0000:0000', '2001:db8:0:1::'], ['::ffff:10.1.2.3', '::ffff:a01:203'], ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0']] as const) {
      assert.equal(formatIp6(parseIp6(inp)!), out, inp);
    }
    for (const bad of ['fd00', '1::2::3', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7::8:9', '10.0.0.1']) assert.equal(parseIp6(bad), undefined, bad);
    assert.equal(formatCidr6(parseCidr6('fd00:1:2:3:4::/64')), 'fd00:1:2:3::/64');
    assert.throws(() => parseCidr6('fd00:1:2:3:4::/64', true), kind('invalid-argument', /not a network address/));
    assert.throws(() => parseCidr6('fd00::/129'), kind('invalid-argument'));
    assert.ok(overlaps6(parseCidr6('fd00::/48'), parseCidr6('fd00:0:0:5::/64')));
    assert.ok(!overlaps6(parseCidr6('fd00:1::/64'), parseCidr6('fd00:2::/64')));
  });

  it('picks the first pool subnet that collides with no route or network', () => {
    const pools = [{ base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/16', size: 16 }, { base: '192.168.0.0/16', size: 20 }];
    assert.equal(formatCidr(pickSubnet(pools, [])!), '172.17.0.0/16');
    assert.equal(formatCidr(pickSubnet(pools, [parseCidr('172.17.5.0/24')])!), '172.18.0.0/16');
    assert.equal(formatCidr(pickSubnet(pools, [parseCidr('172.16.0.0/12'), parseCidr('192.168.0.0/20')])!), '192.168.16.0/20');
    assert.equal(pickSubnet([{ base: '10.0.0.0/24', size: 24 }], [parseCidr('10.0.0.0/8')]), undefined);
  });

  it('creates the predefined networks once, with the default bridge on --bip', async () => {
    const m = make();
    await m.restore();
    const nets = await m.list(new Map());
    assert.deepEqual(nets.map((n) => n.Name).sort(), ['bridge', 'host', 'none']);
    const br = await m.inspect('bridge', { verbose: false });
    assert.deepEqual(br.IPAM, { Driver: 'default', Options: null, Config: [{ Subnet: roots.subnet, Gateway: roots.gateway }] });
    assert.equal((br.Options as Record<string, string>)['com.docker.network.bridge.name'], roots.bridgeName);
    assert.match(String(br.Id), /^[0-9a-f]{64}$/);
    const again = make();
    await again.restore();
    assert.equal((await again.inspect('bridge', { verbose: false })).Id, br.Id);
  });

  it('without --bip picks the default bridge subnet around the host routes', async () => {
    const pool = parseCidr(roots.subnetPool);
    const first = formatCidr({ base: pool.base, bits: 24 });
    const m = make({ bip: undefined, hostRoutes: async () => [parseCidr(first)] });
    await m.restore();
    const cfg = ((await m.inspect('bridge', { verbose: false })).IPAM as { Config: Array<{ Subnet: string }> }).Config[0];
    assert.equal(cfg?.Subnet, formatCidr({ base: pool.base + 256, bits: 24 }));
  });

  it('creates user networks with the next free subnet, keeps only the user options, refuses duplicates and overlaps', async () => {
    const m = make();
    await m.restore();
    const { Id } = await m.create({ Name: 'n1', Labels: { a: 'b' }, Options: { 'com.docker.network.driver.mtu': '1400' }, Attachable: true });
    const n1 = await m.inspect(Id.slice(0, 12), { verbose: false });
    const pool = parseCidr(roots.subnetPool);
    assert.deepEqual((n1.IPAM as { Config: unknown[] }).Config, [{ Subnet: formatCidr({ base: pool.base + 256, bits: 24 }), Gateway: formatCidr({ base: pool.base + 257, bits: 32 }).split('/')[0] }]);
    assert.deepEqual(n1.Options, { 'com.docker.network.driver.mtu': '1400' });
    assert.equal(n1.Scope, 'local');
    assert.equal(n1.Attachable, true);
    assert.deepEqual(n1.Containers, {});
    await assert.rejects(m.create({ Name: 'n1' }), kind('conflict', /already exists/));
    await assert.rejects(m.create({ Name: 'n2', IPAM: { Config: [{ Subnet: roots.subnet }] } }), kind('forbidden', /overlaps/));
    await assert.rejects(m.create({ Name: 'bad name' }), kind('invalid-argument'));
    await assert.rejects(m.create({ Name: 'x', Driver: 'overlay' }), kind('not-found', /plugin "overlay" not found/));
    const { Id: id3 } = await m.create({ Name: 'n3', IPAM: { Config: [{ Subnet: '10.99.0.0/16', IPRange: '10.99.5.0/24' }] }, Internal: true });
    const n3 = await m.inspect('n3', { verbose: false });
    assert.deepEqual((n3.IPAM as { Config: unknown[] }).Config, [{ Subnet: '10.99.0.0/16', IPRange: '10.99.5.0/24', Gateway: '10.99.0.1' }]);
    assert.deepEqual(n3.Options, {});
    const files = await readdir(join(roots.dataRoot, 'networks'));
    assert.ok(files.includes(`${id3}.json`));
    assert.ok(!files.some((f) => f.startsWith('.tmp')));
  });

  it('lists with filters (driver, id, label, name, scope, type, dangling)', async () => {
    const m = make();
    await m.restore();
    const { Id } = await m.create({ Name: 'front', Labels: { tier: 'web' } });
    await m.create({ Name: 'back', Labels: { tier: 'db', x: '' } });
    const names = async (f: Record<string, string[]>): Promise<string[]> => (await m.list(new Map(Object.entries(f)))).map((n) => String(n.Name)).sort();
    assert.deepEqual(await names({ type: ['custom'] }), ['back', 'front']);
    assert.deepEqual(await names({ type: ['builtin'] }), ['bridge', 'host', 'none']);
    assert.deepEqual(await names({ driver: ['null'] }), ['none']);
    assert.deepEqual(await names({ label: ['tier=web'] }), ['front']);
    assert.deepEqual(await names({ label: ['x'] }), ['back']);
    assert.deepEqual(await names({ name: ['ont'] }), ['front']);
    assert.deepEqual(await names({ id: [Id.slice(0, 10)] }), ['front']);
    assert.deepEqual(await names({ scope: ['local'], dangling: ['true'] }), ['back', 'front']);
    assert.deepEqual(await names({ name: ['front', 'back'], label: ['tier=db'] }), ['back']);
    await assert.rejects(m.list(new Map([['bogus', ['1']]])), kind('invalid-argument'));
  });

  it('connects created containers (aliases, static ip, compose service), shows them, disconnects', async () => {
    const m = make();
    await m.restore();
    await m.create({ Name: 'app', IPAM: { Config: [{ Subnet: '10.98.0.0/24' }] } });
    await m.connectAtCreate(ctrs[0]!, 'app', { app: { Aliases: ['w1'] } });
    await m.connect('app', 'db', { IPAMConfig: { IPv4Address: '10.98.0.50' }, Aliases: ['d'] });
    await assert.rejects(m.connect('app', 'db', {}), kind('forbidden', /already exists/));
    await assert.rejects(m.connect('app', 'web', { IPAMConfig: { IPv4Address: '10.1.1.1' } }), kind('forbidden'));
    await assert.rejects(m.connect('bridge', 'web', { IPAMConfig: { IPv4Address: '10.1.1.1' } }), kind('invalid-argument', /user defined networks only/));
    await assert.rejects(m.connect('app', 'nobody', {}), kind('not-found'));
    const web = m.containerNetworks(cid('a'));
    assert.deepEqual(Object.keys(web), ['app']);
    assert.deepEqual(web.app?.Aliases, ['w1']);
    assert.equal(web.app?.IPAddress, '');
    assert.deepEqual(web.app?.DNSNames, ['web', 'w1', cid('a').slice(0, 12)]);
    const db = m.containerNetworks(cid('b'));
    assert.deepEqual(db.app?.IPAMConfig, { IPv4Address: '10.98.0.50' });
    assert.deepEqual(db.app?.DNSNames, ['db', 'd', 'database', cid('b').slice(0, 12)]);
    // not attached: no active endpoints, removal of the network is refused only while attached
    assert.deepEqual((await m.inspect('app', { verbose: false })).Containers, {});
    await m.disconnect('app', 'db', false);
    await assert.rejects(m.disconnect('app', 'db', false), kind('forbidden', /is not connected/));
    await m.connectAtCreate(ctrs[1]!, 'none', {});
    await assert.rejects(m.connect('app', 'db', {}), kind('forbidden', /private \(none\) mode/));
    await m.release(cid('b'));
    await m.connectAtCreate(ctrs[1]!, 'default', {});
    assert.deepEqual(Object.keys(m.containerNetworks(cid('b'))), ['bridge']);
    await m.release(cid('b'));
    assert.deepEqual(m.containerNetworks(cid('b')), {});
  });

  it('attach plans the veth, in-namespace config, rate and rules; rename follows; detach undoes (fake runner)', async () => {
    const runner = fakeRunner();
    const m = make({ runner, ipForward: false });
    await m.restore();
    await m.create({ Name: 'app', IPAM: { Config: [{ Subnet: '10.96.0.0/24' }] } });
    await m.connectAtCreate(ctrs[0]!, 'app', { app: { MacAddress: '02:AA:BB:CC:DD:EE', Aliases: ['w'] } });
    const s = await m.attach(cid('a'), 4242, { networkRate: '10mbit', ports: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } });
    const app = (s.Networks as Record<string, Record<string, unknown>>).app;
    assert.equal(app?.IPAddress, '10.96.0.2');
    assert.equal(app?.Gateway, '10.96.0.1');
    assert.equal(app?.MacAddress, '02:aa:bb:cc:dd:ee');
    assert.equal(app?.IPPrefixLen, 24);
    assert.equal(s.IPAddress, '', 'top-level fields belong to the default bridge');
    assert.equal(s.SandboxKey, '/proc/4242/ns/net');
    const calls = runner.calls.join('\n');
    assert.match(calls, new RegExp(`ip -batch -`));
    assert.match(calls, /nsenter --net=\/proc\/4242\/ns\/net ip -batch -/);
    assert.match(calls, /tc qdisc replace dev \S+ root tbf rate 10000000bit/);
    assert.match(calls, /mirred egress redirect dev/);
    assert.match(calls, /ip link set dev (\S+) type bridge_slave hairpin on/, 'a container with published ports hairpins on its bridge port');
    const inspect = await m.inspect('app', { verbose: false });
    assert.deepEqual(Object.values(inspect.Containers as Record<string, unknown>), [{ Name: 'web', EndpointID: app?.EndpointID, MacAddress: '02:aa:bb:cc:dd:ee', IPv4Address: '10.96.0.2/24', IPv6Address: '' }]);
    await m.rename(cid('a'), '/web2');
    assert.deepEqual(m.containerNetworks(cid('a')).app?.DNSNames, ['web2', 'w', cid('a').slice(0, 12)]);
    assert.deepEqual(m.lookupOn(m.find('app').Id)('web2'), ['10.96.0.2']);
    assert.equal(m.lookupOn(m.find('app').Id)('web'), undefined);
    await m.detach(cid('a'));
    assert.equal(m.containerNetworks(cid('a')).app?.IPAddress, '');
    assert.deepEqual((await m.inspect('app', { verbose: false })).Containers, {});
    assert.deepEqual(m.settings(cid('a')).Ports, {});
    await assert.rejects(m.inspect('app', { verbose: false, scope: 'swarm' }), kind('not-found'));
  });

  it('DNS: a container also resolves names on its other user networks, others only this one', async () => {
    const m = make();
    await m.restore();
    await m.create({ Name: 'n1', IPAM: { Config: [{ Subnet: '10.91.0.0/24' }] } });
    await m.create({ Name: 'n2', IPAM: { Config: [{ Subnet: '10.92.0.0/24' }] } });
    const ep = (id: string, name: string, ip: string, seq: number): Record<string, unknown> => ({ containerId: id, containerName: name, endpointId: 'e', seq, aliases: [], links: [], ipv4: ip, attached: true });
    const n1 = m.find('n1');
    const n2 = m.find('n2');
    n1.endpoints.x = ep('x', 'xx', '10.91.0.2', 1) as never;
    n2.endpoints.x = ep('x', 'xx', '10.92.0.2', 2) as never;
    n2.endpoints.y = ep('y', 'yy', '10.92.0.3', 3) as never;
    const on1 = m.lookupOn(n1.Id);
    assert.deepEqual(on1('yy', '10.91.0.2'), ['10.92.0.3']);
    assert.deepEqual(on1('xx', '10.91.0.2'), ['10.91.0.2', '10.92.0.2']);
    assert.equal(on1('yy', '10.91.0.99'), undefined);
    assert.equal(on1('yy'), undefined);
    assert.deepEqual(on1('xx'), ['10.91.0.2']);
  });

  it('hands out every address once, static ones too, also after a restart', async () => {
    const m = make();
    await m.restore();
    await m.create({ Name: 'tiny', IPAM: { Config: [{ Subnet: '10.97.0.0/29' }] } });
    const n = m.find('tiny');
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = allocateAddress(n, `c${i}`);
      n.endpoints[`c${i}`] = { containerId: `c${i}`, containerName: `c${i}`, endpointId: 'e', seq: i, aliases: [], links: [], ipv4: a.ip, attached: true };
      n.lastIp = a.ip;
      got.push(a.ip);
    }
    assert.deepEqual(got, ['10.97.0.2', '10.97.0.3', '10.97.0.4', '10.97.0.5', '10.97.0.6']);
    assert.throws(() => allocateAddress(n, 'c9'), kind('unavailable'));
    assert.throws(() => allocateAddress(n, 'c9', '10.97.0.3'), kind('conflict', /already in use/));
    await m.store.save(n);
    delete n.endpoints.c1;
    await m.store.save(n);
    const again = make();
    await again.restore((id) => id !== 'c4');
    const n2 = again.find('tiny');
    assert.equal(n2.endpoints.c4?.attached, undefined, 'a container the engine no longer runs is detached');
    assert.equal(n2.endpoints.c4?.ipv4, undefined);
    n2.endpoints.c4!.ipv4 = '10.97.0.6';
    n2.endpoints.c4!.attached = true;
    assert.equal(allocateAddress(n2, 'new').ip, '10.97.0.3');
    assert.equal(n2.lastIp, '10.97.0.6');
  });

  it('creates --ipv6 networks with an IPv6 pool beside the IPv4 one and hands out an address from each', async () => {
    const m = make({ runner: fakeRunner() });
    await m.restore();
    await assert.rejects(m.create({ Name: 'x', EnableIPv6: true }), kind('forbidden', /non-overlapping IPv6 address pool/));
    // Without --ipv6 an IPv6 pool is kept (no gateway) and ignored, as dockerd 20.10 does.
    await m.create({ Name: 'ignored', IPAM: { Config: [{ Subnet: 'fd00:1::/64' }] } });
    const ignored = await m.inspect('ignored', { verbose: false });
    assert.equal(ignored.EnableIPv6, false);
    assert.deepEqual((ignored.IPAM as { Config: unknown[] }).Config[1], { Subnet: 'fd00:1::/64' });
    await m.connectAtCreate(ctrs[0]!, 'ignored', {});
    await m.attach(cid('a'), 4241, {});
    assert.equal((m.containerNetworks(cid('a')).ignored as Record<string, unknown>).GlobalIPv6Address, '');
    await m.release(cid('a'));
    await m.remove('ignored');
    await assert.rejects(m.create({ Name: 'x', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:1::/64' }, { Subnet: 'fd00:2::/64' }] } }), kind('invalid-argument', /one IPv6 subnet/));
    await assert.rejects(m.create({ Name: 'x', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:1::/64', Gateway: 'fd00:2::1' }] } }), kind('invalid-argument', /gateway/));
    // The IPv6 pool may come first; the IPv4 one (picked from the pools) is listed first, as Docker does.
    await m.create({ Name: 'six', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:1::/64' }] } });
    await assert.rejects(m.create({ Name: 'x', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:1::/48' }] } }), kind('forbidden', /overlaps/));
    const view = await m.inspect('six', { verbose: false });
    assert.equal(view.EnableIPv6, true);
    const cfg = (view.IPAM as { Config: { Subnet: string; Gateway: string }[] }).Config;
    assert.equal(cfg.length, 2);
    assert.ok(!cfg[0]!.Subnet.includes(':'), cfg[0]!.Subnet);
    assert.deepEqual(cfg[1], { Subnet: 'fd00:1::/64' }, 'as dockerd 20.10, no IPv6 gateway shown unless given');
    await m.connectAtCreate(ctrs[0]!, 'six', {});
    await m.connectAtCreate(ctrs[1]!, 'six', {});
    await m.attach(cid('a'), 4242, {});
    await m.attach(cid('b'), 4243, {});
    const ep = (id: string): Record<string, unknown> => m.containerNetworks(id).six as Record<string, unknown>;
    assert.deepEqual([ep(cid('a')).GlobalIPv6Address, ep(cid('a')).GlobalIPv6PrefixLen, ep(cid('a')).IPv6Gateway], ['fd00:1::2', 64, 'fd00:1::1']);
    assert.equal(ep(cid('b')).GlobalIPv6Address, 'fd00:1::3');
    assert.match(String(ep(cid('a')).IPAddress), /^\d+\.\d+\.\d+\.2$/);
    assert.deepEqual(m.lookupOn(m.find('six').Id)('db'), [ep(cid('b')).IPAddress, 'fd00:1::3'], 'the embedded DNS knows both addresses (A and AAAA)');
    const containersView = (await m.inspect('six', { verbose: false })).Containers as Record<string, { IPv6Address: string }>;
    assert.equal(containersView[cid('b')]?.IPv6Address, 'fd00:1::3/64');
    await m.detach(cid('a'));
    assert.equal(ep(cid('a')).GlobalIPv6Address, '');
    await m.attach(cid('a'), 4244, {});
    assert.equal(ep(cid('a')).GlobalIPv6Address, 'fd00:1::4', 'sequential: a freed address is reused last');
  });

  it('refuses to remove predefined networks, removes and prunes unused ones', async () => {
    const m = make();
    await m.restore();
    await assert.rejects(m.remove('bridge'), kind('forbidden', /pre-defined/));
    await m.create({ Name: 'p1', Labels: { keep: '1' } });
    await m.create({ Name: 'p2' });
    assert.deepEqual((await m.prune(new Map([['label!', ['keep']]]))).NetworksDeleted, ['p2']);
    const n = m.find('p1');
    n.endpoints.x = { containerId: 'x', containerName: 'busy', endpointId: 'e', seq: 1, aliases: [], links: [], attached: true };
    await assert.rejects(m.remove('p1'), kind('conflict', /^error while removing network: network p1 has active endpoints \(busy\)$/));
    delete n.endpoints.x;
    await m.remove('p1');
    await assert.rejects(m.inspect('p1', { verbose: false }), kind('not-found', /network p1 not found/));
  });

  it('renders the nftables table from the attached endpoints', () => {
    assert.equal(renderRules('t', [], { ipMasq: true }), '');
    const r = renderRules('t', [
      { bridge: 'b1', subnet: '10.0.1.0/24', internal: false, masquerade: true, ports: [{ proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080, containerIp: '10.0.1.2' }, { proto: 'udp', containerPort: 53, hostIp: '', hostPort: 5353, containerIp: '10.0.1.2' }] },
      { bridge: 'b2', subnet: '10.0.2.0/24', internal: true, masquerade: true, ports: [] },
      { bridge: 'b3', subnet: '10.0.3.0/24', internal: false, masquerade: false, ports: [] },
    ], { ipMasq: true });
    assert.match(r, /ip daddr 127\.0\.0\.1 tcp dport 8080 dnat to 10\.0\.1\.2:80/);
    assert.match(r, /fib daddr type local udp dport 5353 dnat to 10\.0\.1\.2:53/);
    assert.match(r, /ip saddr 10\.0\.1\.0\/24 oifname != "b1" masquerade/);
    assert.doesNotMatch(r, /10\.0\.2\.0\/24/);
    assert.match(r, /iifname "b2" oifname != "b2" drop/);
    assert.match(r, /iifname "b1" oifname \{ "b2", "b3" \} drop/);
    assert.doesNotMatch(r, /10\.0\.3\.0/);
    // Hairpin: DNATed traffic from b1 back into b1 is masqueraded; DNATed flows to and from b1's
    // published ports pass the isolation between bridges (the accepts come before the drops).
    assert.match(r, /ip saddr 10\.0\.1\.0\/24 oifname "b1" ct status dnat masquerade/);
    const accept = r.indexOf('ct status dnat oifname { "b1" } accept');
    assert.ok(accept > 0 && r.indexOf('ct status dnat iifname { "b1" } accept') > accept, r);
    assert.ok(accept < r.indexOf('iifname "b1" oifname { "b2", "b3" } drop'), r);
    assert.ok(r.indexOf('iifname "b2" oifname != "b2" drop') < accept, 'internal networks stay closed to DNATed flows');
    assert.doesNotMatch(r, /oifname "b3" ct status dnat/, 'no hairpin rule without published ports');
    // IPv6: the ip6 table isolates the networks with an IPv6 pool from the others, both ways, and is
    // empty (deleted) when none is attached.
    const bridges = [
      { bridge: 'b1', subnet: '10.0.1.0/24', internal: false, masquerade: true, ports: [] },
      { bridge: 'b2', subnet: '10.0.2.0/24', internal: true, masquerade: true, ports: [] },
      { bridge: 'b3', subnet: '10.0.3.0/24', internal: false, masquerade: true, ports: [] },
    ];
    assert.equal(renderRules6('t', bridges, new Set()), '');
    const r6 = renderRules6('t', bridges, new Set(['b1', 'b2']));
    assert.match(r6, /^table ip6 t \{/);
    assert.match(r6, /iifname "b1" oifname \{ "b2", "b3" \} drop/);
    assert.match(r6, /oifname "b1" iifname \{ "b2", "b3" \} drop/);
    assert.match(r6, /iifname "b2" oifname != "b2" drop/);
    assert.doesNotMatch(r6, /iifname "b3"/);
  });

  it('turns port requests into mappings and NetworkSettings.Ports', () => {
    const w = wantedPorts({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '' }] }, ExposedPorts: { '80/tcp': {}, '9000/tcp': {}, '53/udp': {} }, PublishAllPorts: true });
    assert.deepEqual(w.map((x) => `${x.containerPort}/${x.proto}:${x.hostIp}:${x.hostPorts?.join('-') ?? '*'}`), ['53/udp::*', '80/tcp:127.0.0.1:8080-8080', '9000/tcp::*']);
    const view = portsView({ ExposedPorts: { '80/tcp': {}, '443/tcp': {} } }, [{ proto: 'tcp', containerPort: 80, hostIp: '', hostPort: 32768 }]);
    assert.deepEqual(view, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }], '443/tcp': null });
    assert.throws(() => wantedPorts({ PortBindings: { '80/sctp': [] } }), kind('invalid-argument'));
  });

  it('refuses a fixed host port that a mapping or a host listener holds, and picks ephemeral ones', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const busy = (srv.address() as AddressInfo).port;
    try {
      const w = wantedPorts({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(busy) }] } });
      await assert.rejects(choosePorts(w, new Set()), kind('conflict', /port is already allocated/));
      const free = wantedPorts({ PortBindings: { '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '82/udp': [{}] } });
      const got = await choosePorts(free, new Set());
      assert.equal(got.length, 2);
      assert.ok(got.every((g) => g.hostPort > 1024));
      const again = wantedPorts({ PortBindings: { '80/tcp': [{ HostPort: String(got[0]!.hostPort) }] } });
      await assert.rejects(choosePorts(again, new Set([`tcp/${got[0]!.hostPort}`])), kind('conflict'));
      const nextFree = await new Promise<boolean>((resolve) => {
        const probe = createServer().once('error', () => resolve(false));
        probe.listen(busy + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
      });
      if (nextFree) { // the neighbour port is not ours to hold; only check when it is free
        const range = wantedPorts({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: `${busy}-${busy + 1}` }] } });
        const picked = await choosePorts(range, new Set());
        assert.equal(picked[0]?.hostPort, busy + 1, 'a range skips the port a host listener holds');
      }
    } finally {
      srv.close();
    }
  });

  it('names links within 15 characters from the prefix', () => {
    const n = linkName('tdkab12', 'v', 'x');
    assert.equal(n.length, 15);
    assert.ok(n.startsWith('tdkab12v'));
    assert.equal(linkName('tdk', 'b', 'x').length, 15);
  });

  it('parses rates', () => {
    assert.equal(parseRate('8mbit'), 8e6);
    assert.equal(parseRate('10Mbit'), 10e6);
    assert.equal(parseRate('1mbps'), 8e6);
    assert.equal(parseRate('500kbit'), 5e5);
    assert.throws(() => parseRate('fast'), kind('invalid-argument'));
    assert.throws(() => parseRate('10'), kind('invalid-argument'));
  });

  it('writes /etc/hosts and /etc/resolv.conf as Docker does', () => {
    assert.equal(hostsFile({ hostname: 'abc', ip: '10.0.0.2', aliases: ['web'], extraHosts: ['db:10.0.0.9'] }),
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.9\tdb\n10.0.0.2\tabc web\n');
    const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nsearch example.internal\noptions edns0\n';
    assert.equal(resolvConf({ host }), 'nameserver 10.1.1.1\nsearch example.internal\noptions edns0\n');
    assert.equal(resolvConf({ host: 'nameserver 127.0.0.53\n' }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    assert.equal(resolvConf({ host, embeddedDns: '10.9.0.1' }), 'nameserver 10.9.0.1\nsearch example.internal\noptions edns0 ndots:0\n');
    assert.equal(resolvConf({ host, dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['ndots:2'] }), 'nameserver 1.1.1.1\nsearch a.b\noptions ndots:2\n');
  });
});
