import { StatusError } from './exit.js';

/** `--filter k=v` flags to the Engine API `filters` JSON (map of sets, as the docker CLI sends). */
export function filtersJson(items: string[]): string | undefined {
  if (items.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new StatusError(125, `invalid argument "${item}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = item.slice(0, eq).trim().toLowerCase();
    (out[key] ??= {})[item.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}
