#!/usr/bin/env node
// The tdock executable: a thin entry that loads the compiled CLI.
import { main } from '../dist/src/main.js';

process.exitCode = await main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
