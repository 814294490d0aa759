/**
 * `.dockerignore` with docker's semantics: moby/patternmatcher's `ignorefile.ReadAll` (comments, trimming, leading
 * `/` and `./` cleaned, `!` exceptions) and `PatternMatcher` (Go `filepath.Match` syntax plus `**`, last matching
 * pattern wins, a pattern matching a parent directory matches everything below it), and go-archive's rule for
 * skipping an excluded directory. Compiled once into a {@link DockerignoreMatcher}; pure, slash-separated paths.
 */
import { invalidArgument } from './errors.js';

/** Go's path.Clean for slash-separated paths. */
export function cleanSlashPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Reads `.dockerignore` text into patterns as `ignorefile.ReadAll` does (BOM, `#` comments, blank lines, cleaning). */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) return;
    let pattern = line.trim();
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanSlashPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? '!' + pattern : pattern);
  });
  return out;
}

const BAD_PATTERN = 'syntax error in pattern';

/** Throws when `p` is not a valid Go filepath.Match pattern (unclosed or malformed `[...]`, trailing `\`). */
function validateGlob(p: string): void {
  const c = Array.from(p);
  let i = 0;
  const getEsc = (): void => {
    if (i >= c.length || c[i] === '-' || c[i] === ']') throw invalidArgument(BAD_PATTERN);
    if (c[i] === '\\') {
      i++;
      if (i >= c.length) throw invalidArgument(BAD_PATTERN);
    }
    i++;
    if (i >= c.length) throw invalidArgument(BAD_PATTERN);
  };
  while (i < c.length) {
    const ch = c[i++];
    if (ch === '\\') {
      if (i >= c.length) throw invalidArgument(BAD_PATTERN);
      i++;
    } else if (ch === '[') {
      if (c[i] === '^') i++;
      for (let nrange = 0; ; nrange++) {
        if (c[i] === ']' && nrange > 0) {
          i++;
          break;
        }
        getEsc();
        if (c[i] === '-') {
          i++;
          getEsc();
        }
      }
    }
  }
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** One compiled pattern. `pattern` is the cleaned text without its `!`. */
export interface DockerignorePattern {
  readonly pattern: string;
  readonly exclusion: boolean;
}

class CompiledPattern implements DockerignorePattern {
  private readonly type: MatchType;
  private readonly re?: RegExp;

  constructor(readonly pattern: string, readonly exclusion: boolean) {
    let reStr = '^';
    let type: MatchType = 'exact';
    const c = Array.from(pattern);
    for (let k = 0, i = 0; k < c.length; i++) {
      const ch = c[k++];
      if (ch === '*') {
        if (c[k] === '*') {
          k++;
          if (c[k] === '/') k++;
          if (k >= c.length) {
            if (type === 'exact') type = 'prefix';
            else {
              reStr += '.*';
              type = 'regexp';
            }
          } else {
            reStr += '(.*/)?';
            type = 'regexp';
          }
          if (i === 0) type = 'suffix';
        } else {
          reStr += '[^/]*';
          type = 'regexp';
        }
      } else if (ch === '?') {
        reStr += '[^/]';
        type = 'regexp';
      } else if ('.+()|{}$'.includes(ch)) {
        reStr += '\\' + ch;
      } else if (ch === '\\') {
        const n = c[k++];
        reStr += /[A-Za-z0-9]/.test(n) ? n : '\\' + n;
        type = 'regexp';
      } else if (ch === '[' || ch === ']') {
        reStr += ch;
        type = 'regexp';
      } else {
        reStr += ch;
      }
    }
    if (type === 'regexp') {
      try {
        this.re = new RegExp(reStr + '$');
      } catch (err) {
        throw invalidArgument(BAD_PATTERN, err);
      }
    }
    this.type = type;
  }

  match(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.pattern;
      case 'prefix':
        return path.startsWith(this.pattern.slice(0, -2));
      case 'suffix': {
        const suffix = this.pattern.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      default:
        return (this.re as RegExp).test(path);
    }
  }
}

/** Per-pattern results for a directory, handed to the matching of its children (patternmatcher's MatchInfo). */
export interface ParentMatchInfo {
  readonly parentMatched: readonly boolean[];
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return cleanSlashPath(p.slice(0, i + 1) || '/');
}

/** A compiled set of `.dockerignore` patterns. Immutable; safe to share. */
export class DockerignoreMatcher {
  private readonly compiled: CompiledPattern[];
  /** True when any pattern is a `!` exception. */
  readonly hasExclusions: boolean;

  /** Compiles patterns as patternmatcher.New does; throws `invalid-argument` on `!` alone or a bad pattern. */
  constructor(patterns: readonly string[]) {
    this.compiled = [];
    for (let p of patterns) {
      p = p.trim();
      if (p === '') continue;
      p = cleanSlashPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw invalidArgument('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
      }
      validateGlob(p);
      this.compiled.push(new CompiledPattern(p, exclusion));
    }
    this.hasExclusions = this.compiled.some((p) => p.exclusion);
  }

  /** The patterns in order. */
  get patterns(): readonly DockerignorePattern[] {
    return this.compiled;
  }

  /** Whether `path` (slash-separated, relative to the context) is excluded: MatchesOrParentMatches. */
  matches(path: string): boolean {
    let matched = false;
    const parent = dirOf(path);
    const parentDirs = parent.split('/');
    for (const pattern of this.compiled) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(path);
      if (!match && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i++) match = pattern.match(parentDirs.slice(0, i + 1).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * The walker's form (MatchesUsingParentResults): pass the info returned for the parent directory (or nothing
   * for a top-level entry) to avoid re-matching parents.
   */
  matchWithParent(path: string, parent?: ParentMatchInfo): { excluded: boolean; info: ParentMatchInfo } {
    const parentMatched = parent?.parentMatched ?? [];
    if (parentMatched.length !== 0 && parentMatched.length !== this.compiled.length) {
      throw invalidArgument('wrong number of values in parentMatched');
    }
    let matched = false;
    const info: boolean[] = new Array<boolean>(this.compiled.length).fill(false);
    this.compiled.forEach((pattern, i) => {
      let match = parentMatched.length !== 0 ? parentMatched[i] : false;
      if (!match) {
        if (pattern.exclusion !== matched) return;
        match = pattern.match(path);
        if (!match && parentMatched.length === 0) {
          const parentPath = dirOf(path);
          if (parentPath !== '.') {
            const dirs = parentPath.split('/');
            for (let j = 0; j < dirs.length && !match; j++) match = pattern.match(dirs.slice(0, j + 1).join('/'));
          }
        }
      }
      info[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { excluded: matched, info: { parentMatched: info } };
  }

  /**
   * For an excluded directory: whether a walker may skip it entirely (go-archive's rule: yes unless an exception
   * pattern starts inside it, e.g. `!dir/keep`).
   */
  canSkipExcludedDir(dir: string): boolean {
    if (!this.hasExclusions) return true;
    const dirSlash = dir + '/';
    return !this.compiled.some((p) => p.exclusion && (p.pattern + '/').startsWith(dirSlash));
  }
}

/** Reads and compiles `.dockerignore` text. */
export function compileDockerignore(text: string): DockerignoreMatcher {
  return new DockerignoreMatcher(readDockerignore(text));
}

/**
 * patternmatcher's deprecated `Matches` (only one parent level is checked, `.` never matches), which docker/cli
 * still uses to decide whether the Dockerfile and `.dockerignore` must be re-included.
 */
export function legacyPatternMatches(file: string, patterns: readonly string[]): boolean {
  const m = new DockerignoreMatcher(patterns);
  const f = cleanSlashPath(file);
  if (f === '.') return false;
  let matched = false;
  const parent = dirOf(f);
  const parentDirs = parent.split('/');
  for (const pattern of m.patterns as CompiledPattern[]) {
    if (pattern.exclusion !== matched) continue;
    let match = pattern.match(f);
    if (!match && parent !== '.') {
      const depth = pattern.pattern.split('/').length;
      if (depth <= parentDirs.length) match = pattern.match(parentDirs.slice(0, depth).join('/'));
    }
    if (match) matched = !pattern.exclusion;
  }
  return matched;
}

/**
 * docker/cli's TrimBuildFilesFromExcludes: the CLI always sends `.dockerignore` and the Dockerfile (unless it came
 * from stdin) even when the patterns exclude them; the daemon removes them afterwards.
 */
export function trimBuildFilesFromExcludes(excludes: readonly string[], dockerfile: string, dockerfileFromStdin = false): string[] {
  const out = [...excludes];
  if (legacyPatternMatches('.dockerignore', out)) out.push('!.dockerignore');
  if (legacyPatternMatches(dockerfile, out) && !dockerfileFromStdin) out.push('!' + dockerfile);
  return out;
}
