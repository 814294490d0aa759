import { invalidArgument } from './errors.js';

/**
 * Docker's unit parsers (docker/go-units and Go's time.ParseDuration), shared by the CLI, the
 * builder (HEALTHCHECK), compose and the engine so the same text means the same number everywhere.
 */

const BINARY: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const DECIMAL: Record<string, number> = { '': 1, b: 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

function parseSize(text: string, table: Record<string, number>): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTpP])?(?:[iI]?[bB])?\s*$/.exec(text);
  if (!m) throw invalidArgument(`invalid size: '${text}'`);
  const unit = (m[2] ?? '').toLowerCase();
  return Math.trunc(Number(m[1]) * table[unit]!);
}

/** go-units RAMInBytes: "32m" = 32 MiB; suffixes b, k, m, g, t, p (binary), optional "b"/"ib". */
export function ramInBytes(text: string): number {
  return parseSize(text, BINARY);
}

/** go-units FromHumanSize: "10MB" = 10,000,000 (decimal). */
export function fromHumanSize(text: string): number {
  return parseSize(text, DECIMAL);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration ("1m30s", "500ms", "1.5h", "0"), in nanoseconds. */
export function parseGoDuration(text: string): number {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = /^([+-])?((?:\d*\.?\d+(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) throw invalidArgument(`time: invalid duration "${text}"`);
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d*\.?\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  return Math.round(m[1] === '-' ? -total : total);
}

/** Go's Duration.String() for nanoseconds ("1m30s", "500ms", "0s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e3) return `${sign}${rest}ns`;
  if (rest < 1e6) return `${sign}${trimFloat(rest / 1e3)}µs`;
  if (rest < 1e9) return `${sign}${trimFloat(rest / 1e6)}ms`;
  let out = '';
  const h = Math.floor(rest / 3600e9);
  rest -= h * 3600e9;
  const m = Math.floor(rest / 60e9);
  rest -= m * 60e9;
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  return `${sign}${out}${trimFloat(rest / 1e9)}s`;
}

function trimFloat(n: number): string {
  return String(Number(n.toFixed(9)));
}
