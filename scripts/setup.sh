#!/usr/bin/env bash
# Sets tdock up on a fresh Debian machine (as root) and runs the main job.
# Installs system packages and npm dependencies, builds, puts tdock and tdockd on PATH,
# builds the offline image kit (cached under /var/cache/tdock-kit), starts tdockd and runs a
# container from the kit's busybox image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run build
for bin in packages/cli/bin/tdock.js packages/engine/bin/tdockd.js; do
  ln -sf "$PWD/$bin" "/usr/local/bin/$(basename "$bin" .js)"
done
node packages/testkit/dist/src/cli.js fixtures >/dev/null
tdock --version
tdockd --version

# Start tdockd on its default socket (unless one already answers), then load the kit's busybox,
# made offline from Debian's busybox-static, and run a container from it.
if ! tdock version >/dev/null 2>&1; then
  nohup tdockd >/var/log/tdockd.log 2>&1 &
  for _ in $(seq 1 150); do tdock version >/dev/null 2>&1 && break; sleep 0.2; done
  tdock version >/dev/null || { echo "tdockd did not start; see /var/log/tdockd.log" >&2; exit 1; }
fi
archive=$(node --input-type=module -e "import { fixtures } from '@tdock/testkit'; console.log((await fixtures()).busybox.saveArchive)")
tdock load -i "$archive"
tdock run --rm --pull never kit/busybox:latest echo "hello from a tdock container"
