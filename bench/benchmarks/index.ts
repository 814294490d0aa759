import type { Benchmark } from '../src/harness.js';
import { registryPull } from './registry-pull.js';
import { runtimeStartColdCrun, runtimeStartColdRunc, runtimeStartWarmCrun, runtimeStartWarmRunc } from './runtime-start.js';

/** Every registered benchmark, in the order `npm run bench` runs them. */
export const BENCHMARKS: Benchmark[] = [
  registryPull,
  runtimeStartColdRunc,
  runtimeStartWarmRunc,
  runtimeStartColdCrun,
  runtimeStartWarmCrun,
];
