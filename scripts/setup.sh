#!/usr/bin/env bash
# Sets tdock up on a fresh Debian machine (as root) and runs the main job.
# Installs system packages and npm dependencies, builds, puts tdock and tdockd on PATH,
# and builds the offline image kit (cached under /var/cache/tdock-kit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run build
for bin in packages/cli/bin/tdock.js packages/engine/bin/tdockd.js; do
  ln -sf "$PWD/$bin" "/usr/local/bin/$(basename "$bin" .js)"
done
node packages/testkit/dist/src/cli.js fixtures
tdock --version
tdockd --version
