// The data the init passes to the kernel for an OCI `process.capabilities` object: which bounding
// bits to drop, the capset(2) header and data structs as bytes, and the ambient bits to raise.
import { CAP_LAST_CAP, capMask } from './capabilities.js';

/** `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets as two 32-bit data structs. */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** OCI runtime-spec `process.capabilities`: capability names (`CAP_` prefixed) per set. */
export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/**
 * What the init does with capabilities, in this order (DESIGN §4 step 8, runc's order):
 * 1. `prctl(PR_CAPBSET_DROP, bit)` for every bit of {@link dropBounding} (needs CAP_SETPCAP, so
 *    before the user change);
 * 2. `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`;
 * 3. for a non-root user: `prctl(PR_SET_KEEPCAPS, 1)`, setgroups/setresgid/setresuid, then
 *    `prctl(PR_SET_KEEPCAPS, 0)`;
 * 4. `capset(capsetHeader, capsetData)`;
 * 5. `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, bit)` for each bit of {@link ambient}.
 */
export interface CapabilityPlan {
  /** Bits 0..lastCap that are not in the bounding set, ascending. */
  dropBounding: number[];
  /** Ambient bits to raise after capset, ascending. */
  ambient: number[];
  /** `struct __user_cap_header_struct { u32 version; int pid; }`: version 3, pid 0. 8 bytes, little-endian (every supported arch is). */
  capsetHeader: Buffer;
  /**
   * `struct __user_cap_data_struct { u32 effective, permitted, inheritable; } [2]`: bits 0-31 in
   * the first struct, 32-63 in the second. 24 bytes, little-endian.
   */
  capsetData: Buffer;
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambientMask: bigint;
}

function maskOf(names: readonly string[] | undefined, limit: bigint): bigint {
  return capMask(names ?? []) & limit;
}

function bitsOf(mask: bigint): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 64; bit++) if ((mask >> BigInt(bit)) & 1n) out.push(bit);
  return out;
}

/**
 * The {@link CapabilityPlan} for an OCI capabilities object.
 * @param lastCap the kernel's `/proc/sys/kernel/cap_last_cap`; capabilities above it are skipped, as
 *   runc skips capabilities the kernel does not know.
 * @throws TdockError invalid-argument for a name that is no capability at all.
 */
export function capabilityPlan(caps: LinuxCapabilities, lastCap: number = CAP_LAST_CAP): CapabilityPlan {
  const limit = (1n << BigInt(lastCap + 1)) - 1n;
  const bounding = maskOf(caps.bounding, limit);
  const effective = maskOf(caps.effective, limit);
  const permitted = maskOf(caps.permitted, limit);
  const inheritable = maskOf(caps.inheritable, limit);
  const ambientMask = maskOf(caps.ambient, limit);
  return {
    dropBounding: bitsOf(limit & ~bounding),
    ambient: bitsOf(ambientMask),
    capsetHeader: capsetHeader(),
    capsetData: capsetData(effective, permitted, inheritable),
    bounding,
    effective,
    permitted,
    inheritable,
    ambientMask,
  };
}

/** The capset(2)/capget(2) header for version 3 and the calling thread (pid 0). */
export function capsetHeader(pid = 0): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  buf.writeInt32LE(pid, 4);
  return buf;
}

/** The two version-3 data structs for three 64-bit masks. */
export function capsetData(effective: bigint, permitted: bigint, inheritable: bigint): Buffer {
  const buf = Buffer.alloc(24);
  const lo = (m: bigint): number => Number(m & 0xffffffffn);
  const hi = (m: bigint): number => Number((m >> 32n) & 0xffffffffn);
  buf.writeUInt32LE(lo(effective), 0);
  buf.writeUInt32LE(lo(permitted), 4);
  buf.writeUInt32LE(lo(inheritable), 8);
  buf.writeUInt32LE(hi(effective), 12);
  buf.writeUInt32LE(hi(permitted), 16);
  buf.writeUInt32LE(hi(inheritable), 20);
  return buf;
}
