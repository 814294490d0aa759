/**
 * The Dockerfile parser, a port of BuildKit's `frontend/dockerfile/parser`: parser directives (`# syntax=`,
 * `# escape=`, `# check=`, only before anything else), line continuations with the escape token, comments (also
 * inside continuations), empty continuation lines (a warning), here-documents, and the per-instruction line parsers.
 * The output is BuildKit's AST; {@link dumpAst} prints it the way BuildKit's golden files do.
 */
import { TdockError } from '@tdock/core';
import { ShellLex, isGoSpace, type EnvLookup } from './lexer.js';
import { goQuote, goQuoteSlice } from './go-quote.js';
import {
  LINE_PARSERS, newNode, splitCommand, type AstNode, type Heredoc, type LineParserContext,
} from './line-parsers.js';

export type { AstNode, Heredoc } from './line-parsers.js';

/** A parser-level warning (BuildKit reports empty continuation lines this way). */
export interface ParseWarning {
  short: string;
  detail: string;
  url: string;
  line: number;
}

/** The parsed Dockerfile. */
export interface ParseResult {
  /** The root node; its `children` are the instructions in order. */
  ast: AstNode;
  escapeToken: string;
  /** Parser directives found at the top (lower-case names: `syntax`, `escape`, `check`). */
  directives: Record<string, string>;
  warnings: ParseWarning[];
}

/** A Dockerfile syntax error with the lines it concerns (1-based). */
export class DockerfileParseError extends TdockError {
  readonly startLine: number;
  readonly endLine: number;

  constructor(message: string, startLine: number, endLine = startLine, cause?: unknown) {
    super('invalid-argument', message, { cause });
    this.name = 'DockerfileParseError';
    this.startLine = startLine;
    this.endLine = endLine;
  }
}

const MAX_LINE = 64 * 1024;
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const VALID_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_RE = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
const EMPTY_ENV: EnvLookup = { get: () => undefined };

class Directives implements LineParserContext {
  escapeToken = '\\';
  continuation = continuationRegex('\\');
  readonly found: Record<string, string> = {};
  private done = false;

  setEscapeToken(s: string): void {
    if (s !== '`' && s !== '\\') throw new Error(`invalid escape token '${s}' does not match \` or \\`);
    this.escapeToken = s;
    this.continuation = continuationRegex(s);
  }

  /** Returns true when `line` was a parser directive. */
  possibleDirective(line: string): boolean {
    if (this.done) return false;
    if (!line.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = DIRECTIVE_RE.exec(line.slice(1).replace(/^\s+/u, ''));
    const key = m?.[1].toLowerCase();
    if (!m || !key || !VALID_DIRECTIVES.has(key)) {
      this.done = true;
      return false;
    }
    if (key in this.found) throw new Error(`only one ${key} parser directive can be used`);
    this.found[key] = m[2];
    if (key === 'escape') this.setEscapeToken(m[2]);
    return true;
  }
}

function continuationRegex(tok: string): RegExp {
  const e = '\\' + tok;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, '');
function trimLeadingWhitespace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s.codePointAt(i) as number)) i++;
  return s.slice(i);
}
const isComment = (s: string): boolean => trimLeadingWhitespace(s).startsWith('#');

function trimContinuation(line: string, d: Directives): [string, boolean] {
  if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false];
  return [line, true];
}

function processLine(d: Directives, token: string, stripLeft: boolean): { line: string; directive: boolean } {
  let t = trimNewline(token);
  if (stripLeft) t = trimLeadingWhitespace(t);
  const directive = d.possibleDirective(t);
  return { line: isComment(t) ? '' : t, directive };
}

/** Splits into lines that keep their `\n` (Go's scanLines variant). */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const i = text.indexOf('\n', start);
    if (i < 0) break;
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

function newNodeFromLine(line: string, d: Directives, comments: string[]): AstNode {
  const { cmd, flags, args } = splitCommand(line, d);
  const lower = cmd.toLowerCase();
  let next: AstNode | undefined;
  let json: boolean | undefined;
  if (lower === 'onbuild') {
    if (args !== '') {
      next = newNode();
      next.children = [newNodeFromLine(args, d, [])];
    }
  } else {
    const fn = LINE_PARSERS[lower];
    if (fn) ({ node: next, json } = fn(args, d));
    else next = newNode();
  }
  const node = newNode(cmd, next);
  node.original = line;
  node.flags = flags;
  node.prevComment = comments;
  if (json) node.attributes = { json: true };
  return node;
}

function canContainHeredoc(node: AstNode): boolean {
  let n = node;
  if (n.value.toLowerCase() === 'onbuild' && n.next && n.next.children.length > 0) n = n.next.children[0];
  return ['add', 'copy', 'run'].includes(n.value.toLowerCase()) && !n.attributes.json;
}

/** Parses one heredoc word (`<<EOF`, `<<-'EOF'`, `3<<EOF`); undefined when it is not one. */
export function parseHeredoc(src: string): Heredoc | undefined {
  const m = HEREDOC_RE.exec(src);
  if (!m || m[3].length === 0) return undefined;
  const words = new ShellLex({ skipUnsetEnv: true }).processWords(m[3], EMPTY_ENV);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true }).processWords(m[3], EMPTY_ENV);
  if (raw.length !== 1) throw new Error(`internal lexing of heredoc produced inconsistent results: ${m[3]}`);
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return {
    name: words[0],
    fileDescriptor: m[1] === '' ? 0 : Number.parseInt(m[1], 10),
    expand: quotes(words[0]) === quotes(raw[0]),
    chomp: m[2] === '-',
    content: '',
  };
}

