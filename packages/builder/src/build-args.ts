/**
 * Build arguments with the legacy builder's scoping (moby `daemon/builder/dockerfile/buildargs.go`): meta ARGs
 * before FROM are usable in FROM lines; each stage starts with no allowed args and re-declares what it uses; a
 * `--build-arg` overrides a declared default; the proxy args are always allowed but stay out of history unless
 * declared; unused `--build-arg`s produce docker's warning.
 */

/** The predefined proxy args: passed to RUN without an ARG, never recorded in history unless declared. */
export const BUILTIN_BUILD_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];
const BUILTIN = new Set(BUILTIN_BUILD_ARGS);

/** `--build-arg` values; `null` is a name given without a value (and not found in the client's environment). */
export type BuildArgOptions = Readonly<Record<string, string | null>>;

/** The args state of one stage walk (mutable, owned by the walk; {@link clone} it for a new stage). */
export class BuildArgs {
  private allowed = new Map<string, string | undefined>();
  private readonly meta = new Map<string, string | undefined>();
  private readonly referenced = new Set<string>();

  constructor(private readonly fromOptions: BuildArgOptions = {}) {}

  /** A copy sharing the options; the next stage uses `clone().resetAllowed()`. */
  clone(): BuildArgs {
    const c = new BuildArgs(this.fromOptions);
    for (const [k, v] of this.allowed) c.allowed.set(k, v);
    for (const [k, v] of this.meta) c.meta.set(k, v);
    for (const k of this.referenced) c.referenced.add(k);
    return c;
  }

  /** Forgets the args declared so far (at FROM). */
  resetAllowed(): this {
    this.allowed = new Map();
    return this;
  }

  /** Records the args another stage referenced (for the unused-args warning). */
  mergeReferenced(other: BuildArgs): void {
    for (const k of other.referenced) this.referenced.add(k);
  }

  /** An ARG before the first FROM. */
  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value);
  }

  /** An ARG in a stage (or a meta ARG, which is also allowed in the meta scope). */
  addArg(key: string, value: string | undefined): void {
    this.allowed.set(key, value);
    this.referenced.add(key);
  }

  /** Whether `key` belongs in history: declared, or not a proxy arg. */
  isReferencedOrNotBuiltin(key: string): boolean {
    return this.allowed.has(key) || !BUILTIN.has(key);
  }

  private value(key: string, source: Map<string, string | undefined>): string | undefined {
    const opt = this.fromOptions[key];
    if (Object.prototype.hasOwnProperty.call(this.fromOptions, key) && opt !== null && opt !== undefined) return opt;
    if (!source.has(key) || source.get(key) === undefined) {
      const m = this.meta.get(key);
      return m;
    }
    return source.get(key);
  }

  private all(source: Map<string, string | undefined>): Map<string, string> {
    const out = new Map<string, string>();
    for (const key of new Set([...source.keys(), ...BUILTIN_BUILD_ARGS])) {
      const v = this.value(key, source);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  /** Args usable by instructions of the current stage. */
  allAllowed(): Map<string, string> {
    return this.all(this.allowed);
  }

  /** Args usable in FROM lines. */
  allMeta(): Map<string, string> {
    return this.all(this.meta);
  }

  /** Allowed args as `K=v`, minus keys set in `env` (FilterAllowed), sorted by key for determinism. */
  filterAllowed(env: readonly string[]): string[] {
    const keys = new Set(env.map((e) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e)));
    return [...this.allAllowed()].filter(([k]) => !keys.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  }

  /** docker's warning for `--build-arg`s no stage declared, or undefined. */
  unusedWarning(): string | undefined {
    const left = Object.keys(this.fromOptions).filter((k) => !this.referenced.has(k) && !BUILTIN.has(k)).sort();
    return left.length > 0 ? `[Warning] One or more build-args [${left.join(' ')}] were not consumed` : undefined;
  }
}
