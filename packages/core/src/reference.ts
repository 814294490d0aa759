/**
 * Image references, parsed and normalised exactly as Docker's distribution/reference package does
 * (`Parse`, `ParseNormalizedNamed`, `ParseDockerRef`, `FamiliarString`, ...), with Docker's error
 * wording. `alpine` is `docker.io/library/alpine`; `localhost:5000/a/b:t` keeps its domain.
 */
import { digestError } from './digest.js';
import { TdockError } from './errors.js';

/**
 * A parsed image reference. `domain` is empty only for references from {@link parseReference} that
 * named no domain; every normalised reference has one. A reference with neither tag nor digest is
 * "name only" (see {@link tagNameOnly}).
 */
export interface Reference {
  /** Registry host, with port if any (`docker.io`, `localhost:5000`, `[::1]:5000`). */
  readonly domain: string;
  /** Repository path inside the registry (`library/alpine`, `a/b`). */
  readonly path: string;
  readonly tag?: string;
  /** `algorithm:hex`, validated. */
  readonly digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference regexp.go, term for term.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPat}$`);
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/;

/** Docker's reference error messages (distribution/reference's Err* values). */
export const REFERENCE_ERRORS = {
  invalidFormat: 'invalid reference format',
  tagInvalidFormat: 'invalid tag format',
  nameContainsUppercase: 'repository name must be lowercase',
  nameEmpty: 'repository name must have at least one component',
  nameTooLong: `repository name must not be more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters`,
  nameNotCanonical: 'repository name must be canonical',
} as const;

const invalid = (message: string): TdockError => new TdockError('invalid-argument', message);

/**
 * distribution/reference `Parse`: a reference exactly as written, without normalisation (`domain`
 * is `''` when none is given, `library/` is not added). Throws an `invalid-argument` TdockError.
 */
export function parseReference(s: string): Reference {
  if (s === '') throw invalid(REFERENCE_ERRORS.nameEmpty);
  const m = referenceRegexp.exec(s);
  if (m === null) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) throw invalid(REFERENCE_ERRORS.nameContainsUppercase);
    throw invalid(REFERENCE_ERRORS.invalidFormat);
  }
  const nameMatch = anchoredNameRegexp.exec(m[1] ?? '');
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch?.[2] ?? m[1] ?? '';
  if (path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw invalid(REFERENCE_ERRORS.nameTooLong);
  const digest = m[3];
  if (digest !== undefined) {
    const err = digestError(digest);
    if (err !== undefined) throw invalid(err);
  }
  return build(domain, path, m[2], digest);
}

/**
 * distribution/reference `ParseNormalizedNamed`: what `docker pull NAME` accepts. Adds `docker.io`
 * and `library/` as Docker does; does not add a tag (see {@link parseDockerRef}).
 */
export function parseNormalizedNamed(s: string): Reference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * distribution/reference `ParseDockerRef`: normalised, with `latest` added to a name-only
 * reference, and the tag dropped when a digest is present (the digest wins).
 */
export function parseDockerRef(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag !== undefined && ref.digest !== undefined) return build(ref.domain, ref.path, undefined, ref.digest);
  return tagNameOnly(ref);
}

/** Splits a repository name into domain and remainder with Docker's defaults (`splitDockerDomain`). */
export function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === LEGACY_DEFAULT_DOMAIN) {
    [domain, remote] = [DEFAULT_DOMAIN, maybeRemote];
  } else if (maybeDomain === 'localhost' || /[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else {
    [domain, remote] = [DEFAULT_DOMAIN, name];
  }
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/** distribution/reference `WithName`: a name-only reference from `domain/path` (not normalised). */
export function withName(name: string): Reference {
  const m = anchoredNameRegexp.exec(name);
  if (m === null) throw invalid(REFERENCE_ERRORS.invalidFormat);
  if ((m[2] ?? '').length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw invalid(REFERENCE_ERRORS.nameTooLong);
  return build(m[1] ?? '', m[2] ?? '', undefined, undefined);
}

/** The reference with `tag` set (the digest, if any, is kept as Docker's `WithTag` does). */
export function withTag(ref: Reference, tag: string): Reference {
  if (!anchoredTagRegexp.test(tag)) throw invalid(REFERENCE_ERRORS.tagInvalidFormat);
  return build(ref.domain, ref.path, tag, ref.digest);
}

/** The reference with `digest` set (the tag, if any, is kept as Docker's `WithDigest` does). */
export function withDigest(ref: Reference, digest: string): Reference {
  const err = digestError(digest);
  if (err !== undefined || !new RegExp(`^${digestPat}$`).test(digest)) throw invalid(err ?? 'invalid digest format');
  return build(ref.domain, ref.path, ref.tag, digest);
}

/** The reference without tag and digest. */
export function trimReference(ref: Reference): Reference {
  return build(ref.domain, ref.path, undefined, undefined);
}

/** True when the reference has neither tag nor digest. */
export function isNameOnly(ref: Reference): boolean {
  return ref.tag === undefined && ref.digest === undefined;
}

/** `latest` added to a name-only reference; others returned unchanged. */
export function tagNameOnly(ref: Reference): Reference {
  return isNameOnly(ref) ? build(ref.domain, ref.path, DEFAULT_TAG, undefined) : ref;
}

/** The full repository name, `domain/path` (`docker.io/library/alpine`). */
export function referenceName(ref: Reference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The full reference string (`docker.io/library/alpine:latest@sha256:...`). */
export function referenceString(ref: Reference): string {
  return referenceName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Docker's `FamiliarName`: `alpine`, `user/app`, `localhost:5000/a/b`. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return referenceName(ref);
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

/** Docker's `FamiliarString`: `alpine:latest`, `user/app:v1`, `alpine@sha256:...`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

function build(domain: string, path: string, tag: string | undefined, digest: string | undefined): Reference {
  const ref: { domain: string; path: string; tag?: string; digest?: string } = { domain, path };
  if (tag !== undefined && tag !== '') ref.tag = tag;
  if (digest !== undefined && digest !== '') ref.digest = digest;
  return Object.freeze(ref);
}

/** Go's `path.Match` pattern as an anchored RegExp; throws `syntax error in pattern` (ErrBadPattern). */
function globRegExp(pattern: string): RegExp {
  const bad = (): TdockError => invalid('syntax error in pattern');
  const esc = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw bad();
      out += esc(pattern[++i] as string);
    } else if (c === '[') {
      let cls = '[';
      i++;
      if (pattern[i] === '^') {
        cls += '^';
        i++;
      }
      let first = true;
      while (first || pattern[i] !== ']') {
        first = false;
        const one = (): string => {
          let ch = pattern[i];
          if (ch === undefined || ch === '-' || ch === ']') throw bad();
          if (ch === '\\') ch = pattern[++i];
          if (ch === undefined) throw bad();
          i++;
          return ch;
        };
        const lo = one();
        let item = esc(lo);
        if (pattern[i] === '-') {
          i++;
          const hi = one();
          if (hi < lo) throw bad();
          item = `${esc(lo)}-${esc(hi)}`;
        }
        cls += item;
        if (i >= pattern.length) throw bad();
      }
      out += `${cls}]`;
    } else out += esc(c);
  }
  return new RegExp(`^${out}$`);
}

/**
 * Docker's `FamiliarMatch` (used by `docker images --filter reference=...`): Go `path.Match` of the
 * pattern against the familiar string, then against the familiar name.
 */
export function familiarMatch(pattern: string, ref: Reference): boolean {
  const re = globRegExp(pattern);
  return re.test(familiarString(ref)) || re.test(familiarName(ref));
}
