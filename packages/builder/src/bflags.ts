/**
 * Instruction flags (`--from=x`, `--link`), BuildKit's `BFlags`, and its "did you mean" suggestions
 * (`util/suggest`, Levenshtein distance below 3).
 */

/** Levenshtein distance (insert, delete, substitute cost 1). */
export function levenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/** The closest option within distance 2, matched to the case of `val` when not case-sensitive. */
export function suggest(val: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  const v = caseSensitive ? val : val.toLowerCase();
  let match: string | undefined;
  let min = 3;
  for (const o of [...options].sort()) {
    const opt = caseSensitive ? o : o.toLowerCase();
    if (v === opt) return undefined;
    const d = levenshtein(v, opt);
    if (d < min) {
      min = d;
      if (caseSensitive) match = opt;
      else if (val === val.toLowerCase()) match = opt.toLowerCase();
      else if (val === val.toUpperCase()) match = opt.toUpperCase();
      else match = opt;
    }
  }
  return match;
}

/** Appends ` (did you mean x?)` when an option is close. */
export function withSuggestion(message: string, val: string, options: readonly string[], caseSensitive: boolean): string {
  const m = suggest(val, options, caseSensitive);
  return m ? `${message} (did you mean ${m}?)` : message;
}

type FlagType = 'bool' | 'string' | 'strings';

/** The declared flags of one instruction, parsed from its `--name=value` words. */
export class BFlags {
  private readonly types = new Map<string, FlagType>();
  private readonly values = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();
  private readonly used = new Set<string>();

  constructor(private readonly args: readonly string[]) {}

  addBool(name: string, def = false): this {
    this.types.set(name, 'bool');
    this.values.set(name, def ? 'true' : 'false');
    return this;
  }
  addString(name: string, def = ''): this {
    this.types.set(name, 'string');
    this.values.set(name, def);
    return this;
  }
  addStrings(name: string): this {
    this.types.set(name, 'strings');
    this.lists.set(name, []);
    return this;
  }

  /** Parses the words; throws an Error worded as BuildKit's. Stops at `--`. */
  parse(): this {
    for (const a of this.args) {
      if (a === '--') return this;
      if (!a.startsWith('--')) throw new Error(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const value = eq < 0 ? '' : a.slice(eq + 1);
      const hasValue = eq >= 0;
      const name = flagName.slice(2);
      const type = this.types.get(name);
      if (!type) throw new Error(withSuggestion(`unknown flag: ${flagName}`, name, [...this.types.keys()], true));
      if (this.used.has(name) && type !== 'strings') throw new Error(`duplicate flag specified: ${flagName}`);
      this.used.add(name);
      if (type === 'bool') {
        if (hasValue && value === '') throw new Error(`missing a value on flag: ${flagName}`);
        const v = value.toLowerCase();
        if (v === 'true' || v === '') this.values.set(name, 'true');
        else if (v === 'false') this.values.set(name, 'false');
        else throw new Error(`expecting boolean value for flag ${flagName}, not: ${value}`);
      } else {
        if (!hasValue) throw new Error(`missing a value on flag: ${flagName}`);
        if (type === 'string') this.values.set(name, value);
        else this.lists.get(name)?.push(value);
      }
    }
    return this;
  }

  string(name: string): string {
    return this.values.get(name) ?? '';
  }
  bool(name: string): boolean {
    return this.values.get(name) === 'true';
  }
  strings(name: string): string[] {
    return this.lists.get(name) ?? [];
  }
  isUsed(name: string): boolean {
    return this.used.has(name);
  }
  usedNames(): string[] {
    return [...this.used];
  }
}
