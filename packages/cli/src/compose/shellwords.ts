import { invalidArgument } from '@tdock/core';

/**
 * Splits a command string into words with shell quoting rules, as compose-go does with go-shellwords:
 * whitespace separates words, single quotes are literal, double quotes allow `\"`, `\\`, `\$` escapes,
 * a backslash outside quotes escapes the next character. No variable expansion, globbing or `sh -c`.
 */
export function splitShellWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) {
        const n = s[++i]!;
        if (n !== '\n') cur += n;
      } else cur += c;
      continue;
    }
    if (c === '\\') {
      if (i + 1 < s.length) {
        const n = s[++i]!;
        if (n !== '\n') cur += n;
        inWord = true;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote !== null) throw invalidArgument(`invalid command line string: unterminated quote in ${JSON.stringify(s)}`);
  if (inWord) words.push(cur);
  return words;
}
