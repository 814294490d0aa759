import { API_VERSION, MIN_API_VERSION } from '@tdock/core';

/** The path with any `/vX.Y` prefix removed, and the version it named (undefined when unversioned). */
export interface VersionedPath {
  version: string | undefined;
  path: string;
}

const PREFIX = /^\/v([0-9][0-9.]*)(\/.*)?$/;

/** Splits `/v1.47/containers/json?x` into `{version: '1.47', path: '/containers/json?x'}` (moby's `/v{version:[0-9.]+}`). */
export function splitVersionPrefix(url: string): VersionedPath {
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  const m = PREFIX.exec(pathPart);
  if (!m) return { version: undefined, path: url };
  return { version: m[1], path: (m[2] ?? '/') + (q < 0 ? '' : url.slice(q)) };
}

/** Compares dotted versions numerically like moby's `versions.compare`: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = i < pa.length ? Number.parseInt(pa[i], 10) || 0 : 0;
    const y = i < pb.length ? Number.parseInt(pb[i], 10) || 0 : 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** True when `version` >= `min`. */
export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

/** moby's versionUnsupportedError message for a version outside [MIN_API_VERSION, API_VERSION], or undefined. */
export function unsupportedVersionMessage(version: string): string | undefined {
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    return `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  }
  if (compareVersions(version, API_VERSION) > 0) {
    return `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`;
  }
  return undefined;
}

/** Headers moby's version middleware puts on every response. */
export function versionHeaders(serverVersion: string): Record<string, string> {
  return { 'Api-Version': API_VERSION, Ostype: 'linux', Server: `tdock/${serverVersion} (linux)` };
}
