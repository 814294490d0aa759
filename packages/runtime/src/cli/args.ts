// A small argv parser for runc-style command lines: global flags, a verb, verb flags, positionals.
import { TdockError } from '@tdock/core';

/** How a flag is spelled and whether it takes a value (repeatable flags collect into arrays). */
export interface FlagSpec {
  names: string[];
  value?: boolean;
  repeat?: boolean;
}

/** Parsed flags (by first name, without dashes) and positionals. */
export interface Parsed {
  flags: Record<string, string | string[] | boolean>;
  positionals: string[];
}

/**
 * Parses `argv` against `specs`. Stops at the first positional when `stopAtPositional` is set (so a
 * verb's or a command's own flags are left for later). Supports `--x=v`, `--x v`, `-x v` and `--`.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], stopAtPositional = false): Parsed & { rest: string[] } {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      if (stopAtPositional) {
        i++;
        break;
      }
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const spec = byName.get(name);
    if (!spec) throw new TdockError('invalid-argument', `flag provided but not defined: ${a}`);
    const key = spec.names[0] as string;
    if (!spec.value) {
      flags[key] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      const next = argv[++i];
      if (next === undefined) throw new TdockError('invalid-argument', `flag needs an argument: ${a}`);
      value = next;
    }
    if (spec.repeat) flags[key] = [...((flags[key] as string[] | undefined) ?? []), value];
    else flags[key] = value;
  }
  return { flags, positionals, rest: argv.slice(i) };
}

/** A string flag's value, or `def`. */
export function str(p: Parsed, name: string, def?: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : def;
}
