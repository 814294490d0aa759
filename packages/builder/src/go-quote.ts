/**
 * Go's `strconv.Quote` and `%q`/`%v` of a string slice, because docker writes history (`CMD ["sh"]`) and error
 * messages with them.
 */

const NAMED: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

function isPrintable(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad) return false;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfeff || cp === 0xfffe || cp === 0xffff) return false;
  return !/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(String.fromCodePoint(cp)) || cp === 0x20;
}

/** Go's strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (isPrintable(cp)) out += ch;
    else if (NAMED[cp]) out += NAMED[cp];
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** Go's `fmt.Sprintf("%q", []string{...})`: `["a" "b"]`. */
export function goQuoteSlice(list: readonly string[]): string {
  return '[' + list.map(goQuote).join(' ') + ']';
}

/** Go's `fmt.Sprintf("%v", []string{...})`: `[a b]`. */
export function goFormatSlice(list: readonly string[]): string {
  return '[' + list.join(' ') + ']';
}
