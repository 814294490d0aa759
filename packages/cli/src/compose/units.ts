import { invalidArgument } from '@tdock/core';
import type { YamlValue } from './types.js';

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
};

/**
 * Parses a Compose duration (`1m30s`, `10s`, `1.5h`, `500ms`, a bare number meaning seconds) to nanoseconds,
 * as compose-go does with Go's `time.ParseDuration` (plus `d` for days).
 */
export function parseDuration(v: YamlValue): number {
  if (typeof v === 'number') return Math.round(v * 1e9);
  const s = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1e9);
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  let neg = false;
  let body = s;
  if (body.startsWith('-') || body.startsWith('+')) {
    neg = body.startsWith('-');
    body = body.slice(1);
  }
  if (body === '' ) throw invalidArgument(`invalid duration "${s}"`);
  re.lastIndex = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m || m.index !== pos) throw invalidArgument(`invalid duration "${s}"`);
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return Math.round(neg ? -total : total);
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Parses a byte size as docker does (go-units `RAMInBytes`: binary multiples, `b`/`k`/`m`/`g`, optional
 * trailing `b`/`ib`): `512m` → 536870912, `1gb` → 1073741824; a bare number is bytes.
 */
export function parseBytes(v: YamlValue): number {
  if (typeof v === 'number') return v;
  const s = String(v).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/.exec(s);
  if (!m) throw invalidArgument(`invalid size: '${String(v)}'`);
  return Math.floor(Number(m[1]) * BYTE_UNITS[m[2]!]!);
}
