// Networking end to end (issue 7): the built tdockd on temporary roots and names (tdockdArgs: its own
// bridge, subnet, pool, nft table and link prefix, DNS forwarding off), the real docker CLI and the tdock
// CLI, busybox from the kit registry. Traffic stays on loopback and inside the containers' own networks.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';
import { runCommand, type Result, ok } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKER = '/usr/local/bin/docker';
const TDOCK = path.join(ROOT, 'packages/cli/bin/tdock.js');
const PREDEFINED = new Set(['bridge', 'host', 'none']);

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> => runCommand(cmd, args, { env });

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** GETs `url` until it answers (the container's httpd may still be starting), at most ~10 s. */
async function httpGetRetry(url: string): Promise<{ status: number; body: string }> {
  let last: unknown;
  for (let i = 0; i < 40; i++) {
    try {
      return await httpGet(url);
    } catch (e) {
      last = e;
      await sleep(250);
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** A request on the daemon's socket, for the status codes the docker CLI does not show. */
function api(socket: string, method: string, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: p }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function links(): { ifname: string; ifindex: number }[] {
  return JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }) || '[]') as { ifname: string; ifindex: number }[];
}

function nftTables(): string[] {
  const out = JSON.parse(execFileSync('nft', ['-j', 'list', 'tables'], { encoding: 'utf8' }) || '{"nftables":[]}') as { nftables: { table?: { name: string } }[] };
  return out.nftables.flatMap((e) => (e.table ? [e.table.name] : []));
}

/** `sh -c` script: retries `cmd` up to `n` times, half a second apart; exits 0 on the first success. */
// (Not `wget -T`: this busybox's wget crashes with SIGSEGV whenever -T is given; `timeout` bounds it instead.)
function retry(cmd: string, n = 20): string {
  return `i=0; while [ $i -lt ${n} ]; do ${cmd} && exit 0; i=$((i+1)); sleep 0.5; done; exit 1`;
}

describe('e2e: networking against tdockd', function () {
  this.timeout(240_000);
  let roots: TempRoots;
  let reg: RegistryHandle;
  let daemon: DaemonHandle | undefined;
  let image: string;
  let env: NodeJS.ProcessEnv;
  /** Three /24s of the suite's pool after the default bridge's (e.g. 10.222.37.0/24, .38, .39). */
  let subnets: string[];
  const docker = (args: string[]): Promise<Result> => run(DOCKER, args, env);
  const tdock = (args: string[]): Promise<Result> => run(process.execPath, [TDOCK, '-H', `unix://${roots.socket}`, ...args], env);
  const ownLinks = (): string[] => links().map((l) => l.ifname).filter((n) => n.startsWith(roots.linkPrefix));
  const httpd = (name: string, extra: string[], body = name, setup = ''): Promise<Result> =>
    docker(['run', '-d', '--name', name, ...extra, image, 'sh', '-c', `mkdir -p /www; echo ${body} > /www/index.html; ${setup} exec httpd -f -p 80 -h /www`]);
  const idle = (name: string, extra: string[]): Promise<Result> =>
    docker(['run', '-d', '--name', name, ...extra, image, 'sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]);
  const ipOn = async (container: string, network: string): Promise<string> =>
    ok(await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]), 'inspect ip').stdout.trim();

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    roots = await tempRoots();
    reg = await startRegistry();
    image = (await fixtures()).busybox.refIn(reg.host);
    daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: roots.dir, DOCKER_HOST: `unix://${roots.socket}`, DOCKER_CONFIG: path.join(roots.dir, 'docker-config') };
    ok(await docker(['pull', image]), 'pull');
    const [a, b, c] = roots.subnet.split('.').map(Number) as [number, number, number];
    subnets = [1, 2, 3].map((k) => `${a}.${b}.${c + k}.0/24`);
  });

  const removeAll = async (): Promise<void> => {
    const ps = await docker(['ps', '-aq']);
    for (const id of ps.stdout.split('\n').filter(Boolean)) await docker(['rm', '-f', '-v', id]);
    const nets = await docker(['network', 'ls', '--format', '{{.Name}}']);
    for (const n of nets.stdout.split('\n').filter((x) => x && !PREDEFINED.has(x))) await docker(['network', 'rm', n]);
  };

  afterEach(async () => {
    if (daemon) await removeAll();
  });

  after(async () => {
    if (daemon) {
      await removeAll().catch(() => undefined);
      await daemon.stop();
    }
    await reg?.stop();
    await roots?.cleanup();
  });

  it('containers on a user network reach each other over TCP by name, alias and IP; another network cannot reach them', async () => {
    ok(await docker(['network', 'create', '--subnet', subnets[0]!, 'e2e-a']), 'create e2e-a');
    ok(await docker(['network', 'create', '--subnet', subnets[1]!, 'e2e-b']), 'create e2e-b');
    ok(await httpd('web', ['--network', 'e2e-a', '--network-alias', 'site'], 'served-by-web'), 'run web');
    ok(await idle('client', ['--network', 'e2e-a']), 'run client');
    ok(await idle('outsider', ['--network', 'e2e-b']), 'run outsider');
    const webIp = await ipOn('web', 'e2e-a');
    assert.ok(webIp.startsWith(subnets[0]!.split('.').slice(0, 3).join('.') + '.'), webIp);
    for (const target of ['web', 'site', webIp]) {
      const r = ok(await docker(['exec', 'client', 'sh', '-c', retry(`timeout 3 wget -qO- http://${target}/`)]), `wget ${target}`);
      assert.equal(r.stdout, 'served-by-web\n', target);
    }
    // The outsider: its network's resolver does not know the other network's names, and the address is
    // not reachable across bridges (a short timeout, and a sanity check that wget itself works there).
    ok(await httpd('local', ['--network', 'e2e-b'], 'local'), 'run local');
    assert.equal(ok(await docker(['exec', 'outsider', 'sh', '-c', retry('timeout 3 wget -qO- http://local/')]), 'wget local').stdout, 'local\n');
    for (const target of ['web', 'site', webIp]) {
      const r = await docker(['exec', 'outsider', 'timeout', '3', 'wget', '-qO-', `http://${target}/`]);
      assert.notEqual(r.code, 0, `outsider reached ${target}: ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /served-by-web/);
    }
  });

  it('an --internal network has no default route', async () => {
    ok(await docker(['network', 'create', '--internal', '--subnet', subnets[2]!, 'e2e-internal']), 'create');
    assert.equal(ok(await docker(['network', 'inspect', '-f', '{{.Internal}}', 'e2e-internal']), 'inspect').stdout.trim(), 'true');
    ok(await idle('inner', ['--network', 'e2e-internal']), 'run inner');
    const routes = ok(await docker(['exec', 'inner', 'ip', 'route']), 'ip route').stdout;
    assert.match(routes, new RegExp(`^${subnets[2]!.replace(/\./g, '\\.')} dev eth0`, 'm'), routes);
    assert.doesNotMatch(routes, /default/, routes);
    // On a normal network the same container image does get one (so the assertion above means something).
    ok(await docker(['network', 'create', '--subnet', subnets[0]!, 'e2e-routed']), 'create routed');
    ok(await idle('outer', ['--network', 'e2e-routed']), 'run outer');
    assert.match(ok(await docker(['exec', 'outer', 'ip', 'route']), 'ip route').stdout, /^default via /m);
  });

  it('-p 127.0.0.1:PORT:80 serves the container\'s httpd to the host', async () => {
    const port = await freePort();
    ok(await httpd('pub', ['-p', `127.0.0.1:${port}:80`], 'published'), 'run pub');
    assert.match(ok(await docker(['port', 'pub']), 'port').stdout, new RegExp(`^80/tcp -> 127\\.0\\.0\\.1:${port}$`, 'm'));
    const r = await httpGetRetry(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'published\n');
  });

  it('-P gives exposed ports host ports that docker port shows and that answer', async () => {
    ok(await httpd('pall', ['--expose', '80', '-P'], 'all-published'), 'run pall');
    const out = ok(await docker(['port', 'pall', '80/tcp']), 'port').stdout;
    const m = /:(\d+)$/m.exec(out);
    assert.ok(m, out);
    const port = Number(m[1]);
    assert.ok(port > 0 && port < 65536, out);
    const insp = ok(await docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'pall']), 'inspect').stdout;
    assert.match(insp, new RegExp(`"HostPort":"${port}"`), insp);
    const r = await httpGetRetry(`http://127.0.0.1:${port}/`);
    assert.equal(r.body, 'all-published\n');
  });

  it('a published UDP port delivers datagrams into the container', async () => {
    // busybox has no UDP server applet; the container's own UDP counters (/proc/net/snmp is per network
    // namespace) show that the datagrams sent to the host port arrived in its namespace.
    const port = await freePort();
    ok(await idle('udp', ['-p', `127.0.0.1:${port}:5353/udp`]), 'run udp');
    assert.match(ok(await docker(['port', 'udp']), 'port').stdout, new RegExp(`^5353/udp -> 127\\.0\\.0\\.1:${port}$`, 'm'));
    const udpIn = async (): Promise<number> => {
      const snmp = ok(await docker(['exec', 'udp', 'cat', '/proc/net/snmp']), 'snmp').stdout.split('\n').filter((l) => l.startsWith('Udp:'));
      const [names, values] = snmp.map((l) => l.split(/\s+/).slice(1));
      const at = (k: string): number => Number(values?.[names?.indexOf(k) ?? -1] ?? NaN);
      return at('InDatagrams') + at('NoPorts');
    };
    const before = await udpIn();
    const sock = dgram.createSocket('udp4');
    sock.on('error', () => undefined); // ICMP port unreachable from the container comes back as ECONNREFUSED
    try {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((r) => sock.send(Buffer.from(`ping ${i}`), port, '127.0.0.1', () => r()));
        await sleep(100);
      }
    } finally {
      sock.close();
    }
    let after = before;
    for (let i = 0; i < 20 && after - before < 5; i++) {
      await sleep(100);
      after = await udpIn();
    }
    assert.ok(after - before >= 5, `the container saw ${after - before} of 5 datagrams`);
  });

  it('containers reach a published port through the gateway address: their own, a sibling\'s, another network\'s (hairpin NAT in the suite\'s table)', async () => {
    ok(await docker(['network', 'create', '--subnet', subnets[0]!, 'e2e-hairpin']), 'create');
    const gateway = ok(await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'e2e-hairpin']), 'gateway').stdout.trim();
    const port = await freePort();
    ok(await httpd('hp-web', ['--network', 'e2e-hairpin', '-p', `${port}:80`], 'hairpin-served'), 'run hp-web');
    ok(await idle('hp-sibling', ['--network', 'e2e-hairpin']), 'run hp-sibling');
    ok(await idle('hp-other', []), 'run hp-other');
    assert.equal((await httpGetRetry(`http://127.0.0.1:${port}/`)).body, 'hairpin-served\n', 'from the host');
    // Its own published port, then a sibling's on the same network, both through that network's gateway;
    // then from the default bridge through its own gateway (the port is published on every host address).
    for (const [from, via] of [['hp-web', gateway], ['hp-sibling', gateway], ['hp-other', roots.gateway]] as const) {
      const r = ok(await docker(['exec', from, 'sh', '-c', retry(`timeout 3 wget -qO- http://${via}:${port}/`, 10)]), `${from} -> ${via}:${port}`);
      assert.equal(r.stdout, 'hairpin-served\n', `${from} -> ${via}:${port}`);
    }
    // The rules are in the suite's table and nowhere else; the bridge's port back to the container hairpins.
    const bridge = ok(await docker(['network', 'inspect', '-f', '{{.Id}}', 'e2e-hairpin']), 'id').stdout.trim();
    const ours = execFileSync('nft', ['list', 'table', 'ip', roots.nftTable], { encoding: 'utf8' });
    assert.match(ours, new RegExp(`ip saddr ${subnets[0]!.replace(/\./g, '\\.')} oifname "[^"]+" ct status dnat masquerade`), ours);
    assert.match(ours, new RegExp(`dport ${port} dnat to`), ours);
    const others = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }).split(/^table /m).filter((t) => !t.startsWith(`ip ${roots.nftTable} `) && !t.startsWith(`ip6 ${roots.nftTable} `));
    for (const t of others) {
      assert.doesNotMatch(t, new RegExp(`dport ${port}\\b|${roots.linkPrefix}`), `a rule of ours outside ${roots.nftTable}: ${t.slice(0, 400)}`);
    }
    const iflink = Number(ok(await docker(['exec', 'hp-web', 'cat', '/sys/class/net/eth0/iflink']), 'iflink').stdout.trim());
    const veth = links().find((l) => l.ifindex === iflink)?.ifname ?? '';
    assert.equal(fs.readFileSync(`/sys/class/net/${veth}/brport/hairpin_mode`, 'utf8').trim(), '1', veth);
    // Removed with the containers and the network: no table, no bridge of this network.
    await removeAll();
    assert.ok(!nftTables().includes(roots.nftTable), `nft table ${roots.nftTable} still there`);
    assert.deepEqual(ownLinks().filter((n) => n !== roots.bridgeName), [], `links left after removing ${bridge.slice(0, 12)}`);
  });

  it('tdock run --network-rate 8mbit puts tc limits on the host veth; 4 MiB between two containers take >= 3.5 s', async () => {
    ok(await docker(['network', 'create', '--subnet', subnets[1]!, 'e2e-rate']), 'create');
    ok(await tdock(['run', '-d', '--name', 'limited', '--network', 'e2e-rate', '--network-rate', '8mbit', image, 'sh', '-c',
      'mkdir -p /www; dd if=/dev/zero of=/www/big bs=1024 count=4096 2>/dev/null; echo ready > /www/index.html; exec httpd -f -p 80 -h /www']), 'tdock run');
    assert.equal(ok(await docker(['inspect', '-f', '{{.HostConfig.NetworkRate}}', 'limited']), 'inspect rate').stdout.trim(), '8mbit');
    ok(await idle('fetcher', ['--network', 'e2e-rate']), 'run fetcher');
    // The host end of the container's eth0: the link whose ifindex is eth0's iflink.
    const iflink = Number(ok(await docker(['exec', 'limited', 'cat', '/sys/class/net/eth0/iflink']), 'iflink').stdout.trim());
    const veth = links().find((l) => l.ifindex === iflink)?.ifname;
    if (!veth?.startsWith(roots.linkPrefix)) assert.fail(`host veth ${veth} of ifindex ${iflink}`);
    const qdisc = execFileSync('tc', ['qdisc', 'show', 'dev', veth], { encoding: 'utf8' });
    assert.match(qdisc, /qdisc tbf .* rate 8Mbit/, qdisc);
    assert.match(qdisc, /qdisc ingress ffff:/, qdisc);
    const fetcherIflink = Number(ok(await docker(['exec', 'fetcher', 'cat', '/sys/class/net/eth0/iflink']), 'iflink').stdout.trim());
    const other = links().find((l) => l.ifindex === fetcherIflink)?.ifname;
    assert.ok(other);
    assert.doesNotMatch(execFileSync('tc', ['qdisc', 'show', 'dev', other], { encoding: 'utf8' }), /tbf/, 'the unlimited container has no limit');
    ok(await docker(['exec', 'fetcher', 'sh', '-c', retry('timeout 3 wget -qO- http://limited/index.html')]), 'httpd up');
    const t0 = process.hrtime.bigint();
    const r = ok(await docker(['exec', 'fetcher', 'sh', '-c', 'wget -qO- http://limited/big | wc -c']), 'transfer');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(r.stdout.trim(), String(4 * 1024 * 1024));
    assert.ok(ms >= 3500, `4 MiB out of an 8 Mbit/s container took ${ms.toFixed(0)} ms`);
  });

  it('docker network create --subnet, ls, inspect, connect, disconnect, rm (409 while in use)', async () => {
    ok(await docker(['network', 'create', '--subnet', subnets[2]!, '--label', 'suite=e2e', 'e2e-cli']), 'create');
    assert.match(ok(await docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), 'ls').stdout, /^e2e-cli bridge$/m);
    assert.equal(ok(await docker(['network', 'ls', '-q', '--filter', 'label=suite=e2e', '--format', '{{.Name}}']), 'ls filter').stdout.trim(), 'e2e-cli');
    const info = JSON.parse(ok(await docker(['network', 'inspect', 'e2e-cli']), 'inspect').stdout) as { Name: string; Driver: string; IPAM: { Config: { Subnet: string }[] }; Labels: Record<string, string> }[];
    assert.equal(info[0]?.Name, 'e2e-cli');
    assert.equal(info[0]?.Driver, 'bridge');
    assert.equal(info[0]?.IPAM.Config[0]?.Subnet, subnets[2]);
    assert.equal(info[0]?.Labels.suite, 'e2e');
    const dup = await docker(['network', 'create', '--subnet', subnets[2]!, 'e2e-overlap']);
    assert.notEqual(dup.code, 0, 'an overlapping subnet is refused');

    ok(await httpd('joiner', ['--network', 'bridge'], 'joined'), 'run joiner');
    ok(await idle('peer', ['--network', 'e2e-cli']), 'run peer');
    ok(await docker(['network', 'connect', '--alias', 'joined-alias', 'e2e-cli', 'joiner']), 'connect');
    const containers = ok(await docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'e2e-cli']), 'inspect containers').stdout;
    assert.match(containers, /\bjoiner\b/);
    assert.match(containers, /\bpeer\b/);
    const ip = await ipOn('joiner', 'e2e-cli');
    assert.ok(ip.startsWith(subnets[2]!.split('.').slice(0, 3).join('.') + '.'), ip);
    for (const target of ['joiner', 'joined-alias', ip]) {
      assert.equal(ok(await docker(['exec', 'peer', 'sh', '-c', retry(`timeout 3 wget -qO- http://${target}/`)]), `wget ${target}`).stdout, 'joined\n');
    }

    const busy = await docker(['network', 'rm', 'e2e-cli']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /active endpoints/, busy.stderr);
    assert.equal((await api(roots.socket, 'DELETE', '/networks/e2e-cli')).status, 409);

    ok(await docker(['network', 'disconnect', 'e2e-cli', 'joiner']), 'disconnect');
    assert.doesNotMatch(ok(await docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'e2e-cli']), 'inspect').stdout, /\bjoiner\b/);
    const gone = await docker(['exec', 'peer', 'timeout', '3', 'wget', '-qO-', `http://${ip}/`]);
    assert.notEqual(gone.code, 0, 'the disconnected address no longer answers');
    ok(await docker(['rm', '-f', 'peer']), 'rm peer');
    ok(await docker(['network', 'rm', 'e2e-cli']), 'rm network');
    assert.doesNotMatch(ok(await docker(['network', 'ls', '--format', '{{.Name}}']), 'ls').stdout, /e2e-cli/);
    assert.match((await docker(['network', 'inspect', 'e2e-cli'])).stderr, /not found|No such network/i);
  });

  it('docker network create --ipv6 --subnet fd00:.../64: addresses in inspect, two containers reach each other over IPv6', async () => {
    const v6 = `fd00:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::/64`;
    const prefix = v6.replace(/::\/64$/, '::');
    // dockerd 20.10's answers when the IPv6 half is missing: --ipv6 without a subnet fails (no default
    // IPv6 pool); a subnet without --ipv6 is listed (without a gateway) but not used.
    const noPool = await docker(['network', 'create', '--ipv6', 'e2e-v6-nopool']);
    assert.notEqual(noPool.code, 0);
    assert.match(noPool.stderr, /could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network$/m, noPool.stderr);
    ok(await docker(['network', 'create', '--subnet', subnets[2]!, '--subnet', v6, 'e2e-v6-noflag']), 'create without --ipv6');
    assert.equal(ok(await docker(['network', 'inspect', '-f', '{{.EnableIPv6}} {{json .IPAM.Config}}', 'e2e-v6-noflag']), 'inspect').stdout.trim(),
      `false [{"Subnet":"${subnets[2]!}","Gateway":"${subnets[2]!.replace(/0\/24$/, '1')}"},{"Subnet":"${v6}"}]`);
    ok(await docker(['network', 'rm', 'e2e-v6-noflag']), 'rm');

    ok(await docker(['network', 'create', '--ipv6', '--subnet', subnets[1]!, '--subnet', v6, 'e2e-v6']), 'create');
    const info = JSON.parse(ok(await docker(['network', 'inspect', 'e2e-v6']), 'inspect').stdout) as { EnableIPv6: boolean; IPAM: { Config: { Subnet: string; Gateway?: string }[] } }[];
    assert.equal(info[0]?.EnableIPv6, true);
    // (dockerd 20.10 shows no IPv6 gateway it chose itself; the endpoints show it as IPv6Gateway)
    assert.deepEqual(info[0]?.IPAM.Config.map((c) => [c.Subnet, c.Gateway]), [[subnets[1], subnets[1]!.replace(/0\/24$/, '1')], [v6, undefined]]);
    ok(await httpd('v6web', ['--network', 'e2e-v6'], 'over-ipv6'), 'run v6web');
    ok(await idle('v6client', ['--network', 'e2e-v6']), 'run v6client');
    const ep = JSON.parse(ok(await docker(['inspect', '-f', '{{json (index .NetworkSettings.Networks "e2e-v6")}}', 'v6web']), 'inspect ep').stdout) as { GlobalIPv6Address: string; GlobalIPv6PrefixLen: number; IPv6Gateway: string; IPAddress: string };
    assert.ok(ep.GlobalIPv6Address.startsWith(prefix) && ep.GlobalIPv6Address !== `${prefix}1`, ep.GlobalIPv6Address);
    assert.equal(ep.GlobalIPv6PrefixLen, 64);
    assert.equal(ep.IPv6Gateway, `${prefix}1`);
    assert.ok(ep.IPAddress.startsWith(subnets[1]!.split('.').slice(0, 3).join('.') + '.'), 'and an IPv4 address as well');
    const listed = ok(await docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}}={{.IPv6Address}} {{end}}', 'e2e-v6']), 'containers').stdout;
    assert.match(listed, new RegExp(`\\bv6web=${ep.GlobalIPv6Address}/64\\b`), listed);
    const client6 = JSON.parse(ok(await docker(['inspect', '-f', '{{json (index .NetworkSettings.Networks "e2e-v6")}}', 'v6client']), 'inspect client').stdout) as { GlobalIPv6Address: string };
    assert.notEqual(client6.GlobalIPv6Address, ep.GlobalIPv6Address, 'addresses are not handed out twice');
    assert.match(ok(await docker(['exec', 'v6client', 'ip', '-6', 'addr', 'show', 'dev', 'eth0']), 'ip -6 addr').stdout, new RegExp(`inet6 ${client6.GlobalIPv6Address}/64`));
    assert.match(ok(await docker(['exec', 'v6client', 'ip', '-6', 'route']), 'ip -6 route').stdout, new RegExp(`^default via ${prefix}1 dev eth0`, 'm'));
    const r = ok(await docker(['exec', 'v6client', 'sh', '-c', retry(`timeout 3 wget -qO- http://[${ep.GlobalIPv6Address}]/`, 10)]), 'wget over IPv6');
    assert.equal(r.stdout, 'over-ipv6\n');
    // The embedded DNS answers AAAA with it (and A with the IPv4 address).
    const aaaa = ok(await docker(['exec', 'v6client', 'nslookup', '-type=AAAA', 'v6web']), 'nslookup AAAA').stdout;
    assert.match(aaaa, new RegExp(`Address: ${ep.GlobalIPv6Address}$`, 'm'), aaaa);
    // Isolation between bridges for IPv6 too (with a container on the default bridge as the other side):
    // the suite's ip6 table, gone with the network.
    ok(await idle('v6other', []), 'run v6other');
    const six = execFileSync('nft', ['list', 'table', 'ip6', roots.nftTable], { encoding: 'utf8' });
    assert.match(six, new RegExp(`iifname "${roots.linkPrefix}b\\w+" oifname [^\\n]*"${roots.bridgeName}"[^\\n]* drop`), six);
    await removeAll();
    assert.deepEqual(ownLinks().filter((n) => n !== roots.bridgeName), []);
    assert.ok(!nftTables().includes(roots.nftTable), `nft table ${roots.nftTable} still there`);
  });

  it('leaves no veth, ifb, user bridge or nft table of the suite once its containers and networks are removed', async () => {
    // Put a bit of everything in place (user bridge, veths, an ifb, a published port), then remove it.
    ok(await docker(['network', 'create', '--subnet', subnets[0]!, 'e2e-last']), 'create');
    ok(await tdock(['run', '-d', '--name', 'last-limited', '--network', 'e2e-last', '--network-rate', '8mbit', image, 'sleep', '600']), 'tdock run');
    ok(await httpd('last-pub', ['-p', `127.0.0.1:${await freePort()}:80`]), 'run pub');
    assert.ok(ownLinks().length >= 4, ownLinks().join(' '));
    assert.ok(nftTables().includes(roots.nftTable), nftTables().join(' '));
    await removeAll();
    assert.deepEqual(ok(await docker(['ps', '-aq']), 'ps').stdout.trim(), '');
    // The default bridge belongs to the daemon's `bridge` network, which lives as long as the daemon.
    assert.deepEqual(ownLinks().filter((n) => n !== roots.bridgeName), []);
    assert.ok(!nftTables().includes(roots.nftTable), `nft table ${roots.nftTable} still there`);
  });
});
