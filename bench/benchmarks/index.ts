import type { Benchmark } from '../src/harness.js';
import { buildBenchmarks } from './build.js';
import { composeUpDown } from './compose.js';
import { imagePullDebian, imagePullMultilayer } from './image-pull.js';
import { networkBenchmarks } from './network.js';
import { networkTransferBenchmarks } from './network-transfer.js';
import { registryPull } from './registry-pull.js';
import { runtimeStartColdCrun, runtimeStartColdRunc, runtimeStartWarmCrun, runtimeStartWarmRunc } from './runtime-start.js';
import { tdockdBenchmarks } from './tdockd.js';

/** Every registered benchmark, in the order `npm run bench` runs them. */
export const BENCHMARKS: Benchmark[] = [
  registryPull,
  runtimeStartColdRunc,
  runtimeStartWarmRunc,
  runtimeStartColdCrun,
  runtimeStartWarmCrun,
  ...tdockdBenchmarks(),
  imagePullDebian,
  imagePullMultilayer,
  ...buildBenchmarks(),
  composeUpDown,
  ...networkBenchmarks(),
  ...networkTransferBenchmarks(),
];
