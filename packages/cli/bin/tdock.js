#!/usr/bin/env node
// The tdock executable: a thin entry that loads the compiled CLI. It exits as soon as the command
// is done (stdout and stderr are synchronous for files, pipes and terminals on Linux), so an open
// request such as a cancelled wait does not keep the process alive. A closed pipe on stdout
// (`tdock logs c | head`) ends the process quietly, as SIGPIPE ends docker.
import { main } from '../dist/src/main.js';

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => process.exit(err.code === 'EPIPE' ? 0 : 1));
}
process.exit(await main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }));
