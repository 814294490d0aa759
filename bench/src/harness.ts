/**
 * The benchmark harness: each benchmark times tdock ("subject") and a reference on the same work,
 * interleaved (S R S R ...), after warm-up runs, in one process run, so drift in machine speed hits
 * both alike. Figures: median, min and max per side, and the median of the pairwise S/R ratios.
 */

/** One timed side of a benchmark: a function that does the work once. */
export type Work = () => Promise<void>;

/** What a benchmark sets up: the two sides, optional extra figures, and a teardown. */
export interface Prepared {
  subject: Work;
  reference: Work;
  /** Labels for the two sides, e.g. "tdock" and "dockerd". */
  subjectLabel: string;
  referenceLabel: string;
  /** Figures measured once after the runs (e.g. memory), printed beside the timings. */
  extras?: () => Promise<Record<string, number | string>>;
  /**
   * Untimed preparation before each run of a side (warm-up runs included): e.g. empty a store, or
   * wait until a warm pool is full again, so the timed run starts from the same state every time.
   */
  beforeEach?: (side: 'subject' | 'reference') => Promise<void>;
  teardown(): Promise<void>;
}

/** A registered benchmark. `goal` is the target subject/reference ratio (lower is better). */
export interface Benchmark {
  name: string;
  description: string;
  goal?: number;
  runs?: number;
  warmup?: number;
  /** Returns a reason to skip (e.g. "dockerd not installed"), or undefined to run. */
  skip?: () => Promise<string | undefined>;
  prepare(): Promise<Prepared>;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export interface Result {
  name: string;
  description: string;
  subjectLabel: string;
  referenceLabel: string;
  subject: Stats;
  reference: Stats;
  /** Median of the pairwise subject/reference ratios. */
  ratio: number;
  goal?: number;
  extras?: Record<string, number | string>;
  skipped?: string;
  error?: string;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function stats(samples: number[]): Stats {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples };
}

async function timeOnce(work: Work): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs one benchmark: warm-up, then interleaved timed runs; always tears down. */
export async function runBenchmark(bench: Benchmark, opts: { runs?: number; warmup?: number } = {}): Promise<Result> {
  const base = { name: bench.name, description: bench.description, goal: bench.goal };
  const reason = await bench.skip?.();
  if (reason) return { ...base, subjectLabel: '', referenceLabel: '', subject: stats([]), reference: stats([]), ratio: Number.NaN, skipped: reason };
  const prepared = await bench.prepare();
  try {
    const runs = opts.runs ?? bench.runs ?? 5;
    const warmup = opts.warmup ?? bench.warmup ?? 1;
    const subject = async (): Promise<number> => {
      await prepared.beforeEach?.('subject');
      return timeOnce(prepared.subject);
    };
    const reference = async (): Promise<number> => {
      await prepared.beforeEach?.('reference');
      return timeOnce(prepared.reference);
    };
    for (let i = 0; i < warmup; i++) {
      await subject();
      await reference();
    }
    const s: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which side goes first, so neither always runs on a warmer cache.
      if (i % 2 === 0) {
        s.push(await subject());
        r.push(await reference());
      } else {
        r.push(await reference());
        s.push(await subject());
      }
    }
    const extras = await prepared.extras?.();
    return {
      ...base,
      subjectLabel: prepared.subjectLabel,
      referenceLabel: prepared.referenceLabel,
      subject: stats(s),
      reference: stats(r),
      ratio: median(s.map((v, i) => v / r[i]!)),
      ...(extras ? { extras } : {}),
    };
  } finally {
    await prepared.teardown();
  }
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** Renders results as a plain-text table (one row per benchmark). */
export function renderTable(results: Result[]): string {
  const header = ['benchmark', 'subject median (min-max)', 'reference median (min-max)', 'ratio', 'goal', 'extras'];
  const rows = results.map((r) => {
    if (r.skipped || r.error) return [r.name, r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`, '', '', '', ''];
    return [
      r.name,
      `${r.subjectLabel} ${fmtMs(r.subject.median)} (${fmtMs(r.subject.min)}-${fmtMs(r.subject.max)})`,
      `${r.referenceLabel} ${fmtMs(r.reference.median)} (${fmtMs(r.reference.min)}-${fmtMs(r.reference.max)})`,
      `${r.ratio.toFixed(2)}x`,
      r.goal === undefined ? '' : `<= ${r.goal}x ${r.ratio <= r.goal ? 'met' : 'NOT met'}`,
      r.extras ? Object.entries(r.extras).map(([k, v]) => `${k}=${v}`).join(' ') : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
