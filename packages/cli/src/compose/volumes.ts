import { isAbsolute, join, resolve } from 'node:path';
import { invalidArgument } from '@tdock/core';
import { parseBytes } from './units.js';
import type { ServiceVolume, YamlValue } from './types.js';

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

/** True when a short-syntax source names a host path rather than a volume (compose-go `isFilePath`). */
export function isBindSource(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || /^[a-zA-Z]:[\\/]/.test(source);
}

/**
 * Parses the short volume syntax `[SOURCE:]TARGET[:MODE]`. The source is left as written (see
 * {@link resolveVolumePaths}); a single path is an anonymous volume.
 */
export function parseVolumeString(spec: string): ServiceVolume {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw invalidArgument(`invalid spec: ${spec}: too many colons`);
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, modeStr] = parts as [string, string, string | undefined];
  const vol: ServiceVolume = isBindSource(source)
    ? { type: 'bind', source, target, bind: { create_host_path: true } }
    : { type: 'volume', source, target, volume: {} };
  if (modeStr !== undefined) {
    for (const m of modeStr.split(',')) {
      if (!MODES.has(m)) throw invalidArgument(`invalid spec: ${spec}: unknown option: ${m}`);
      if (m === 'ro') vol.read_only = true;
      else if (m === 'z' || m === 'Z') vol.bind = { ...(vol.bind ?? {}), selinux: m };
      else if (m === 'nocopy') vol.volume = { ...(vol.volume ?? {}), nocopy: true };
      else if (m === 'cached' || m === 'delegated' || m === 'consistent') vol.consistency = m;
      else if (PROPAGATION.has(m)) vol.bind = { ...(vol.bind ?? {}), propagation: m };
    }
  }
  return vol;
}

function asRecord(v: YamlValue | undefined): Record<string, YamlValue> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

/** Parses one `volumes:` entry (short string or long mapping). */
export function parseVolumeEntry(v: YamlValue): ServiceVolume {
  if (typeof v === 'string') return parseVolumeString(v);
  const m = asRecord(v);
  const type = String(m['type'] ?? 'volume') as ServiceVolume['type'];
  const target = m['target'];
  if (typeof target !== 'string' || target === '') throw invalidArgument(`invalid mount config: field target must not be empty`);
  const vol: ServiceVolume = { type, target };
  if (typeof m['source'] === 'string' && m['source'] !== '') vol.source = m['source'];
  if (m['read_only'] !== undefined) vol.read_only = m['read_only'] === true || m['read_only'] === 'true';
  if (typeof m['consistency'] === 'string') vol.consistency = m['consistency'];
  const bind = asRecord(m['bind']);
  if (type === 'bind') {
    // Only the short syntax implies create_host_path (spec §volumes long syntax).
    vol.bind = {};
    if (bind['create_host_path'] !== undefined) vol.bind.create_host_path = bind['create_host_path'] === true || bind['create_host_path'] === 'true';
    if (typeof bind['propagation'] === 'string') vol.bind.propagation = bind['propagation'];
    if (typeof bind['selinux'] === 'string') vol.bind.selinux = bind['selinux'];
  }
  const volume = asRecord(m['volume']);
  if (type === 'volume' && Object.keys(volume).length > 0) {
    vol.volume = {};
    if (volume['nocopy'] !== undefined) vol.volume.nocopy = volume['nocopy'] === true;
    if (typeof volume['subpath'] === 'string') vol.volume.subpath = volume['subpath'];
  }
  const tmpfs = asRecord(m['tmpfs']);
  if (type === 'tmpfs' && Object.keys(tmpfs).length > 0) {
    vol.tmpfs = {};
    if (tmpfs['size'] !== undefined) vol.tmpfs.size = parseBytes(tmpfs['size']);
    if (tmpfs['mode'] !== undefined) vol.tmpfs.mode = typeof tmpfs['mode'] === 'number' ? tmpfs['mode'] : parseInt(String(tmpfs['mode']), 8);
  }
  return vol;
}

/** The merge key of a volume entry: its target (spec 13-merge.md). */
export function volumeKey(v: YamlValue): string {
  try {
    return parseVolumeEntry(v).target;
  } catch {
    return JSON.stringify(v);
  }
}

/** Resolves a bind source against the project directory; `~` is the user's home. */
export function resolveHostPath(source: string, projectDir: string, home: string | undefined): string {
  if (source === '~' || source.startsWith('~/')) {
    if (home === undefined) throw invalidArgument(`cannot resolve ${source}: HOME is not set`);
    return join(home, source.slice(1));
  }
  return isAbsolute(source) ? source : resolve(projectDir, source);
}
