#!/usr/bin/env node
// The tdock executable: a thin entry that loads the CLI, bundled (scripts/bundle-cli.mjs) when the
// bundle is at least as new as the compiled modules, else the compiled modules. `--version` is answered before any module loads (a test
// keeps this version equal to core's TDOCK_VERSION). The process exits as soon as the command is
// done (stdout and stderr are synchronous for files, pipes and terminals on Linux), so an open
// request such as a cancelled wait does not keep it alive. A closed pipe on stdout
// (`tdock logs c | head`) ends it quietly, as SIGPIPE ends docker.
import { readFileSync, statSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`tdock version ${version}, build unknown\n`);
  process.exit(0);
}
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => process.exit(err.code === 'EPIPE' ? 0 : 1));
}
const bundle = new URL('../dist/src/bundle/main.mjs', import.meta.url);
const compiled = new URL('../dist/src/main.js', import.meta.url);
// A bundle older than the compiled code (tsc -b ran, the bundler did not) is stale: skip it.
const fresh = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs >= (statSync(compiled, { throwIfNoEntry: false })?.mtimeMs ?? Infinity);
const { main } = await import(fresh ? bundle.href : compiled.href);
process.exit(await main(argv, { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }));
