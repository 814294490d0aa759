// The runtime's process entries (shim, init) exist twice: compiled by tsc, and bundled into one
// CommonJS file each by scripts/bundle-runtime.mjs, which start faster (docs/runtime.md, "Start-up").
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bundle when it is at least as new as the compiled entry (a plain `tsc -b` makes it stale), else the compiled entry. */
export function entryPath(compiled: URL, bundled: URL): string {
  const b = fs.statSync(bundled, { throwIfNoEntry: false })?.mtimeMs;
  const c = fs.statSync(compiled, { throwIfNoEntry: false })?.mtimeMs;
  return fileURLToPath(b !== undefined && (c === undefined || b >= c) ? bundled : compiled);
}
