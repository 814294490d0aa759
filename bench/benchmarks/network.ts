/**
 * network-*: what networking adds to a container start (issue 7), `docker run --rm IMG true` with
 * the same docker CLI. tdockd runs with the kit's per-run bridge, subnet, nft table and link prefix
 * (tdockdArgs, through startPair).
 * - network-bridge-cost: tdockd with the default bridge vs tdockd with `--network none`;
 *   extras: the difference of the medians in ms.
 * - network-bridge-vs-dockerd: tdockd with the default bridge vs dockerd with `--network none`
 *   (the bar to stay under). Goal 1.
 */
import { fixtures } from '@tdock/testkit';
import type { Benchmark, Prepared } from '../src/harness.js';
import { median } from '../src/harness.js';
import { pairMissing, probeTdockdRuns, removeAllContainers, startPair, type Engine } from './lib/daemons.js';

/** Pause before every run (untimed). */
const SETTLE_MS = 1000;

function skipProbe(): () => Promise<string | undefined> {
  let result: Promise<string | undefined> | undefined;
  return () => {
    result ??= (async () => pairMissing() ?? probeTdockdRuns((await fixtures()).busybox.reference))();
    return result;
  };
}

/** A timed `docker run --rm [--network none] IMG true`; its own times are kept for the extras. */
function runner(e: Engine, image: string, none: boolean): { work: () => Promise<void>; times: number[] } {
  const times: number[] = [];
  const args = ['run', '--rm', ...(none ? ['--network', 'none'] : []), image, 'true'];
  return {
    times,
    async work() {
      const start = process.hrtime.bigint();
      await e.docker(args);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    },
  };
}

async function prepare(reference: 'tdockd-none' | 'dockerd-none'): Promise<Prepared> {
  const busybox = (await fixtures()).busybox.reference;
  const pair = await startPair([busybox]);
  try {
    const image = `${pair.registry.host}/${busybox}`;
    // Untimed: the bridge container really gets an interface besides lo.
    const ifs = (await pair.tdockd.docker(['run', '--rm', image, 'ls', '/sys/class/net'])).stdout.split(/\s+/).filter(Boolean);
    if (!ifs.some((i) => i !== 'lo')) throw new Error(`tdockd bridge container has no interface besides lo: ${ifs.join(' ')}`);
    const s = runner(pair.tdockd, image, false);
    const r = reference === 'tdockd-none' ? runner(pair.tdockd, image, true) : runner(pair.dockerd, image, true);
    return {
      subjectLabel: 'tdockd bridge', referenceLabel: reference === 'tdockd-none' ? 'tdockd none' : 'dockerd none',
      // Untimed: let tdockd refill its warm pool after the previous run, so neither side pays for it.
      beforeEach: () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS)),
      subject: s.work,
      reference: r.work,
      async extras() {
        // The first sample of each side is the warm-up run.
        const diff = Math.round((median(s.times.slice(1)) - median(r.times.slice(1))) * 10) / 10;
        const key = reference === 'tdockd-none' ? 'bridge_minus_none_ms' : 'tdockd_bridge_minus_dockerd_none_ms';
        return { [key]: diff };
      },
      async teardown() {
        for (const e of [pair.tdockd, pair.dockerd]) await removeAllContainers(e).catch(() => undefined);
        await pair.stop();
      },
    };
  } catch (err) {
    await pair.stop();
    throw err;
  }
}

/** Both network benchmarks; they skip until tdockd can run a container. */
export function networkBenchmarks(): Benchmark[] {
  const skip = skipProbe();
  return [
    {
      name: 'network-bridge-cost',
      description: 'docker run --rm IMG true on tdockd: default bridge vs --network none',
      runs: 7, warmup: 1, skip, prepare: () => prepare('tdockd-none'),
    },
    {
      name: 'network-bridge-vs-dockerd',
      description: 'docker run --rm IMG true: tdockd with the default bridge vs dockerd with --network none',
      goal: 1, runs: 7, warmup: 1, skip, prepare: () => prepare('dockerd-none'),
    },
  ];
}
