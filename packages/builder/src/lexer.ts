/**
 * BuildKit's shell-word lexer (`frontend/dockerfile/shell/lex.go`), ported: quotes, the escape token, `$VAR`,
 * `${VAR}`, `${VAR:-w}`, `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR#p}`, `${VAR##p}`,
 * `${VAR%p}`, `${VAR%%p}`, `${VAR/p/r}`, `${VAR//p/r}`. Pure; a {@link ShellLex} holds only its options.
 */
import { TdockError } from '@tdock/core';
import { goQuote } from './go-quote.js';
import { LexError, trimPrefix, trimSuffix, shellPatternToRegex } from './shell-pattern.js';

/** Looks up variables during expansion (`undefined` means unset, `''` means set and empty). */
export interface EnvLookup {
  get(name: string): string | undefined;
}

/** Options of the lexer, as BuildKit's `Lex` fields. */
export interface ShellLexOptions {
  /** `\` (default) or `` ` `` (from `# escape=`). */
  escapeToken?: string;
  /** Keep the quote characters in the output. */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (`$X`, `${X:-y}`). */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
}

/** The result of expanding one word, with the variables it looked up. */
export interface ProcessWordResult {
  result: string;
  words: string[];
  /** Names that were looked up and set. */
  matched: Set<string>;
  /** Names that were looked up and unset. */
  unmatched: Set<string>;
}

const EOF = -1;

/** Go's unicode.IsSpace. */
export function isGoSpace(cp: number): boolean {
  return (
    (cp >= 9 && cp <= 13) || cp === 32 || cp === 0x85 || cp === 0xa0 || cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000
  );
}
const isLetter = (cp: number): boolean => /\p{L}/u.test(String.fromCodePoint(cp));
const isDigit = (cp: number): boolean => /\p{Nd}/u.test(String.fromCodePoint(cp));
const isSpecialParam = (cp: number): boolean => '@*#?-$!0'.includes(String.fromCodePoint(cp));
const chr = (cp: number): string => (cp === EOF ? '\uFFFD' : String.fromCodePoint(cp));

