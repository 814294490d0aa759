// Linux capabilities: the name <-> bit table, Docker's default set and its cap-add/cap-drop
// rules (moby daemon/pkg/oci/caps), and the bitmasks the init hands to capset(2) through sys.
import { TdockError } from '@tdock/core';

/** Every capability the kernel knows (Linux 5.9+), indexed by its bit number. */
export const CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** The highest capability bit in {@link CAPABILITIES} (CAP_CHECKPOINT_RESTORE = 40). */
export const CAP_LAST_CAP = CAPABILITIES.length - 1;

/** Docker's default capability set (moby `caps.DefaultCapabilities`), in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** The bit number of a capability name (`CAP_` prefix required, exact case), or undefined. */
export function capabilityBit(name: string): number | undefined {
  const i = CAPABILITIES.indexOf(name);
  return i < 0 ? undefined : i;
}

/** A capability set as a 64-bit mask (bit n = capability n). Unknown names throw invalid-argument. */
export function capMask(names: Iterable<string>): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = capabilityBit(name);
    if (bit === undefined) throw new TdockError('invalid-argument', `unknown capability: "${name}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** The capability names set in a mask, in bit order (bits above {@link CAP_LAST_CAP} ignored). */
export function capNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** A mask as `/proc/<pid>/status` prints it (`CapEff:\t00000000a80425fb`): 16 hex digits. */
export function formatCapMask(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}

/** The five capability masks of a `/proc/<pid>/status` text (CapInh, CapPrm, CapEff, CapBnd, CapAmb). */
export interface ProcCapabilities {
  inheritable: bigint;
  permitted: bigint;
  effective: bigint;
  bounding: bigint;
  ambient: bigint;
}

/** Parses the Cap* lines of a `/proc/<pid>/status` text; a missing line reads as 0. */
export function parseProcStatusCaps(statusText: string): ProcCapabilities {
  const get = (key: string): bigint => {
    const m = new RegExp(`^${key}:\\s*([0-9a-fA-F]+)\\s*$`, 'm').exec(statusText);
    return m ? BigInt(`0x${m[1]}`) : 0n;
  };
  return {
    inheritable: get('CapInh'),
    permitted: get('CapPrm'),
    effective: get('CapEff'),
    bounding: get('CapBnd'),
    ambient: get('CapAmb'),
  };
}

/**
 * Upper-cases, adds the `CAP_` prefix, and validates cap-add/cap-drop entries, as moby's
 * `NormalizeLegacyCapabilities`. `ALL` (any case) passes through as `ALL`.
 * @param available the capabilities this environment can grant (moby: the daemon's own CapEff);
 *   a known capability outside it fails with Docker's "not supported" message.
 */
export function normalizeCapabilities(caps: readonly string[], available: readonly string[] = CAPABILITIES): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.toUpperCase();
    if (c === 'ALL') {
      out.push(c);
      continue;
    }
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!CAPABILITIES.includes(c)) throw new TdockError('invalid-argument', `unknown capability: "${c}"`);
    if (!available.includes(c)) {
      throw new TdockError(
        'invalid-argument',
        `capability not supported by your kernel or not available in the current environment: "${c}"`,
      );
    }
    out.push(c);
  }
  return out;
}

/** Inputs of {@link tweakCapabilities}. */
export interface CapabilityTweak {
  /** The base set; Docker's {@link DEFAULT_CAPABILITIES} unless the caller overrides it. */
  basics?: readonly string[];
  /** `--cap-add` entries, any case, with or without `CAP_`, or `ALL`. */
  add?: readonly string[];
  /** `--cap-drop` entries, same forms. */
  drop?: readonly string[];
  /** `--privileged`: every available capability, add and drop ignored. */
  privileged?: boolean;
  /**
   * What the environment can grant, in bit order (moby reads the daemon's CapEff). Defaults to
   * every known capability; pass `capNames(parseProcStatusCaps(status).effective)` to match Docker
   * exactly on hosts that lack some (this VM's root lacks CAP_SYS_RESOURCE).
   */
  available?: readonly string[];
}

/**
 * The container's capability list, exactly as moby's `caps.TweakCapabilities`: privileged gets
 * every available capability; `ALL` in add gives everything available except what drop names;
 * `ALL` in drop keeps only what add names; otherwise basics minus drop, then plus add (duplicates
 * kept as Docker keeps them; {@link capMask} folds them).
 * @throws TdockError invalid-argument for unknown or unavailable capabilities, in Docker's wording.
 */
export function tweakCapabilities(tweak: CapabilityTweak): string[] {
  const available = tweak.available ?? CAPABILITIES;
  const basics = tweak.basics ?? DEFAULT_CAPABILITIES;
  const adds = tweak.add ?? [];
  const drops = tweak.drop ?? [];
  if (tweak.privileged) return [...available];
  if (adds.length === 0 && drops.length === 0) return [...basics];
  const capDrop = normalizeCapabilities(drops, available);
  const capAdd = normalizeCapabilities(adds, available);
  if (capAdd.includes('ALL')) return available.filter((c) => !capDrop.includes(c));
  if (capDrop.includes('ALL')) return capAdd;
  return [...basics.filter((c) => !capDrop.includes(c)), ...capAdd];
}
