#!/usr/bin/env bash
# Runs the whole test suite: typecheck, lint, unit and integration tests, e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run build
# Build (or reuse) the offline image kit before the clock of any test starts.
node packages/testkit/dist/src/cli.js fixtures
npm test
