// Validates a config.json against the OCI runtime-spec JSON schema (copied under assets/ with its LICENSE).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { TdockError } from '@tdock/core';
import type { OciSpec } from './types.js';

const require = createRequire(import.meta.url);

/** The directory holding the runtime-spec schema files. */
export const OCI_SCHEMA_DIR = fileURLToPath(new URL('../../../assets/oci-runtime-spec/', import.meta.url));

/** The validator precompiled at build time (ajv's standalone code, written by scripts/bundle-runtime.mjs). */
export const PRECOMPILED_SPEC_VALIDATOR = fileURLToPath(new URL('./oci-config-validator.cjs', import.meta.url));

const BASE = 'https://tdock.invalid/oci/';

/**
 * The files are draft-04; their only draft-04 specifics are the `$schema` keys, which are dropped, and
 * the relative `$ref`s resolve through per-file `$id`s. ajv is loaded here only, not at import.
 */
function schemaAjv(dir: string, source: boolean): AjvClass {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false, ...(source ? { code: { source: true } } : {}) });
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    schema.$id = BASE + file;
    ajv.addSchema(schema);
  }
  return ajv;
}

function configSchema(ajv: AjvClass): ValidateFunction {
  const validate = ajv.getSchema(`${BASE}config-schema.json`);
  if (!validate) throw new TdockError('internal', 'OCI config schema missing');
  return validate;
}

/** Compiles the runtime-spec config schema (about 0.4 s of CPU here; {@link loadSpecValidator} avoids it). */
export function compileSpecValidator(dir: string = OCI_SCHEMA_DIR): ValidateFunction {
  return configSchema(schemaAjv(dir, false));
}

/** A CommonJS module exporting the compiled config validator (ajv standalone code), for the build. */
export function specValidatorSource(dir: string = OCI_SCHEMA_DIR): string {
  const ajv = schemaAjv(dir, true);
  const standaloneCode = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default;
  return standaloneCode(ajv, configSchema(ajv));
}

/**
 * The precompiled validator when it exists and is newer than every schema file in `dir` (the build
 * writes it from the same files), else {@link compileSpecValidator}.
 */
export function loadSpecValidator(dir: string = OCI_SCHEMA_DIR): ValidateFunction {
  const built = fs.statSync(PRECOMPILED_SPEC_VALIDATOR, { throwIfNoEntry: false })?.mtimeMs;
  if (built !== undefined && path.resolve(dir) === path.resolve(OCI_SCHEMA_DIR)) {
    const newest = Math.max(...fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
    if (built >= newest) return require(PRECOMPILED_SPEC_VALIDATOR) as ValidateFunction;
  }
  return compileSpecValidator(dir);
}

/** Checks `value` against the schema; throws invalid-argument naming the first problem. */
export function validateSpec(value: unknown, validate: ValidateFunction = loadSpecValidator()): OciSpec {
  if (!validate(value)) {
    const e = validate.errors?.[0];
    throw new TdockError('invalid-argument', `invalid config.json: ${e?.instancePath || '/'} ${e?.message ?? 'does not match the runtime-spec schema'}`);
  }
  return value as OciSpec;
}
