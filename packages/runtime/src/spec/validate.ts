// Validates a config.json against the OCI runtime-spec JSON schema (copied under assets/ with its LICENSE).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { TdockError } from '@tdock/core';
import type { OciSpec } from './types.js';

/** The directory holding the runtime-spec schema files. */
export const OCI_SCHEMA_DIR = fileURLToPath(new URL('../../../assets/oci-runtime-spec/', import.meta.url));

/**
 * Compiles the runtime-spec config schema. The files are draft-04; their only draft-04 specifics are the
 * `$schema` keys, which are dropped, and the relative `$ref`s resolve through per-file `$id`s.
 */
export function compileSpecValidator(dir: string = OCI_SCHEMA_DIR): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  const base = 'https://tdock.invalid/oci/';
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    schema.$id = base + file;
    ajv.addSchema(schema);
  }
  const validate = ajv.getSchema(`${base}config-schema.json`);
  if (!validate) throw new TdockError('internal', 'OCI config schema missing');
  return validate;
}

/** Checks `value` against the schema; throws invalid-argument naming the first problem. */
export function validateSpec(value: unknown, validate: ValidateFunction = compileSpecValidator()): OciSpec {
  if (!validate(value)) {
    const e = validate.errors?.[0];
    throw new TdockError('invalid-argument', `invalid config.json: ${e?.instancePath || '/'} ${e?.message ?? 'does not match the runtime-spec schema'}`);
  }
  return value as OciSpec;
}
