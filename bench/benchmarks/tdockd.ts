/**
 * tdockd against dockerd, the same client on each, in one run (issues 6 and 8). Every benchmark
 * skips with a reason until tdockd can run a container (probed once: pull busybox from the kit
 * registry, `docker run --rm --network none IMG true`).
 * - tdockd-docker-run: `docker run --rm --network none IMG true`, the same docker CLI. Goal 0.5.
 * - tdock-cli-run: `tdock run --rm --network none IMG true` against tdockd vs `docker run` against dockerd. Goal 0.5.
 * - tdockd-dockerode-run: create + start + wait + remove of `true` through dockerode.
 * - tdockd-list-100: 50 sequential `GET /containers/json?all=1` (keep-alive) with 100 created
 *   containers; extras: per-request latency and requests/s of each. Goal 0.33 (3x the throughput).
 * - tdockd-parallel-50: 50 containers created and started in parallel through the API, then
 *   removed; extras: memory (PSS and RSS) idle and with 50 running, shims included, payloads not.
 */
import path from 'node:path';
import Docker from 'dockerode';
import { fixtures, repoRoot } from '@tdock/testkit';
import type { Benchmark, Prepared } from '../src/harness.js';
import { pairMissing, probeTdockdRuns, removeAllContainers, socketGetter, startPair, type Engine, type Pair } from './lib/daemons.js';

const LIST_REQUESTS = 50;
const LIST_CONTAINERS = 100;
const PARALLEL = 50;

/** The probe, run at most once per process for all the benchmarks below. */
function skipProbe(): () => Promise<string | undefined> {
  let result: Promise<string | undefined> | undefined;
  return () => {
    result ??= (async () => pairMissing() ?? probeTdockdRuns((await fixtures()).busybox.reference))();
    return result;
  };
}

async function withPair(fn: (pair: Pair, image: string) => Promise<Omit<Prepared, 'teardown'> & { teardown?: () => Promise<void> }>): Promise<Prepared> {
  const busybox = (await fixtures()).busybox.reference;
  const pair = await startPair([busybox]);
  try {
    const prepared = await fn(pair, `${pair.registry.host}/${busybox}`);
    return {
      ...prepared,
      async teardown() {
        await prepared.teardown?.().catch(() => undefined);
        for (const e of [pair.tdockd, pair.dockerd]) await removeAllContainers(e).catch(() => undefined);
        await pair.stop();
      },
    };
  } catch (err) {
    await pair.stop();
    throw err;
  }
}

function dockerode(e: Engine): Docker {
  return new Docker({ socketPath: e.daemon.socket });
}

