/**
 * network-port-* and network-rate-*: TCP transfers between the host and busybox containers (issue 7).
 * The container side is busybox `nc -ll -e`: a sink (`cat > /dev/null`) on 5001 and, for the rate
 * benchmarks, a source (`dd if=/dev/zero`) on 5002; the host side is a Node client (lib/tcp.ts). A run
 * ends when the far side has closed, so everything sent has been read. Traffic stays on loopback and
 * the test's own bridges.
 * - network-port-tdockd: SIZE through tdockd's published port (`-p 127.0.0.1:P:5001`, nftables DNAT)
 *   vs straight to the container's address on tdockd's bridge.
 * - network-port-dockerd: the same through dockerd (docker-proxy, the userland proxy: dockerd runs
 *   with --iptables=false as DESIGN §9 says) on a user network of its own.
 * - network-port-vs-dockerd: tdockd's published port vs dockerd's.
 * - network-rate-<N>mbit: a container started with `tdock run --network-rate Nmbit`; about two seconds'
 *   worth of bytes at the limit into it (host -> sink: tbf on the host veth) vs out of it (source ->
 *   host: ifb + tbf); extras: the achieved Mbit/s each way and as a share of the limit.
 */
import net from 'node:net';
import path from 'node:path';
import { fixtures, repoRoot } from '@tdock/testkit';
import type { Benchmark, Prepared, Work } from '../src/harness.js';
import { median } from '../src/harness.js';
import { cliMissing, pairMissing, probeTdockdRuns, removeAllContainers, startPair, startTdockdOnly, type Engine } from './lib/daemons.js';
import { mbitPerSecond, mibPerSecond, MiB, receiveBytes, retried, sendBytes } from './lib/tcp.js';

/** Bytes per port-throughput run. */
const PORT_BYTES = 256 * MiB;
const SINK_PORT = 5001;
const SOURCE_PORT = 5002;
const SINK = `exec nc -ll -p ${SINK_PORT} -e sh -c 'cat > /dev/null'`;

/** The rate limits measured, in Mbit/s (10^6 bits). */
export const RATE_LIMITS_MBIT = [10, 50, 250] as const;

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

/** A work function that keeps its own durations (ms), for the extras. */
function timed(work: Work): { work: Work; times: number[] } {
  const times: number[] = [];
  return {
    times,
    async work() {
      const start = process.hrtime.bigint();
      await work();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    },
  };
}

/** Median of a side's timed runs; the first sample is the warm-up run. */
function runMedian(times: number[]): number {
  return median(times.length > 1 ? times.slice(1) : times);
}

/** The container's address on its (only) network. */
async function addressOf(e: Engine, name: string): Promise<string> {
  const ip = (await e.docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name])).stdout.trim();
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`${e.label}: container ${name} has no IPv4 address (${ip})`);
  return ip;
}

/** A sink container published on 127.0.0.1:<free port>; waits (untimed) until both paths answer. */
async function startSink(e: Engine, image: string, network: string[]): Promise<{ hostPort: number; ip: string }> {
  const hostPort = await freePort();
  await e.docker(['run', '-d', '--name', 'nsink', ...network, '-p', `127.0.0.1:${hostPort}:${SINK_PORT}`, image, 'sh', '-c', SINK]);
  const ip = await addressOf(e, 'nsink');
  // The direct path first: docker-proxy accepts before the container listens, a direct connect is refused.
  await retried(() => sendBytes(ip, SINK_PORT, 1));
  await retried(() => sendBytes('127.0.0.1', hostPort, 1));
  return { hostPort, ip };
}

/** dockerd runs with --bridge=none: a user network on the pool's last /24, its bridge under the run's link prefix. */
async function dockerdNetwork(e: Engine, subnetPool: string, linkPrefix: string): Promise<string[]> {
  const [a, b, c] = subnetPool.split('/')[0]!.split('.').map(Number) as [number, number, number];
  const subnet = `${a}.${b}.${c + 3}.0/24`;
  await e.docker(['network', 'create', '--subnet', subnet, '-o', `com.docker.network.bridge.name=${linkPrefix}dbr`, 'nbench']);
  return ['--network', 'nbench'];
}

/** Skips until tdockd can run a container (and, with `dockerd`, when dockerd or the docker CLI is missing). */
function skipProbe(dockerd: boolean): () => Promise<string | undefined> {
  let result: Promise<string | undefined> | undefined;
  return () => {
    result ??= (async () => (dockerd ? pairMissing() : cliMissing()) ?? probeTdockdRuns((await fixtures()).busybox.reference))();
    return result;
  };
}

type PortCase = 'tdockd' | 'dockerd' | 'vs-dockerd';

