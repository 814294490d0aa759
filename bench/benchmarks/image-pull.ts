/**
 * image-pull-*: `docker pull` of the kit's `debian` (one large layer) and `multilayer` images from
 * the kit registry on loopback, the same docker CLI against tdockd and against dockerd, interleaved
 * in one run. Before every run (untimed) the image is removed from both engines and their stores
 * are checked empty (no image listed, data root back under a few MB), so each pull starts from an
 * empty store. Goal (issue 4): tdock at least 1.5x as fast, a ratio of at most 0.67.
 */
import { fixtures, run, type ImageFixture } from '@tdock/testkit';
import type { Benchmark } from '../src/harness.js';
import { pairMissing, startPair, type Engine } from './lib/daemons.js';

/** A data root larger than this after a reset still holds image data. */
const EMPTY_LIMIT_KB = 8 * 1024;

async function diskKb(dir: string): Promise<number> {
  return Number((await run('du', ['-sk', dir])).stdout.split('\t')[0]);
}

async function emptyStore(e: Engine, ref: string): Promise<void> {
  await e.docker(['rmi', '-f', ref]).catch(() => undefined);
  await e.docker(['image', 'prune', '-af']).catch(() => undefined);
  const left = (await e.docker(['images', '-aq'])).stdout.trim();
  if (left) throw new Error(`${e.label}: images left after the reset: ${left.replace(/\n/g, ' ')}`);
  const kb = await diskKb(e.dataRoot);
  if (kb > EMPTY_LIMIT_KB) throw new Error(`${e.label}: its data root still holds ${kb} kB after the reset`);
}

function pullBenchmark(pick: (kit: Awaited<ReturnType<typeof fixtures>>) => ImageFixture, name: string): Benchmark {
  return {
    name: `image-pull-${name}`,
    description: `docker pull ${name} from the kit registry into an empty store: tdockd vs dockerd`,
    goal: 0.67,
    runs: 5,
    warmup: 1,
    skip: async () => pairMissing(),
    async prepare() {
      const fx = pick(await fixtures());
      const pair = await startPair();
      const ref = fx.refIn(pair.registry.host);
      const engines = { subject: pair.tdockd, reference: pair.dockerd };
      return {
        subjectLabel: 'tdockd',
        referenceLabel: 'dockerd',
        beforeEach: (side) => emptyStore(engines[side], ref),
        subject: async () => void await pair.tdockd.docker(['pull', '-q', ref]),
        reference: async () => void await pair.dockerd.docker(['pull', '-q', ref]),
        async extras() {
          return { layers: fx.layers.length, compressed_mb: Math.round(fx.layers.reduce((n, l) => n + l.size, 0) / 104857.6) / 10 };
        },
        teardown: () => pair.stop(),
      };
    },
  };
}

export const imagePullDebian = pullBenchmark((kit) => kit.debian, 'debian');
export const imagePullMultilayer = pullBenchmark((kit) => kit.multilayer, 'multilayer');
