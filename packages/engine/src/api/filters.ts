// moby's filter matching (api/types/filters Args), for services that implement list and event filters.
import type { Filters } from './query.js';

/** `ExactMatch`: true when the key has no values, else when `source` is one of them. */
export function exactMatch(f: Filters, key: string, source: string): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return true;
  return vals.includes(source);
}

/** `FuzzyMatch`: like exactMatch, but a value that is a prefix of `source` matches too. */
export function fuzzyMatch(f: Filters, key: string, source: string): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return true;
  return vals.some((v) => source === v || source.startsWith(v));
}

/** `MatchKVList`: every `k` / `k=v` value must be present in `sources` (AND). */
export function matchKVList(f: Filters, key: string, sources: Record<string, string> | undefined): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return true;
  if (!sources || Object.keys(sources).length === 0) return false;
  return vals.every((value) => {
    const i = value.indexOf('=');
    const k = i < 0 ? value : value.slice(0, i);
    if (!Object.prototype.hasOwnProperty.call(sources, k)) return false;
    return i < 0 || sources[k] === value.slice(i + 1);
  });
}

/** moby's `label!` (prune filters): true when none of the `k` / `k=v` values match. */
export function matchNotKVList(f: Filters, key: string, sources: Record<string, string> | undefined): boolean {
  const vals = f.get(key);
  if (!vals || vals.length === 0) return true;
  return !vals.some((value) => {
    const i = value.indexOf('=');
    const k = i < 0 ? value : value.slice(0, i);
    if (!sources || !Object.prototype.hasOwnProperty.call(sources, k)) return false;
    return i < 0 || sources[k] === value.slice(i + 1);
  });
}