class WordsBuilder {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(cp: number): void {
    if (isGoSpace(cp) && this.inWord) {
      if (this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else if (!isGoSpace(cp)) {
      this.addRawChar(cp);
    }
  }
  addRawChar(cp: number): void {
    this.buf += String.fromCodePoint(cp);
    this.inWord = true;
  }
  addString(s: string): void {
    for (const c of s) this.addChar(c.codePointAt(0) as number);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}


/** One expansion in progress: the input as code points and a cursor (Go's text/scanner Peek/Next). */
class ShellWord {
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    private readonly input: number[],
    private readonly env: EnvLookup,
    private readonly opts: Required<ShellLexOptions>,
    private readonly escape: number,
  ) {
    this.rawEscapes = opts.rawEscapes;
  }

  private peek(): number {
    return this.pos < this.input.length ? this.input[this.pos] : EOF;
  }
  private next(): number {
    return this.pos < this.input.length ? this.input[this.pos++] : EOF;
  }

  processStopOn(stopChar: number, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.stopOn(stopChar);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private stopOn(stopChar: number): { result: string; words: string[] } {
    let result = '';
    const words = new WordsBuilder();
    const q = !this.opts.skipProcessQuotes;
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (stopChar !== EOF && ch === stopChar) {
        this.next();
        return { result, words: words.finish() };
      }
      let special: (() => string) | undefined;
      if (ch === 0x24) special = () => this.processDollar();
      else if (ch === 0x3c) special = () => this.processPossibleHeredoc();
      else if (q && ch === 0x27) special = () => this.processSingleQuote();
      else if (q && ch === 0x22) special = () => this.processDoubleQuote();
      if (special) {
        const tmp = special();
        result += tmp;
        if (ch === 0x24) words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      let c = this.next();
      if (c === this.escape) {
        if (this.rawEscapes) {
          words.addRawChar(c);
          result += chr(c);
        }
        c = this.next();
        if (c === EOF) break;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += chr(c);
    }
    if (stopChar !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${chr(stopChar)}`);
    return { result, words: words.finish() };
  }

  private processSingleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += chr(ch);
    for (;;) {
      ch = this.next();
      if (ch === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === 0x27) {
        if (this.opts.rawQuotes) result += chr(ch);
        return result;
      }
      result += chr(ch);
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += chr(ch);
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === 0x22) {
        ch = this.next();
        if (this.opts.rawQuotes) result += chr(ch);
        return result;
      }
      if (p === 0x24) {
        result += this.processDollar();
        continue;
      }
      ch = this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) result += chr(ch);
        const n = this.peek();
        if (n === EOF) continue;
        if (n === 0x22 || n === 0x24 || n === this.escape) ch = this.next();
      }
      result += chr(ch);
    }
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += chr(this.next());
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return chr(this.next());
      if (!isLetter(ch) && !isDigit(ch) && ch !== 0x5f) break;
      name += chr(this.next());
    }
    return name;
  }

  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== 0x3c) return '<';
    this.next();
    let space = '';
    while ([0x09, 0x0d, 0x20].includes(this.peek())) space += chr(this.next());
    return '<<' + space;
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== 0x7b) {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next();
    const p = this.peek();
    if (p === EOF) throw new LexError("syntax error: missing '}'");
    if (p === 0x7b || p === 0x7d || p === 0x3a) throw new LexError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let chs = chr(ch);
    let nullIsUnset = false;
    if (ch === 0x7d) {
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === 0x3a) {
      nullIsUnset = true;
      ch = this.next();
      chs += chr(ch);
    } else if (ch === 0x2f) {
      return this.processReplace(name);
    } else if (!'+-?#%'.includes(chr(ch))) {
      throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
    const rawEscapes = ch === 0x23 || ch === 0x25;
    if (nullIsUnset && rawEscapes) throw new LexError(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      word = this.processStopOn(0x7d, rawEscapes).result;
    } catch (err) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    const set = value !== undefined;
    if (this.opts.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    const v = value ?? '';
    switch (ch) {
      case 0x2d:
        return !set || (nullIsUnset && v === '') ? word : v;
      case 0x2b:
        return !set || (nullIsUnset && v === '') ? '' : word;
      case 0x3f:
        if (!set) throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && v === '') throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return v;
      case 0x25:
      case 0x23: {
        let greedy = false;
        if (word.length > 0 && word.codePointAt(0) === ch) {
          greedy = true;
          word = word.slice(1);
        }
        return ch === 0x25 ? trimSuffix(word, v, greedy) : trimPrefix(word, v, greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const replaceAll = this.peek() === 0x2f;
    if (replaceAll) this.next();
    let pattern: string;
    let replacement: string;
    try {
      pattern = this.processStopOn(0x2f, true).result;
    } catch (err) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '/' in ${}");
      throw err;
    }
    try {
      replacement = this.processStopOn(0x7d, true).result;
    } catch (err) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw err;
    }
    const value = this.getEnv(name);
    if (this.opts.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegex(pattern, true, false, replaceAll);
    return (value ?? '').replace(re, () => replacement);
  }
}

/** An {@link EnvLookup} over `KEY=value` strings; a later entry for the same key wins (BuildKit's EnvsFromSlice). */
export function envFromList(list: readonly string[]): EnvLookup {
  const m = new Map<string, string>();
  for (const e of list) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return { get: (k) => m.get(k) };
}

/** An {@link EnvLookup} over a map. */
export function envFromMap(map: ReadonlyMap<string, string> | Record<string, string>): EnvLookup {
  if (map instanceof Map) return { get: (k) => map.get(k) };
  const rec = map as Record<string, string>;
  return { get: (k) => (Object.prototype.hasOwnProperty.call(rec, k) ? rec[k] : undefined) };
}

/** The shell lexer. Errors are `invalid-argument` TdockErrors worded as BuildKit's (`failed to process "x": ...`). */
export class ShellLex {
  private readonly opts: Required<ShellLexOptions>;

  constructor(options: ShellLexOptions = {}) {
    this.opts = {
      escapeToken: options.escapeToken ?? '\\',
      rawQuotes: options.rawQuotes ?? false,
      rawEscapes: options.rawEscapes ?? false,
      skipUnsetEnv: options.skipUnsetEnv ?? false,
      skipProcessQuotes: options.skipProcessQuotes ?? false,
    };
  }

  /** Expands `word` as one word (spaces kept). */
  processWord(word: string, env: EnvLookup): string {
    return this.process(word, env).result;
  }

  /** Expands `word` and splits it into words after expansion, honouring quotes. */
  processWords(word: string, env: EnvLookup): string[] {
    return this.process(word, env).words;
  }

  /** Expands `word`, also returning which variables were looked up. */
  process(word: string, env: EnvLookup): ProcessWordResult {
    const input = Array.from(word, (c) => c.codePointAt(0) as number);
    const sw = new ShellWord(input, env, this.opts, this.opts.escapeToken.codePointAt(0) as number);
    try {
      const { result, words } = sw.processStopOn(EOF, this.opts.rawEscapes);
      return { result, words, matched: sw.matched, unmatched: sw.unmatched };
    } catch (err) {
      if (err instanceof LexError) {
        throw new TdockError('invalid-argument', `failed to process ${goQuote(word)}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}
