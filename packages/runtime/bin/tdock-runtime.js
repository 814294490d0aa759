#!/usr/bin/env node
// tdock-runtime: a runc-compatible command line (packages/runtime/src/cli/main.ts).
import '../dist/src/cli/main.js';