function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).processWords(line, EMPTY_ENV);
  } catch {
    words = [];
  }
  const docs: Heredoc[] = [];
  for (const w of words) {
    const h = parseHeredoc(w);
    if (h) docs.push(h);
  }
  return docs;
}

/** Strips leading tabs from every line of a `<<-` here-document. */
export function chompHeredocContent(src: string): string {
  return src.replace(/^\t+/gm, '');
}

function located(err: unknown, start: number, end = start): DockerfileParseError {
  if (err instanceof DockerfileParseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DockerfileParseError(message, start, end, err);
}

/**
 * Parses Dockerfile text into BuildKit's AST. Throws {@link DockerfileParseError} (kind `invalid-argument`) with
 * the line numbers for syntax errors.
 */
export function parseDockerfile(text: string): ParseResult {
  const d = new Directives();
  const lines = scanLines(text);
  let idx = 0;
  let currentLine = 0;
  const root = newNode();
  root.startLine = -1;
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  const scan = (): string | undefined => {
    if (idx >= lines.length) return undefined;
    const l = lines[idx++];
    if (l.length * 3 > MAX_LINE && Buffer.byteLength(l, 'utf8') > MAX_LINE) {
      throw new DockerfileParseError(`dockerfile line greater than max allowed size of ${MAX_LINE - 1}`, currentLine + 1);
    }
    return l;
  };
  for (let raw = scan(); raw !== undefined; raw = scan()) {
    if (currentLine === 0 && raw.startsWith('\uFEFF')) raw = raw.slice(1);
    if (isComment(raw)) {
      const c = raw.slice(1).trim();
      comments = c === '' ? [] : [...comments, c];
    }
    let first: { line: string; directive: boolean };
    try {
      first = processLine(d, raw, true);
    } catch (err) {
      throw located(err, currentLine);
    }
    if (first.directive) comments = comments.slice(0, -1);
    currentLine++;
    const startLine = currentLine;
    let [bytes, isEnd] = trimContinuation(first.line, d);
    if (isEnd && bytes.length === 0) continue;
    let buf = bytes;
    let hasEmptyContinuation = false;
    while (!isEnd) {
      const nextRaw = scan();
      if (nextRaw === undefined) break;
      let cont: { line: string };
      try {
        cont = processLine(d, nextRaw, false);
      } catch (err) {
        throw located(err, currentLine);
      }
      currentLine++;
      if (isComment(nextRaw)) continue;
      if (trimLeadingWhitespace(trimNewline(cont.line)).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      [bytes, isEnd] = trimContinuation(cont.line, d);
      buf += bytes;
    }
    const line = buf;
    if (hasEmptyContinuation) {
      warnings.push({
        short: 'Empty continuation line found in: ' + line,
        detail: 'Empty continuation lines will become errors in a future release',
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: currentLine,
      });
    }
    let child: AstNode;
    try {
      child = newNodeFromLine(line, d, comments);
    } catch (err) {
      throw located(err, startLine, currentLine);
    }
    if (canContainHeredoc(child) && line.includes('<<')) {
      let heredocs: Heredoc[];
      try {
        heredocs = heredocsFromLine(line);
      } catch (err) {
        throw located(err, startLine, currentLine);
      }
      for (const h of heredocs) {
        const terminator = h.name;
        let terminated = false;
        let content = h.content;
        for (let l = scan(); l !== undefined; l = scan()) {
          currentLine++;
          let possible = trimNewline(l);
          if (h.chomp) possible = possible.replace(/^\t+/, '');
          if (possible === terminator) {
            terminated = true;
            break;
          }
          content += l;
        }
        if (!terminated) throw new DockerfileParseError('unterminated heredoc', startLine, currentLine);
        child.heredocs.push({ ...h, content });
      }
    }
    child.startLine = startLine;
    child.endLine = currentLine;
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }
  if (root.startLine < 0) throw new DockerfileParseError('file with no instructions', currentLine);
  return { ast: root, escapeToken: d.escapeToken, directives: { ...d.found }, warnings };
}

/** BuildKit's `Node.Dump()`: the s-expression form used by its golden `result` files. */
export function dumpAst(node: AstNode): string {
  let s = node.value.toLowerCase();
  if (node.flags.length > 0) s += ' ' + goQuoteSlice(node.flags);
  for (const c of node.children) s += '(' + dumpAst(c) + ')\n';
  for (let n = node.next; n; n = n.next) s += ' ' + (n.children.length > 0 ? dumpAst(n) : goQuote(n.value));
  return s.trim();
}

/** The argument words of an instruction node (BuildKit's nodeArgs; ONBUILD's trigger is flattened in). */
export function nodeArgs(node: AstNode): string[] {
  const out: string[] = [];
  for (let n = node; n.next; n = n.next) {
    const arg = n.next;
    if (arg.children.length === 0) out.push(arg.value);
    else if (arg.children.length === 1) out.push(arg.children[0].value, ...nodeArgs(arg.children[0]));
  }
  return out;
}
