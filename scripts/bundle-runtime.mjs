// The runtime's build steps after tsc. (1) Precompiles the OCI config validator with ajv's standalone
// code into packages/runtime/dist/src/spec/oci-config-validator.cjs (compiling the schema at run time
// cost about 0.4 s of CPU per process). (2) Bundles the runtime's two process entries with esbuild, each into one CommonJS file in
// packages/runtime/dist/src/bundle/: shim.cjs (from dist/src/shim/main.js, with @tdock/core and the
// lazily imported rest of the shim) and init.cjs (from dist/src/init/init.cjs with the sys files).
// koffi and its native package stay external (found relative to their own files). One CommonJS file
// starts faster than the ESM graph it replaces (docs/runtime.md, "Start-up"). The bundles sit at the
// same depth as dist/src/shim/, so paths relative to import.meta.url still resolve; the runtime
// uses a bundle only when it is at least as new as the compiled file (src/entry-path.ts).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/runtime/dist/src');
const outdir = path.join(dist, 'bundle');
const { specValidatorSource, PRECOMPILED_SPEC_VALIDATOR } = await import(path.join(dist, 'spec/validate.js'));
fs.writeFileSync(`${PRECOMPILED_SPEC_VALIDATOR}.tmp`, specValidatorSource());
fs.renameSync(`${PRECOMPILED_SPEC_VALIDATOR}.tmp`, PRECOMPILED_SPEC_VALIDATOR);

fs.rmSync(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi', '@koromix/*'],
  define: { 'import.meta.url': '__tdockMetaUrl' },
  banner: { js: "'use strict'; const __tdockMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [path.join(dist, 'shim/main.js')], outfile: path.join(outdir, 'shim.cjs') });
await build({ ...common, entryPoints: [path.join(dist, 'init/init.cjs')], outfile: path.join(outdir, 'init.cjs') });
