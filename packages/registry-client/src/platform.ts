import type { Descriptor, Platform } from '@tdock/core';
import { TdockError } from '@tdock/core';
import { RegistryError } from './errors.js';

/** The platform a pull selects: `os`, `architecture` and optional `variant` (normalised). */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64', x86: '386', i386: '386', ia32: '386', x64: 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm',
};

/** containerd's platforms.Normalize: arch aliases, arm64's default `v8` dropped, arm's default `v7`. */
export function normalizePlatform(p: { os: string; architecture: string; variant?: string | undefined }): PlatformSpec {
  const os = p.os.toLowerCase();
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && variant !== undefined && /^\d$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * Parses `os/arch[/variant]` (also `os` alone or `arch` alone, as containerd does). Throws an
 * `invalid-argument` TdockError for anything else.
 */
export function parsePlatform(spec: string, host: PlatformSpec): PlatformSpec {
  const parts = spec.trim().split('/');
  if (parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p)) || parts.length > 3) {
    throw new TdockError('invalid-argument', `"${spec}": unknown operating system or architecture: invalid argument`);
  }
  const [a, b, c] = parts as [string, string?, string?];
  if (b === undefined) {
    const known = ['linux', 'windows', 'darwin', 'freebsd'];
    return known.includes(a.toLowerCase())
      ? normalizePlatform({ os: a, architecture: host.architecture, variant: host.variant })
      : normalizePlatform({ os: host.os, architecture: a });
  }
  return normalizePlatform({ os: a, architecture: b, variant: c });
}

/** `os/arch[/variant]` for messages. */
export function formatPlatform(p: PlatformSpec): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * The platform of this process, from Node's `process.platform`/`process.arch` (the caller passes
 * them, so the function stays pure): linux/amd64, linux/arm64, linux/arm/v7 ...
 */
export function hostPlatform(platform: string = process.platform, arch: string = process.arch, armVersion?: string): PlatformSpec {
  const os = platform === 'win32' ? 'windows' : platform;
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return normalizePlatform({ os, architecture: map[arch] ?? arch, ...(arch === 'arm' && armVersion ? { variant: `v${armVersion}` } : {}) });
}

/** Variants an `arm` platform can run, best first (containerd's Only matcher). */
function compatibleVariants(want: PlatformSpec): Array<string | undefined> {
  if (want.architecture === 'arm') {
    const order = ['v8', 'v7', 'v6', 'v5'];
    const from = order.indexOf(want.variant ?? 'v7');
    return from >= 0 ? order.slice(from) : [want.variant];
  }
  return [want.variant];
}

/**
 * Picks the manifest for `want` from an index's entries: exact os/arch/variant first, then older
 * compatible arm variants; entries without a platform and `unknown/unknown` entries (attestations)
 * never match. Throws NO_MATCHING_PLATFORM with Docker's wording when nothing matches.
 */
export function selectManifest(entries: readonly Descriptor[], want: PlatformSpec): Descriptor {
  const candidates = entries
    .filter((d) => d.platform && d.platform.os !== 'unknown')
    .map((d) => ({ d, p: normalizePlatform(d.platform as Platform) }));
  for (const variant of compatibleVariants(want)) {
    const hit = candidates.find(({ p }) => p.os === want.os && p.architecture === want.architecture && p.variant === variant);
    if (hit) return hit.d;
  }
  throw new RegistryError('NO_MATCHING_PLATFORM', `no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
}
