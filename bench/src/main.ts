/**
 * `npm run bench [-- --filter NAME] [--runs N] [--warmup N] [--json FILE]`: runs the registered
 * benchmarks, prints the table and writes the results as JSON (default bench/results/latest.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable, runBenchmark, type Result } from './harness.js';
import { BENCHMARKS } from '../benchmarks/index.js';

interface Options {
  filter?: string;
  runs?: number;
  warmup?: number;
  json: string;
}

function parseArgs(argv: string[], defaultJson: string): Options {
  const opts: Options = { json: defaultJson };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--filter') opts.filter = value();
    else if (arg === '--runs') opts.runs = Number(value());
    else if (arg === '--warmup') opts.warmup = Number(value());
    else if (arg === '--json') opts.json = value();
    else throw new Error(`unknown argument: ${arg}`);
  }
  return opts;
}

async function main(): Promise<number> {
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const opts = parseArgs(process.argv.slice(2), path.join(benchDir, 'results', 'latest.json'));
  const selected = BENCHMARKS.filter((b) => !opts.filter || b.name.includes(opts.filter));
  const results: Result[] = [];
  for (const bench of selected) {
    process.stderr.write(`bench: ${bench.name} ...\n`);
    try {
      results.push(await runBenchmark(bench, opts));
    } catch (err) {
      results.push({
        name: bench.name, description: bench.description, subjectLabel: '', referenceLabel: '',
        subject: { median: NaN, min: NaN, max: NaN, samples: [] }, reference: { median: NaN, min: NaN, max: NaN, samples: [] },
        ratio: NaN, error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  process.stdout.write(renderTable(results));
  fs.mkdirSync(path.dirname(opts.json), { recursive: true });
  fs.writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + '\n');
  process.stderr.write(`bench: results written to ${opts.json}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

process.exitCode = await main();
