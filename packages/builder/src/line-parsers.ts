/**
 * BuildKit's per-instruction line parsers (`frontend/dockerfile/parser/line_parsers.go`, `split_command.go`):
 * they turn the text after an instruction keyword into the linked {@link AstNode} list. Quotes are kept here;
 * they are removed later, by expansion.
 */
import { isGoSpace } from './lexer.js';

/** One node of BuildKit's AST: `value`, a linked `next`, and `children` (the instructions, or ONBUILD's trigger). */
export interface AstNode {
  value: string;
  next?: AstNode;
  children: AstNode[];
  heredocs: Heredoc[];
  /** `json: true` when the arguments were a JSON array (exec form). */
  attributes: { json?: boolean };
  /** The instruction's text after continuation lines were joined. */
  original: string;
  /** `--name=value` words before the arguments. */
  flags: string[];
  startLine: number;
  endLine: number;
  /** Comment lines directly above the instruction. */
  prevComment: string[];
}

/** A here-document attached to an instruction. */
export interface Heredoc {
  name: string;
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the content. */
  chomp: boolean;
  content: string;
}

/** The parser state a line parser needs. */
export interface LineParserContext {
  escapeToken: string;
}

export function newNode(value = '', next?: AstNode): AstNode {
  return { value, next, children: [], heredocs: [], attributes: {}, original: '', flags: [], startLine: 0, endLine: 0, prevComment: [] };
}

export class LineParseError extends Error {}

const RE_WHITESPACE = /[\t\v\f\r ]+/;
const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

type LineResult = { node?: AstNode; json?: boolean };
type LineParser = (rest: string, d: LineParserContext) => LineResult;

/** Go's regexp.Split(s, 2) on runs of blanks. */
export function splitWhitespace2(s: string): string[] {
  const m = RE_WHITESPACE.exec(s);
  if (!m) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

const trimGoSpace = (s: string): string => {
  const a = Array.from(s);
  let i = 0;
  let j = a.length;
  while (i < j && isGoSpace(a[i].codePointAt(0) as number)) i++;
  while (j > i && isGoSpace(a[j - 1].codePointAt(0) as number)) j--;
  return a.slice(i, j).join('');
};
export { trimGoSpace };

/** Splits a line into command, flags and argument text (splitCommand + extractBuilderFlags). */
export function splitCommand(line: string, d: LineParserContext): { cmd: string; flags: string[]; args: string } {
  const cmdline = splitWhitespace2(trimGoSpace(line));
  let args = '';
  let flags: string[] = [];
  if (cmdline.length === 2) ({ args, flags } = extractBuilderFlags(cmdline[1], d));
  return { cmd: cmdline[0], flags, args: trimGoSpace(args) };
}

function extractBuilderFlags(line: string, d: LineParserContext): { args: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  const n = line.length;
  for (let pos = 0; pos <= n; pos++) {
    let ch = pos !== n ? line[pos] : '';
    if (phase === 'spaces') {
      if (pos === n) break;
      if (isGoSpace(ch.charCodeAt(0))) continue;
      if (ch !== '-' || pos + 1 === n || line[pos + 1] !== '-') return { args: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (pos === n) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch.charCodeAt(0))) {
        phase = 'spaces';
        if (word === '--') return { args: line.slice(pos), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === d.escapeToken) {
        if (pos + 1 === n) continue;
        pos++;
        ch = line[pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === d.escapeToken) {
      if (pos + 1 === n) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos];
    }
    word += ch;
  }
  return { args: '', flags: words };
}

/** Splits on blanks, keeping quotes and escapes in the words (parseWords). */
export function parseWords(rest: string, d: LineParserContext): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let sb = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos !== chars.length ? chars[pos] : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isGoSpace(ch.codePointAt(0) as number)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || sb.length > 0) words.push(sb);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch.codePointAt(0) as number)) {
        phase = 'spaces';
        if (blankOK || sb.length > 0) words.push(sb);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === d.escapeToken) {
        if (pos + 1 === chars.length) continue;
        sb += ch;
        pos++;
        ch = chars[pos];
      }
      sb += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === d.escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      sb += ch;
      ch = chars[pos];
    }
    sb += ch;
  }
  return words;
}

function chain(values: string[]): AstNode | undefined {
  let root: AstNode | undefined;
  let prev: AstNode | undefined;
  for (const v of values) {
    const n = newNode(v);
    if (prev) prev.next = n;
    else root = n;
    prev = n;
  }
  return root;
}

function parseNameVal(rest: string, key: string, d: LineParserContext): AstNode | undefined {
  const words = parseWords(rest, d);
  if (words.length === 0) return undefined;
  if (!words[0].includes('=')) {
    const parts = splitWhitespace2(rest);
    if (parts.length < 2) throw new LineParseError(`${key} must have two arguments`);
    return chain([parts[0], parts[1], '']);
  }
  const values: string[] = [];
  for (const word of words) {
    const i = word.indexOf('=');
    if (i < 0) throw new LineParseError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    values.push(word.slice(0, i), word.slice(i + 1), '=');
  }
  return chain(values);
}

const parseStringsWhitespaceDelimited: LineParser = (rest) => (rest === '' ? {} : { node: chain(rest.split(RE_WHITESPACE)) });

function parseJSON(rest: string): LineResult | 'not-json' {
  const t = rest.replace(/^[\t\n\v\f\r \u0085\u00a0]+/, '');
  if (!t.startsWith('[')) return 'not-json';
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    return 'not-json';
  }
  if (!Array.isArray(parsed)) return 'not-json';
  if (!parsed.every((s) => typeof s === 'string')) throw new LineParseError(NOT_STRING_ARRAY);
  return { node: chain(parsed as string[]), json: true };
}

const parseMaybeJSON: LineParser = (rest) => {
  if (rest === '') return {};
  const j = parseJSON(rest);
  return j === 'not-json' ? { node: newNode(rest) } : j;
};

const parseMaybeJSONToList: LineParser = (rest, d) => {
  const j = parseJSON(rest);
  return j === 'not-json' ? parseStringsWhitespaceDelimited(rest, d) : j;
};

const parseString: LineParser = (rest) => (rest === '' ? {} : { node: newNode(rest) });

const parseHealthConfig: LineParser = (rest, d) => {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest.charCodeAt(sep))) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest.charCodeAt(next))) next++;
  if (sep === 0) return {};
  const cmd = parseMaybeJSON(rest.slice(next), d);
  return { node: newNode(rest.slice(0, sep), cmd.node), json: cmd.json };
};

/** The dispatch table: lower-case instruction to line parser. `onbuild` is handled by the parser itself. */
export const LINE_PARSERS: Readonly<Record<string, LineParser>> = {
  add: parseMaybeJSONToList,
  arg: (rest, d) => ({ node: chain(parseWords(rest, d)) }),
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, d) => ({ node: parseNameVal(rest, 'ENV', d) }),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, d) => ({ node: parseNameVal(rest, 'LABEL', d) }),
  maintainer: parseString,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};
