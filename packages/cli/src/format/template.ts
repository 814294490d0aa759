import { invalidArgument } from '@tdock/core';
import { goSprint, goSprintf, goSprintln, goValueString } from './printf.js';
import { parseTemplate, type Command, type Operand, type ParsedTemplate, type Pipeline, type TemplateNode } from './template-parse.js';

/** A template function: positional arguments in, one value out (throw to fail the execution). */
export type TemplateFunc = (...args: unknown[]) => unknown;

/** Printed for a map key that does not exist (Go's `<no value>`). */
const NO_VALUE = Symbol('no value');

/**
 * Base for row contexts (`ContainerContext` & co): exported (capitalised) zero-argument methods are the
 * fields a template can use, and `{{json .}}` renders them all, keys sorted, HTML-escaped, as docker's
 * `formatter.MarshalJSON` does.
 */
export abstract class GoStruct {
  /** The Go type name used in error messages (`*formatter.ContainerContext`). */
  abstract readonly goTypeName: string;

  /** `{{json .}}`: every exported zero-argument method, by name. */
  marshalJSON(): string {
    const out: Record<string, unknown> = {};
    let proto = Object.getPrototypeOf(this) as object | null;
    const names = new Set<string>();
    while (proto && proto !== GoStruct.prototype) {
      for (const n of Object.getOwnPropertyNames(proto)) names.add(n);
      proto = Object.getPrototypeOf(proto) as object | null;
    }
    for (const n of [...names].sort()) {
      const f = (this as unknown as Record<string, unknown>)[n];
      if (!/^[A-Z]/.test(n) || typeof f !== 'function' || f.length !== 0) continue;
      out[n] = (f as () => unknown).call(this);
    }
    return htmlEscapeJson(JSON.stringify(out));
  }
}

function htmlEscapeJson(s: string): string {
  return s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Marks a plain object as a Go struct: `{{json .}}` keeps its keys in their (field) order. */
const STRUCT_ORDER = Symbol('go struct field order');

/** Returns `obj`, marked so that goJson keeps its key order (a Go struct's), where maps sort theirs. */
export function goStructValue<T extends object>(obj: T): T {
  Object.defineProperty(obj, STRUCT_ORDER, { value: true, enumerable: false });
  return obj;
}

/** Go's `encoding/json` with `SetEscapeHTML(false)`: maps with sorted keys, structs in field order. */
export function goJson(v: unknown): string {
  if (v instanceof GoStruct) return v.marshalJSON();
  if (v === undefined || (v as unknown) === NO_VALUE) return 'null';
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      const keys = Object.keys(x);
      if (!(x as Record<symbol, unknown>)[STRUCT_ORDER]) keys.sort();
      for (const k of keys) out[k] = sort((x as Record<string, unknown>)[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(sort(v)) ?? 'null';
}

function truth(v: unknown): boolean {
  if (v === null || v === undefined || v === NO_VALUE || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof GoStruct)) return Object.keys(v).length > 0;
  return true;
}

function str(v: unknown, fn: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`wrong type for value; expected string; got ${typeof v} (in ${fn})`);
}

function goTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

function compare(a: unknown, b: unknown, op: string): boolean {
  if (typeof a !== typeof b && !(a == null && b == null)) throw new Error(`incompatible types for comparison`);
  const x = a as number;
  const y = b as number;
  return op === 'lt' ? x < y : op === 'le' ? x <= y : op === 'gt' ? x > y : x >= y;
}

/** The functions docker's `templates.Parse` provides, plus text/template's builtins. */
export const BASIC_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  json: (v) => goJson(v),
  split: (s, sep) => str(s, 'split').split(str(sep, 'split')),
  join: (a, sep) => {
    if (!Array.isArray(a)) throw new Error(`wrong type for value; expected []string; got ${typeof a}`);
    return a.map(goValueString).join(str(sep, 'join'));
  },
  title: (s) => goTitle(str(s, 'title')),
  lower: (s) => str(s, 'lower').toLowerCase(),
  upper: (s) => str(s, 'upper').toUpperCase(),
  pad: (s, prefix, suffix) => (str(s, 'pad') === '' ? '' : ' '.repeat(Number(prefix)) + (s as string) + ' '.repeat(Number(suffix))),
  truncate: (s, n) => {
    const src = str(s, 'truncate');
    return src.length < Number(n) ? src : src.slice(0, Number(n));
  },
  printf: (fmt, ...args) => goSprintf(str(fmt, 'printf'), args),
  print: (...args) => goSprint(args),
  println: (...args) => goSprintln(args),
  len: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v !== null && typeof v === 'object') return Object.keys(v).length;
    throw new Error(`len of type ${typeof v}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        const i = Number(k);
        if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw new Error(`error calling index: index out of range: ${String(k)}`);
        cur = cur[i];
      } else if (cur !== null && typeof cur === 'object') {
        const rec = cur as Record<string, unknown>;
        cur = Object.prototype.hasOwnProperty.call(rec, String(k)) ? rec[String(k)] : NO_VALUE;
      } else throw new Error(`can't index item of type ${typeof cur}`);
    }
    return cur;
  },
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b, 'lt'),
  le: (a, b) => compare(a, b, 'le'),
  gt: (a, b) => compare(a, b, 'gt'),
  ge: (a, b) => compare(a, b, 'ge'),
  and: (...args) => args.find((a) => !truth(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truth(a)) ?? args[args.length - 1],
  not: (a) => !truth(a),
};

