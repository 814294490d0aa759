#!/usr/bin/env node
// The tdock executable: a thin entry that loads the compiled CLI. It exits as soon as the command
// is done (stdout and stderr are synchronous for files, pipes and terminals on Linux), so an open
// request such as a cancelled wait does not keep the process alive.
import { main } from '../dist/src/main.js';

process.exit(await main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }));
