import type { Benchmark } from '../src/harness.js';

/** Every registered benchmark, in the order `npm run bench` runs them. */
export const BENCHMARKS: Benchmark[] = [];