/** docker's `HeaderFunctions`: the same names, returning the header text unchanged (except `pad`). */
export const HEADER_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  ...BASIC_FUNCS,
  json: (v) => v,
  split: (v) => v,
  join: (v) => v,
  title: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  truncate: (v) => v,
};

interface State {
  funcs: Readonly<Record<string, TemplateFunc>>;
  vars: Map<string, unknown>[];
  pos: string;
}

function typeNameOf(v: unknown): string {
  if (v instanceof GoStruct) return v.goTypeName;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'interface {}';
}

function field(s: State, recv: unknown, name: string, args: unknown[], src: string): unknown {
  const fail = (m: string): never => {
    throw new Error(`template: ${s.pos}: executing "" at <${src}>: ${m}`);
  };
  if (recv === null || recv === undefined || recv === NO_VALUE) return fail(`nil pointer evaluating ${typeNameOf(recv)}.${name}`);
  if (typeof recv !== 'object') return fail(`can't evaluate field ${name} in type ${typeNameOf(recv)}`);
  const rec = recv as Record<string, unknown>;
  const isStruct = recv instanceof GoStruct;
  if (isStruct && !/^[A-Z]/.test(name)) return fail(`${name} is an unexported field of struct type ${typeNameOf(recv)}`);
  const v = isStruct || Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined;
  if (typeof v === 'function') {
    try {
      return (v as TemplateFunc).apply(recv, args);
    } catch (err) {
      return fail(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (v === undefined && isStruct) return fail(`can't evaluate field ${name} in type ${typeNameOf(recv)}`);
  if (args.length > 0) return fail(`${name} has arguments but cannot be invoked as function`);
  if (v === undefined) return NO_VALUE;
  return v;
}

function fields(s: State, recv: unknown, names: string[], args: unknown[], src: string): unknown {
  let cur = recv;
  names.forEach((n, i) => {
    cur = field(s, cur, n, i === names.length - 1 ? args : [], src);
  });
  return cur;
}

function lookupVar(s: State, name: string): unknown {
  for (let i = s.vars.length - 1; i >= 0; i--) if (s.vars[i]!.has(name)) return s.vars[i]!.get(name);
  throw new Error(`template: ${s.pos}: undefined variable: ${name}`);
}

function evalArg(s: State, dot: unknown, op: Operand): unknown {
  switch (op.kind) {
    case 'dot':
      return dot;
    case 'field':
      return fields(s, dot, op.names, [], `.${op.names.join('.')}`);
    case 'var':
      return fields(s, lookupVar(s, op.name), op.names, [], op.name);
    case 'string':
    case 'number':
    case 'bool':
      return op.value;
    case 'nil':
      return null;
    case 'pipe':
      return fields(s, evalPipeline(s, dot, op.pipe), op.names, [], '(...)');
    case 'ident': {
      const f = s.funcs[op.name];
      if (!f) throw new Error(`template: ${s.pos}: function "${op.name}" not defined`);
      return f();
    }
  }
}

function evalCommand(s: State, dot: unknown, cmd: Command, final: unknown[]): unknown {
  const [first, ...rest] = cmd.args;
  const args = (): unknown[] => [...rest.map((a) => evalArg(s, dot, a)), ...final];
  switch (first!.kind) {
    case 'ident': {
      const f = s.funcs[first!.name];
      if (!f) throw new Error(`template: ${s.pos}: function "${first!.name}" not defined`);
      try {
        return f(...args());
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('template:')) throw err;
        throw new Error(`template: ${s.pos}: executing "" at <${first!.name}>: error calling ${first!.name}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    }
    case 'field':
      return fields(s, dot, first!.names, args(), `.${first!.names.join('.')}`);
    case 'var':
      return fields(s, lookupVar(s, first!.name), first!.names, args(), first!.name);
    default:
      if (rest.length > 0 || final.length > 0) throw new Error(`template: ${s.pos}: can't give argument to non-function ${cmd.src}`);
      return evalArg(s, dot, first!);
  }
}

function evalPipeline(s: State, dot: unknown, pipe: Pipeline): unknown {
  let value: unknown = undefined;
  pipe.cmds.forEach((cmd, i) => {
    value = evalCommand(s, dot, cmd, i === 0 ? [] : [value]);
  });
  for (const d of pipe.decl) {
    if (pipe.assign) {
      const frame = [...s.vars].reverse().find((f) => f.has(d));
      if (!frame) throw new Error(`template: ${s.pos}: undefined variable: ${d}`);
      frame.set(d, value);
    } else s.vars[s.vars.length - 1]!.set(d, value);
  }
  return value;
}

function walk(s: State, dot: unknown, nodes: TemplateNode[], out: string[]): void {
  for (const n of nodes) {
    if (n.kind === 'text') {
      out.push(n.text);
      continue;
    }
    s.pos = n.pos;
    if (n.kind === 'action') {
      const v = evalPipeline(s, dot, n.pipe);
      if (n.pipe.decl.length === 0) out.push(v === NO_VALUE ? '<no value>' : goValueString(v));
      continue;
    }
    s.vars.push(new Map());
    try {
      if (n.kind === 'range') {
        const decl = n.pipe.decl;
        const v = evalPipeline(s, dot, { ...n.pipe, decl: [] });
        const items: [unknown, unknown][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v !== null && typeof v === 'object'
            ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
            : typeof v === 'number'
              ? Array.from({ length: v }, (_x, i) => [i, i])
              : [];
        if (v !== null && v !== undefined && v !== NO_VALUE && typeof v !== 'object' && typeof v !== 'number') {
          throw new Error(`template: ${n.pos}: range can't iterate over ${goValueString(v)}`);
        }
        if (items.length === 0) walk(s, dot, n.elseList, out);
        for (const [k, x] of items) {
          if (decl.length === 1) s.vars[s.vars.length - 1]!.set(decl[0]!, x);
          if (decl.length === 2) {
            s.vars[s.vars.length - 1]!.set(decl[0]!, k);
            s.vars[s.vars.length - 1]!.set(decl[1]!, x);
          }
          walk(s, x, n.list, out);
        }
      } else {
        const v = evalPipeline(s, dot, n.pipe);
        if (truth(v)) walk(s, n.kind === 'with' ? v : dot, n.list, out);
        else walk(s, dot, n.elseList, out);
      }
    } finally {
      s.vars.pop();
    }
  }
}

/** A parsed `--format` template that can be run against many rows. */
export class GoTemplate {
  readonly parsed: ParsedTemplate;

  constructor(readonly source: string) {
    this.parsed = parseTemplate(source);
  }

  /** Runs the template; failures throw `invalid-argument` with Go's `template: ...` wording. */
  execute(data: unknown, funcs: Readonly<Record<string, TemplateFunc>> = BASIC_FUNCS): string {
    const out: string[] = [];
    const s: State = { funcs, vars: [new Map([['$', data]])], pos: ':1:0' };
    try {
      walk(s, data, this.parsed.nodes, out);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err), err);
    }
    return out.join('');
  }
}

/** Parses and runs a template once. */
export function renderTemplate(source: string, data: unknown, funcs?: Readonly<Record<string, TemplateFunc>>): string {
  return new GoTemplate(source).execute(data, funcs);
}
