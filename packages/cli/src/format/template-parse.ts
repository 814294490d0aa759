import { invalidArgument } from '@tdock/core';

/** An operand of a template command (Go `text/template/parse` nodes, reduced to what docker formats use). */
export type Operand =
  | { kind: 'dot' }
  | { kind: 'field'; names: string[] }
  | { kind: 'var'; name: string; names: string[] }
  | { kind: 'ident'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'pipe'; pipe: Pipeline; names: string[] };

export interface Command {
  args: Operand[];
  /** Source text of the command, for error messages (`<.Foo>`). */
  src: string;
}

export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline; pos: string }
  | { kind: 'if' | 'range' | 'with'; pipe: Pipeline; list: TemplateNode[]; elseList: TemplateNode[]; pos: string };

/** A parsed template. */
export interface ParsedTemplate {
  nodes: TemplateNode[];
}

type Tok = { t: 'field' | 'var' | 'ident' | 'string' | 'number' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'chain'; v: string };

function tokenize(src: string, where: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const err = (m: string): never => {
    throw invalidArgument(`template: ${where}: ${m}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const prev = toks[toks.length - 1];
    if (c === '.' && prev?.t === 'rparen' && /[A-Za-z_]/.test(src[i + 1] ?? '') && !/\s/.test(src[i - 1] ?? ' ')) {
      const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(i))!;
      toks.push({ t: 'chain', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '.') {
      const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(i));
      if (m) {
        toks.push({ t: 'field', v: m[0] });
        i += m[0].length;
      } else if (/[0-9]/.test(src[i + 1] ?? '')) {
        const n = /^\.[0-9]+/.exec(src.slice(i))!;
        toks.push({ t: 'number', v: n[0] });
        i += n[0].length;
      } else {
        toks.push({ t: 'field', v: '.' });
        i++;
      }
      continue;
    }
    if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i))!;
      toks.push({ t: 'var', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) err('unterminated quoted string');
      toks.push({ t: 'string', v: JSON.parse(src.slice(i, j + 1).replace(/\\'/g, "'")) as string });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) err('unterminated raw quoted string');
      toks.push({ t: 'string', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)/.exec(src.slice(i));
      if (!m || m[0] === '-' || m[0] === '+') err(`bad number syntax: ${src.slice(i)}`);
      toks.push({ t: 'number', v: m![0] });
      i += m![0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      toks.push({ t: 'ident', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '|') toks.push({ t: 'pipe', v: c });
    else if (c === '(') toks.push({ t: 'lparen', v: c });
    else if (c === ')') toks.push({ t: 'rparen', v: c });
    else if (c === ',') toks.push({ t: 'comma', v: c });
    else if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'declare', v: ':=' });
      i++;
    } else if (c === '=') toks.push({ t: 'assign', v: '=' });
    else err(`unexpected "${c}" in command`);
    i++;
  }
  return toks;
}

function splitNames(s: string): string[] {
  return s.split('.').filter((x) => x !== '');
}

function parsePipeline(toks: Tok[], where: string, src: string): Pipeline {
  let pos = 0;
  const err = (m: string): never => {
    throw invalidArgument(`template: ${where}: ${m}`);
  };
  const pipe: Pipeline = { decl: [], assign: false, cmds: [] };
  // Variable declarations: `$x :=`, `$i, $e :=`.
  const declEnd = toks.findIndex((t) => t.t === 'declare' || t.t === 'assign');
  if (declEnd > 0 && toks.slice(0, declEnd).every((t) => t.t === 'var' || t.t === 'comma')) {
    pipe.decl = toks.slice(0, declEnd).filter((t) => t.t === 'var').map((t) => t.v);
    pipe.assign = toks[declEnd]!.t === 'assign';
    pos = declEnd + 1;
  }
  const operand = (): Operand => {
    const t = toks[pos++];
    if (!t) return err('missing value for command');
    switch (t.t) {
      case 'field':
        return t.v === '.' ? { kind: 'dot' } : { kind: 'field', names: splitNames(t.v) };
      case 'var': {
        const [name, ...rest] = t.v.split('.');
        return { kind: 'var', name: name!, names: rest };
      }
      case 'string':
        return { kind: 'string', value: t.v };
      case 'number':
        return { kind: 'number', value: Number(t.v) };
      case 'ident':
        if (t.v === 'true' || t.v === 'false') return { kind: 'bool', value: t.v === 'true' };
        if (t.v === 'nil') return { kind: 'nil' };
        return { kind: 'ident', name: t.v };
      case 'lparen': {
        let depth = 1;
        const start = pos;
        while (pos < toks.length && depth > 0) {
          if (toks[pos]!.t === 'lparen') depth++;
          else if (toks[pos]!.t === 'rparen') depth--;
          pos++;
        }
        if (depth !== 0) err('unclosed left paren');
        const inner = parsePipeline(toks.slice(start, pos - 1), where, src);
        let names: string[] = [];
        if (toks[pos]?.t === 'chain') names = splitNames(toks[pos++]!.v);
        return { kind: 'pipe', pipe: inner, names };
      }
      default:
        return err(`unexpected "${t.v}" in operand`);
    }
  };
  let cmd: Command = { args: [], src };
  while (pos < toks.length) {
    if (toks[pos]!.t === 'pipe') {
      if (cmd.args.length === 0) err('missing command');
      pipe.cmds.push(cmd);
      cmd = { args: [], src };
      pos++;
      continue;
    }
    cmd.args.push(operand());
  }
  if (cmd.args.length === 0) err('missing value for command');
  pipe.cmds.push(cmd);
  return pipe;
}

/** Parses a Go `text/template` source: text, actions, `if`/`else`/`else if`, `range`, `with`, `end`, comments, trim markers. */
export function parseTemplate(src: string): ParsedTemplate {
  type Frame = { node: Extract<TemplateNode, { kind: 'if' | 'range' | 'with' }>; inElse: boolean; closesParent: number };
  const root: TemplateNode[] = [];
  const stack: Frame[] = [];
  const target = (): TemplateNode[] => {
    const f = stack[stack.length - 1];
    return f ? (f.inElse ? f.node.elseList : f.node.list) : root;
  };
  let i = 0;
  let trimNext = false;
  const lineCol = (at: number): string => {
    const before = src.slice(0, at);
    const line = before.split('\n').length;
    return `:${line}:${at - before.lastIndexOf('\n') - 1}`;
  };
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) target().push({ kind: 'text', text });
      break;
    }
    let bodyStart = open + 2;
    if (src.startsWith('- ', bodyStart) || src.startsWith('-\t', bodyStart) || src.startsWith('-\n', bodyStart)) {
      text = text.replace(/\s+$/, '');
      bodyStart++;
    }
    if (text) target().push({ kind: 'text', text });
    const close = src.indexOf('}}', bodyStart);
    if (close < 0) throw invalidArgument(`template: ${lineCol(open)}: unclosed action`);
    let body = src.slice(bodyStart, close);
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    i = close + 2;
    const where = lineCol(open + 2);
    const trimmed = body.trim();
    if (trimmed.startsWith('/*')) continue;
    const kw = /^(if|range|with|else|end)\b/.exec(trimmed)?.[1];
    const rest = kw ? trimmed.slice(kw.length).trim() : trimmed;
    const pipe = (): Pipeline => parsePipeline(tokenize(rest, where), where, rest);
    if (kw === 'if' || kw === 'range' || kw === 'with') {
      const node = { kind: kw, pipe: pipe(), list: [], elseList: [], pos: where } as Frame['node'];
      target().push(node);
      stack.push({ node, inElse: false, closesParent: 0 });
    } else if (kw === 'else') {
      const f = stack[stack.length - 1];
      if (!f || f.inElse) throw invalidArgument(`template: ${where}: unexpected {{else}}`);
      f.inElse = true;
      const sub = /^(if|with)\b/.exec(rest)?.[1];
      if (sub === 'if' || sub === 'with') {
        const p = parsePipeline(tokenize(rest.slice(sub.length), where), where, rest);
        const node = { kind: sub, pipe: p, list: [], elseList: [], pos: where } as Frame['node'];
        f.node.elseList.push(node);
        stack.push({ node, inElse: false, closesParent: f.closesParent + 1 });
      }
    } else if (kw === 'end') {
      const f = stack.pop();
      if (!f) throw invalidArgument(`template: ${where}: unexpected {{end}}`);
      for (let n = 0; n < f.closesParent; n++) stack.pop();
    } else {
      if (trimmed === '') throw invalidArgument(`template: ${where}: missing value for command`);
      target().push({ kind: 'action', pipe: pipe(), pos: where });
    }
  }
  if (stack.length > 0) throw invalidArgument(`template: :${src.split('\n').length}: unexpected EOF`);
  return { nodes: root };
}