async function runTrue(client: Docker, image: string): Promise<void> {
  const c = await client.createContainer({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  const res = (await c.wait()) as { StatusCode: number };
  if (res.StatusCode !== 0) throw new Error(`true exited ${res.StatusCode}`);
  await c.remove({ force: true });
}

export function tdockdBenchmarks(): Benchmark[] {
  const skip = skipProbe();
  const tdockCli = path.join(repoRoot(), 'packages/cli/bin/tdock.js');
  return [
    {
      name: 'tdockd-docker-run',
      description: 'docker run --rm --network none IMG true: the docker CLI against tdockd vs dockerd',
      goal: 0.5, runs: 7, warmup: 1, skip,
      prepare: () => withPair(async (pair, image) => ({
        subjectLabel: 'tdockd', referenceLabel: 'dockerd',
        subject: async () => void await pair.tdockd.docker(['run', '--rm', '--network', 'none', image, 'true']),
        reference: async () => void await pair.dockerd.docker(['run', '--rm', '--network', 'none', image, 'true']),
      })),
    },
    {
      name: 'tdock-cli-run',
      description: 'tdock run --rm IMG true against tdockd vs docker run --rm IMG true against dockerd',
      goal: 0.5, runs: 7, warmup: 1, skip,
      prepare: () => withPair(async (pair, image) => ({
        subjectLabel: 'tdock+tdockd', referenceLabel: 'docker+dockerd',
        subject: async () => void await pair.tdockd.client(process.execPath, [tdockCli, 'run', '--rm', '--network', 'none', image, 'true']),
        reference: async () => void await pair.dockerd.docker(['run', '--rm', '--network', 'none', image, 'true']),
      })),
    },
    {
      name: 'tdockd-dockerode-run',
      description: 'create+start+wait+remove of true through dockerode: tdockd vs dockerd',
      runs: 7, warmup: 1, skip,
      prepare: () => withPair(async (pair, image) => {
        const [t, d] = [dockerode(pair.tdockd), dockerode(pair.dockerd)];
        return {
          subjectLabel: 'tdockd', referenceLabel: 'dockerd',
          subject: () => runTrue(t, image),
          reference: () => runTrue(d, image),
        };
      }),
    },
    {
      name: 'tdockd-list-100',
      description: `${LIST_REQUESTS} sequential GET /containers/json?all=1 with ${LIST_CONTAINERS} containers: tdockd vs dockerd`,
      goal: 0.33, runs: 5, warmup: 1, skip,
      prepare: () => withPair(async (pair, image) => {
        for (const e of [pair.tdockd, pair.dockerd]) {
          const client = dockerode(e);
          for (let i = 0; i < LIST_CONTAINERS; i += 10) {
            await Promise.all(Array.from({ length: 10 }, () => client.createContainer({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })));
          }
        }
        const getters = [socketGetter(pair.tdockd.daemon.socket), socketGetter(pair.dockerd.daemon.socket)] as const;
        const times: [number[], number[]] = [[], []];
        const side = (k: 0 | 1) => async (): Promise<void> => {
          for (let i = 0; i < LIST_REQUESTS; i++) {
            const start = process.hrtime.bigint();
            const res = await getters[k].get('/containers/json?all=1');
            times[k].push(Number(process.hrtime.bigint() - start) / 1e6);
            if (res.status !== 200) throw new Error(`GET /containers/json: ${res.status} ${res.body.slice(0, 200)}`);
            if (i === 0 && (JSON.parse(res.body) as unknown[]).length !== LIST_CONTAINERS) throw new Error(`expected ${LIST_CONTAINERS} containers in the list`);
          }
        };
        const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1] ?? Number.NaN;
        const rps = (v: number[]): number => Math.round(v.length / (v.reduce((a, b) => a + b, 0) / 1000));
        return {
          subjectLabel: 'tdockd', referenceLabel: 'dockerd',
          subject: side(0),
          reference: side(1),
          async extras() {
            return {
              tdockd_rps: rps(times[0]), dockerd_rps: rps(times[1]),
              tdockd_median_ms: Math.round(med(times[0]) * 100) / 100, dockerd_median_ms: Math.round(med(times[1]) * 100) / 100,
            };
          },
          async teardown() {
            for (const g of getters) g.close();
          },
        };
      }),
    },
    {
      name: 'tdockd-parallel-50',
      description: `${PARALLEL} containers created and started in parallel through the API, then removed; memory idle and with ${PARALLEL} running`,
      runs: 3, warmup: 1, skip,
      prepare: () => withPair(async (pair, image) => {
        await new Promise((r) => setTimeout(r, 2000));
        const idle = { t: pair.tdockd.memory(), d: pair.dockerd.memory() };
        const startAll = async (e: Engine): Promise<Docker.Container[]> => {
          const client = dockerode(e);
          return Promise.all(Array.from({ length: PARALLEL }, async () => {
            const c = await client.createContainer({ Image: image, Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: 'none' } });
            await c.start();
            return c;
          }));
        };
        const cycle = (e: Engine) => async (): Promise<void> => {
          const cs = await startAll(e);
          await Promise.all(cs.map((c) => c.remove({ force: true })));
        };
        return {
          subjectLabel: 'tdockd', referenceLabel: 'dockerd',
          subject: cycle(pair.tdockd),
          reference: cycle(pair.dockerd),
          async extras() {
            const [ct, cd] = [await startAll(pair.tdockd), await startAll(pair.dockerd)];
            await new Promise((r) => setTimeout(r, 3000));
            const busy = { t: pair.tdockd.memory(), d: pair.dockerd.memory() };
            await Promise.all([...ct, ...cd].map((c) => c.remove({ force: true })));
            return {
              tdockd_idle_pss_mb: idle.t.pssMb, tdockd_idle_rss_mb: idle.t.rssMb,
              dockerd_idle_pss_mb: idle.d.pssMb, dockerd_idle_rss_mb: idle.d.rssMb,
              [`tdockd_${PARALLEL}_pss_mb`]: busy.t.pssMb, [`tdockd_${PARALLEL}_rss_mb`]: busy.t.rssMb, tdockd_procs: busy.t.count,
              [`dockerd_${PARALLEL}_pss_mb`]: busy.d.pssMb, [`dockerd_${PARALLEL}_rss_mb`]: busy.d.rssMb, dockerd_procs: busy.d.count,
            };
          },
        };
      }),
    },
  ];
}
