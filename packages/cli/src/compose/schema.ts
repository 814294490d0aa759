import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { invalidArgument } from '@tdock/core';
import { formatPath } from './interpolate.js';
import type { YamlValue } from './types.js';

/** Absolute path of the bundled compose-spec JSON schema (packages/cli/assets/compose/compose-spec.json). */
export function composeSchemaPath(): string {
  return fileURLToPath(new URL('../../../assets/compose/compose-spec.json', import.meta.url));
}

/** Absolute path of the precompiled validator generated from the schema (`generate-validator.mjs`). */
export function composeValidatorModulePath(): string {
  return fileURLToPath(new URL('../../../assets/compose/compose-spec-validator.gen', import.meta.url));
}

/**
 * V8's code cache for the precompiled validator (after the sha256 of the module's text), written by `npm run build`
 * ({@link writeComposeValidatorCache}) into packages/cli/dist. Its 400 kB of generated code cost every
 * `tdock compose` run 25 to 30 ms of compiling (the module, then its large functions on first call);
 * with the cache V8 deserializes them instead. A cache from another Node version is rejected by V8
 * and the code compiles as before.
 */
export function composeValidatorCachePath(): string {
  return fileURLToPath(new URL('../../compose-spec-validator.v8cache', import.meta.url));
}

type CacheState = 'accepted' | 'rejected' | 'missing' | 'stale';

/**
 * Loads the generated CommonJS validator through vm.Script so that V8's code cache can be used. The
 * cache file starts with the sha256 of the module's text: V8 itself checks only the text's length
 * (and its own version and flags), so the hash keeps a cache written for other text of the same
 * length from being taken.
 */
function loadPrecompiled(modulePath: string, cachePath: string | undefined): { validate: RawValidate; script: vm.Script; sha: Buffer; cache: CacheState } {
  const text = readFileSync(modulePath);
  const sha = createHash('sha256').update(text).digest();
  const raw = cachePath === undefined ? undefined : readIfExists(cachePath);
  const cache: CacheState = raw === undefined ? 'missing' : raw.length > sha.length && raw.subarray(0, sha.length).equals(sha) ? 'accepted' : 'stale';
  const cachedData = cache === 'accepted' ? raw!.subarray(sha.length) : undefined;
  const script = new vm.Script(`(function (exports, require, module) {${text.toString('utf8')}\n})`, { filename: modulePath, ...(cachedData ? { cachedData } : {}) });
  const mod: { exports: unknown } = { exports: {} };
  (script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: { exports: unknown }) => void)(mod.exports, createRequire(modulePath), mod);
  return { validate: mod.exports as RawValidate, script, sha, cache: cachedData && script.cachedDataRejected === true ? 'rejected' : cache };
}

/** Whether V8 takes the code cache for the validator in this process (a test keeps the build's taken). */
export function composeValidatorCacheState(cachePath: string = composeValidatorCachePath()): CacheState {
  return loadPrecompiled(composeValidatorModulePath(), cachePath).cache;
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes {@link composeValidatorCachePath}: loads the validator without a cache, validates the given
 * documents so that the functions they reach are compiled too, and saves V8's code for all of it.
 * Run by the build (scripts/bundle-cli.mjs) in a Node started without V8 flags, as the CLI is.
 */
export function writeComposeValidatorCache(samples: unknown[], cachePath: string = composeValidatorCachePath()): number {
  const { validate, script, sha } = loadPrecompiled(composeValidatorModulePath(), undefined);
  for (const doc of samples) validate(doc);
  const data = script.createCachedData();
  writeFileSync(cachePath, Buffer.concat([sha, data]));
  return data.length;
}

/** Validates a Compose file's tree; throws `invalid-argument` naming the file, key path and expectation. */
export type ComposeValidator = (doc: YamlValue, filename: string) => void;

function pathSegments(instancePath: string, doc: YamlValue): (string | number)[] {
  const out: (string | number)[] = [];
  let cur: YamlValue | undefined = doc;
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, YamlValue>)[seg] : undefined;
    }
  }
  return out;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function describe(errors: ErrorObject[], doc: YamlValue): string {
  const path = (e: ErrorObject): string => formatPath(pathSegments(e.instancePath, doc)) || '(root)';
  const extra = errors.find((e) => e.keyword === 'additionalProperties');
  if (extra) {
    return `${path(extra)} additional property '${(extra.params as { additionalProperty: string }).additionalProperty}' is not allowed`;
  }
  const concrete = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'then', 'else', 'not'].includes(e.keyword));
  const pool = concrete.length > 0 ? concrete : errors;
  const depth = (e: ErrorObject): number => (e.instancePath === '' ? 0 : e.instancePath.split('/').length);
  const deepest = Math.max(...pool.map(depth));
  const atDeepest = pool.filter((e) => depth(e) === deepest);
  const types = atDeepest.filter((e) => e.keyword === 'type');
  if (types.length === atDeepest.length && types.length > 0) {
    const names = new Set<string>();
    for (const t of types) {
      const ty = (t.params as { type: string | string[] }).type;
      for (const n of Array.isArray(ty) ? ty : [ty]) names.add(ARTICLE[n] ?? n);
    }
    const list = [...names];
    const text = list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]!}`;
    return `${path(types[0]!)} must be ${text}`;
  }
  const e = atDeepest.find((x) => x.keyword !== 'type') ?? atDeepest[0]!;
  switch (e.keyword) {
    case 'required':
      return `${path(e)} must have required property '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'enum':
      return `${path(e)} must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
    default:
      return `${path(e)} ${e.message ?? 'is invalid'}`;
  }
}

type RawValidate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** True when the precompiled module was generated from exactly this schema file. */
export function precompiledValidatorMatches(schemaPath: string = composeSchemaPath(), modulePath: string = composeValidatorModulePath()): boolean {
  if (!existsSync(modulePath)) return false;
  const sha = createHash('sha256').update(readFileSync(schemaPath)).digest('hex');
  const head = readFileSync(modulePath, 'utf8').slice(0, 300);
  return head.includes(`sha256 ${sha}`);
}

function compileRaw(schemaPath: string): RawValidate {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  delete schema['$schema'];
  // Loaded lazily: the ajv compiler is only needed when the precompiled module is stale or absent.
  const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
  // Keep in sync with assets/compose/generate-validator.mjs.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, allowUnionTypes: true });
  const validate: ValidateFunction = ajv.compile(schema);
  return validate;
}

/**
 * The compose-spec validator: for the bundled schema, the module precompiled from it in assets/
 * (a unit test keeps the two in step: {@link precompiledValidatorMatches}; checking the hash here cost
 * every `tdock compose` run a read and hash of both files); for another schema, or when the module
 * is missing, the schema compiled with ajv now (draft-07, `strict: false`, unknown formats ignored;
 * 1-2 s). Create once per process and reuse.
 */
export function createComposeValidator(schemaPath: string = composeSchemaPath()): ComposeValidator {
  const modulePath = composeValidatorModulePath();
  const validate: RawValidate =
    schemaPath === composeSchemaPath() && existsSync(modulePath)
      ? loadPrecompiled(modulePath, composeValidatorCachePath()).validate
      : compileRaw(schemaPath);
  return (doc, filename) => {
    if (validate(doc)) return;
    throw invalidArgument(`validating ${filename}: ${describe(validate.errors ?? [], doc)}`);
  };
}