async function preparePort(which: PortCase): Promise<Prepared> {
  const busybox = (await fixtures()).busybox.reference;
  const pair = await startPair([busybox]);
  try {
    const image = `${pair.registry.host}/${busybox}`;
    const td = which === 'dockerd' ? undefined : await startSink(pair.tdockd, image, []);
    const dd = which === 'tdockd' ? undefined : await startSink(pair.dockerd, image, await dockerdNetwork(pair.dockerd, pair.roots.subnetPool, pair.roots.linkPrefix));
    const published = (s: { hostPort: number }): Work => () => sendBytes('127.0.0.1', s.hostPort, PORT_BYTES);
    const direct = (s: { ip: string }): Work => () => sendBytes(s.ip, SINK_PORT, PORT_BYTES);
    const [sLabel, sWork, rLabel, rWork] =
      which === 'tdockd' ? ['tdockd published', published(td!), 'tdockd direct', direct(td!)] as const
        : which === 'dockerd' ? ['dockerd published', published(dd!), 'dockerd direct', direct(dd!)] as const
          : ['tdockd published', published(td!), 'dockerd published', published(dd!)] as const;
    const s = timed(sWork);
    const r = timed(rWork);
    const key = (label: string): string => `${label.replace(' ', '_')}_mib_s`;
    return {
      subjectLabel: sLabel, referenceLabel: rLabel, subject: s.work, reference: r.work,
      async extras() {
        return { [key(sLabel)]: mibPerSecond(PORT_BYTES, runMedian(s.times)), [key(rLabel)]: mibPerSecond(PORT_BYTES, runMedian(r.times)), mib_per_run: PORT_BYTES / MiB };
      },
      async teardown() {
        for (const e of [pair.tdockd, pair.dockerd]) await removeAllContainers(e).catch(() => undefined);
        if (dd) await pair.dockerd.docker(['network', 'rm', 'nbench']).catch(() => undefined);
        await pair.stop();
      },
    };
  } catch (err) {
    await pair.stop();
    throw err;
  }
}

/** About two seconds at `mbit`, in whole 64 KiB blocks (dd's block size in the source). */
export function rateBytes(mbit: number): number {
  return Math.max(1, Math.round((mbit * 1e6 * 2) / 8 / 65536)) * 65536;
}

async function prepareRate(mbit: number): Promise<Prepared> {
  const busybox = (await fixtures()).busybox.reference;
  const solo = await startTdockdOnly([busybox]);
  try {
    const e = solo.tdockd;
    const image = `${solo.registry.host}/${busybox}`;
    const bytes = rateBytes(mbit);
    const tdock = path.join(repoRoot(), 'packages/cli/bin/tdock.js');
    const script = `nc -ll -p ${SOURCE_PORT} -e sh -c 'dd if=/dev/zero bs=65536 count=${bytes / 65536} 2>/dev/null' & ${SINK}`;
    await e.client(process.execPath, [tdock, 'run', '-d', '--name', 'nlimited', '--network-rate', `${mbit}mbit`, image, 'sh', '-c', script]);
    const shown = (await e.docker(['inspect', '-f', '{{.HostConfig.NetworkRate}}', 'nlimited'])).stdout.trim();
    if (shown !== `${mbit}mbit`) throw new Error(`inspect shows NetworkRate ${JSON.stringify(shown)}, not ${mbit}mbit`);
    const ip = await addressOf(e, 'nlimited');
    await retried(() => sendBytes(ip, SINK_PORT, 1));
    await retried(() => receiveBytes(ip, SOURCE_PORT, bytes));
    const into = timed(() => sendBytes(ip, SINK_PORT, bytes));
    const out = timed(() => receiveBytes(ip, SOURCE_PORT, bytes));
    return {
      subjectLabel: `into ${mbit}mbit`, referenceLabel: `out of ${mbit}mbit`, subject: into.work, reference: out.work,
      async extras() {
        const inMbit = mbitPerSecond(bytes, runMedian(into.times));
        const outMbit = mbitPerSecond(bytes, runMedian(out.times));
        const pct = (v: number): number => Math.round((v / mbit) * 1000) / 10;
        return { limit_mbit: mbit, mib_per_run: Math.round((bytes / MiB) * 100) / 100, in_mbit: inMbit, out_mbit: outMbit, in_pct_of_limit: pct(inMbit), out_pct_of_limit: pct(outMbit) };
      },
      async teardown() {
        await removeAllContainers(e).catch(() => undefined);
        await solo.stop();
      },
    };
  } catch (err) {
    await solo.stop();
    throw err;
  }
}

/** The published-port and rate benchmarks; they skip until tdockd can run a container. */
export function networkTransferBenchmarks(): Benchmark[] {
  const skip = skipProbe(true);
  const skipSolo = skipProbe(false);
  const port = (which: PortCase, description: string): Benchmark => ({
    name: `network-port-${which}`, description, runs: 5, warmup: 1, skip, prepare: () => preparePort(which),
  });
  return [
    port('tdockd', `${PORT_BYTES / MiB} MiB host -> busybox nc sink on tdockd: published port 127.0.0.1:P (nftables DNAT) vs the container's address`),
    port('dockerd', `${PORT_BYTES / MiB} MiB host -> busybox nc sink on dockerd: published port 127.0.0.1:P (docker-proxy) vs the container's address`),
    port('vs-dockerd', `${PORT_BYTES / MiB} MiB host -> busybox nc sink through a published port 127.0.0.1:P: tdockd vs dockerd`),
    ...RATE_LIMITS_MBIT.map((mbit): Benchmark => ({
      name: `network-rate-${mbit}mbit`,
      description: `tdock run --network-rate ${mbit}mbit: ${(rateBytes(mbit) / MiB).toFixed(2)} MiB host -> container (tbf) vs container -> host (ifb + tbf)`,
      runs: 3, warmup: 1, skip: skipSolo, prepare: () => prepareRate(mbit),
    })),
  ];
}
