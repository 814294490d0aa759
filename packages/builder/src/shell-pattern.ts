/**
 * Shell wildcard patterns of `${VAR#p}`, `${VAR%p}` and `${VAR/p/r}` (BuildKit's convertShellPatternToRegex):
 * `*` (shortest or longest), `?`, `\\` escapes, no bracket expressions.
 */

/** A syntax error of the lexer; the message is BuildKit's. */
export class LexError extends Error {}

/** Converts a shell wildcard pattern (`*`, `?`, `\` escapes; no brackets) to a regular expression. */
export function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const toks = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i];
    if (tok === '*') {
      out += greedy ? '.*' : '.*?';
      continue;
    }
    if (tok === '?') {
      out += '.';
      continue;
    }
    if (tok === '\\') {
      const n = toks[i + 1];
      if (n === '}' || n === '/') continue;
      i++;
      if (n !== '*' && n !== '?' && n !== '\\') {
        throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`);
      }
      out += '\\' + n;
      continue;
    }
    out += '[]{}.+()|^$'.includes(tok) ? '\\' + tok : tok;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** Reverses a pattern without reversing its escapes (`a\*c` becomes `c\*a`). */
export function reversePattern(pattern: string): string {
  const p = Array.from(pattern);
  const out: string[] = new Array<string>(p.length);
  const last = p.length - 1;
  for (let i = 0; i <= last; ) {
    const outIdx = last - i;
    if (p[i] === '\\' && i !== last) {
      out[outIdx - 1] = p[i];
      out[outIdx] = p[i + 1];
      i += 2;
    } else {
      out[outIdx] = p[i];
      i++;
    }
  }
  return out.join('');
}

const reverseString = (s: string): string => Array.from(s).reverse().join('');

export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

