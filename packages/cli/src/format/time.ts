/** Go's `time.Time.String()` layout, `2006-01-02 15:04:05.999999999 -0700 MST`, for a time zone given as an offset. */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Where and how to print times: the offset east of UTC in minutes and the zone's abbreviation. */
export interface TimeZone {
  offsetMinutes: number;
  abbreviation: string;
}

export const UTC: TimeZone = { offsetMinutes: 0, abbreviation: 'UTC' };

/**
 * Formats `ms` (plus optional extra nanoseconds) like Go's `Time.String()` in `zone`: fractional seconds
 * only when non-zero, trailing zeros trimmed.
 */
export function goTimeString(ms: number, zone: TimeZone = UTC, extraNanos = 0): string {
  const d = new Date(ms + zone.offsetMinutes * 60000);
  const nanos = (((ms % 1000) + 1000) % 1000) * 1e6 + extraNanos;
  const frac = nanos === 0 ? '' : `.${pad(nanos, 9).replace(/0+$/, '')}`;
  const off = Math.abs(zone.offsetMinutes);
  const sign = zone.offsetMinutes < 0 ? '-' : '+';
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} ` +
    `${sign}${pad(Math.floor(off / 60))}${pad(off % 60)} ${zone.abbreviation}`
  );
}

/** Parses an RFC 3339 timestamp keeping nanoseconds: `[ms, extra nanoseconds beyond ms]`. */
export function parseRfc3339(s: string): [number, number] {
  const m = /\.(\d+)/.exec(s);
  const digits = m ? m[1]!.padEnd(9, '0').slice(0, 9) : '000000000';
  const ms = Date.parse(s.replace(/\.(\d{1,3})\d*/, '.$1'));
  return [ms, Number(digits.slice(3))];
}
