/** docker's human units (github.com/docker/go-units), byte-for-byte where it matters for `ps`/`images`/`stats`. */

/**
 * go-units `HumanDuration`: "Less than a second", "1 second", "5 seconds", "About a minute", "5 minutes",
 * "About an hour", "2 hours", "3 days", "2 weeks", "3 months", "2 years". Input in milliseconds.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/** `<HumanDuration> ago` from a Unix time in seconds, relative to `nowMs`. */
export function timeAgo(unixSeconds: number, nowMs: number): string {
  return `${humanDuration(nowMs - unixSeconds * 1000)} ago`;
}

/**
 * Go's `%.<prec>g`: shortest of %e/%f with `prec` significant digits and trailing zeros removed
 * (`1.2`, `100`, `1e+03`).
 */
export function formatGoG(x: number, prec: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : Number.isNaN(x) ? 'NaN' : '-Inf';
  const p = prec === 0 ? 1 : prec;
  const [mant, expStr] = x.toExponential(p - 1).split('e') as [string, string];
  const exp = Number(expStr);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) {
    const e = Math.abs(exp);
    return `${strip(mant)}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return strip(x.toFixed(Math.max(0, p - 1 - exp)));
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scale(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** go-units `HumanSizeWithPrecision`: decimal units (`1.23MB`, `7.05MB`, `0B`). docker prints sizes with precision 3. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [v, u] = scale(size, 1000, DECIMAL);
  return `${formatGoG(v, precision)}${u}`;
}

/** go-units `HumanSize` (precision 4). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** go-units `BytesSize`: binary units with `%.4g` (`1.5GiB`, `512MiB`), as `docker stats` prints memory. */
export function bytesSize(size: number): string {
  const [v, u] = scale(size, 1024, BINARY);
  return `${formatGoG(v, 4)}${u}`;
}

/** A 64-hex ID (optionally `sha256:`-prefixed) cut to 12 characters, as `stringid.TruncateID`. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const bare = i >= 0 ? id.slice(i + 1) : id;
  return bare.length > 12 ? bare.slice(0, 12) : bare;
}

/**
 * docker's `Ellipsis`: cut to `max` display columns, ending in `…` when cut (wide East Asian characters
 * count as two columns).
 */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  if (max === 1) return chars[0] ?? '';
  const widths = chars.map(charWidth);
  const total = widths.reduce((a, b) => a + b, 0);
  if (total <= max) return s;
  let w = 0;
  let i = 0;
  while (i < chars.length && w + widths[i]! <= max - 1) w += widths[i++]!;
  return chars.slice(0, i).join('') + '…';
}

/** Terminal columns of one character: 2 for East Asian wide/fullwidth, 0 for combining marks, else 1. */
export function charWidth(c: string): number {
  const cp = c.codePointAt(0)!;
  if (/\p{Mn}|\p{Me}/u.test(c) || cp === 0x200b) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Display width of a string (sum of {@link charWidth}). */
export function stringWidth(s: string): number {
  let w = 0;
  for (const c of s) w += charWidth(c);
  return w;
}
