#!/usr/bin/env node
// The tdockd executable: a thin entry that loads the compiled daemon.
import { main } from '../dist/src/main.js';

process.title = 'tdockd';
process.exitCode = await main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
