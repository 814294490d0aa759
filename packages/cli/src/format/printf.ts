import { formatGoG } from './units.js';

/** Go's `%v` rendering of a template value: `<nil>`, `[a b]`, `map[k:v]`, numbers and strings as-is. */
export function goValueString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatGoFloat(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goValueString).join(' ')}]`;
  if (typeof v === 'object') {
    const s = (v as { toString?: () => string }).toString;
    if (typeof s === 'function' && s !== Object.prototype.toString) return s.call(v);
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValueString((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function formatGoFloat(x: number): string {
  // strconv.FormatFloat(x, 'g', -1, 64): shortest repr, exponent when exp < -4 || exp >= 21.
  const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = x.toExponential().split('e') as [string, string];
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${Math.abs(n) < 10 ? '0' : ''}${Math.abs(n)}`;
  }
  return String(x);
}

function typeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return v === null || v === undefined ? '<nil>' : 'map[string]interface {}';
}

function quote(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Go `fmt.Sprintf` for the verbs people use in `--format`: `%s %v %d %q %x %X %o %b %f %e %g %t %c %%`,
 * with flags `-+# 0`, width and precision. Missing and extra arguments render as Go does (`%!d(MISSING)`).
 */
export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format)) !== null) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', widthS, precS, verb] = m as unknown as [string, string, string | undefined, string | undefined, string];
    if (verb === '%') {
      out += '%';
      continue;
    }
    const width = widthS === '*' ? Number(args[argi++]) : widthS !== undefined ? Number(widthS) : undefined;
    const hasPrec = m[0].includes('.');
    const prec = precS === '*' ? Number(args[argi++]) : precS !== undefined ? Number(precS) : hasPrec ? 0 : undefined;
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    let s: string;
    switch (verb) {
      case 's':
      case 'v':
        s = goValueString(a);
        if (prec !== undefined && verb === 's') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = typeof a === 'number' ? `'${String.fromCodePoint(a)}'` : quote(goValueString(a));
        break;
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeName(a)}=${goValueString(a)})`;
        break;
      case 'x':
      case 'X': {
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(goValueString(a)).toString('hex');
        if (flags.includes('#')) s = `0x${s}`;
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 'o':
        s = typeof a === 'number' ? Math.trunc(a).toString(8) : `%!o(${typeName(a)}=${goValueString(a)})`;
        break;
      case 'b':
        s = typeof a === 'number' ? Math.trunc(a).toString(2) : `%!b(${typeName(a)}=${goValueString(a)})`;
        break;
      case 'f':
      case 'F':
        s = typeof a === 'number' ? a.toFixed(prec ?? 6) : `%!f(${typeName(a)}=${goValueString(a)})`;
        break;
      case 'e':
        s = typeof a === 'number' ? a.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(${typeName(a)}=${goValueString(a)})`;
        break;
      case 'g':
        s = typeof a === 'number' ? (prec !== undefined ? formatGoG(a, prec) : goValueString(a)) : `%!g(${typeName(a)}=${goValueString(a)})`;
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : `%!t(${typeName(a)}=${goValueString(a)})`;
        break;
      case 'c':
        s = typeof a === 'number' ? String.fromCodePoint(a) : `%!c(${typeName(a)}=${goValueString(a)})`;
        break;
      default:
        s = `%!${verb}(${typeName(a)}=${goValueString(a)})`;
    }
    if (flags.includes('+') && typeof a === 'number' && a >= 0 && 'dfeg'.includes(verb)) s = `+${s}`;
    else if (flags.includes(' ') && typeof a === 'number' && a >= 0 && 'dfeg'.includes(verb)) s = ` ${s}`;
    if (width !== undefined && [...s].length < width) {
      const padLen = width - [...s].length;
      if (flags.includes('-')) s = s + ' '.repeat(padLen);
      else if (flags.includes('0') && typeof a === 'number') {
        const sign = /^[+-]/.test(s) ? s[0]! : '';
        s = sign + '0'.repeat(padLen) + s.slice(sign.length);
      } else s = ' '.repeat(padLen) + s;
    }
    out += s;
  }
  out += format.slice(last);
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(a)}=${goValueString(a)}`).join(', ')})`;
  }
  return out;
}

/** Go `fmt.Sprint`: spaces between operands when neither side is a string. */
export function goSprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goValueString(a);
  });
  return out;
}

/** Go `fmt.Sprintln`: operands separated by spaces, newline at the end. */
export function goSprintln(args: readonly unknown[]): string {
  return `${args.map(goValueString).join(' ')}\n`;
}
