import { invalidArgument } from '@tdock/core';
import type { HostConfig, MountSpec } from '../api/types.js';
import type { OciMount, SpecOptions } from './types.js';

/** Docker's default mounts (moby oci/defaults.go), before ShmSize, user mounts and privileges apply. */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['rw', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['rw', 'nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['rw', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['rw', 'nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

/** Docker's default /dev/shm size when ShmSize is 0 (64 MiB). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/** A user mount before it becomes an OCI mount. */
export interface UserMount {
  destination: string;
  source: string;
  kind: 'bind' | 'volume' | 'tmpfs';
  writable: boolean;
  propagation?: string;
  nonRecursive?: boolean;
  /** tmpfs data options (`size=...,mode=...`). */
  data?: string;
}

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

function requireAbsolute(dst: string, spec: string): string {
  if (!dst.startsWith('/')) throw invalidArgument(`invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`);
  if (cleanPath(dst) === '/') throw invalidArgument(`invalid specification: destination can't be '/' in '${spec}'`);
  return cleanPath(dst);
}

/** Parses one `Binds` entry (`src:dst[:opts]`) like moby's linux parser. */
export function parseBind(spec: string, opts: SpecOptions): UserMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) throw invalidArgument(`invalid volume specification: '${spec}'`);
  const [src, dstRaw, modeRaw = ''] = parts;
  const destination = requireAbsolute(dstRaw, spec);
  let writable = true;
  let propagation: string | undefined;
  for (const m of modeRaw ? modeRaw.split(',') : []) {
    if (m === 'ro') writable = false;
    else if (m === 'rw') writable = true;
    else if (PROPAGATIONS.includes(m)) propagation = m;
    else if (m === 'z' || m === 'Z' || m === 'nocopy' || m === 'copy' || m === 'consistent' || m === 'cached' || m === 'delegated') continue;
    else throw invalidArgument(`invalid mode: ${m}`);
  }
  if (src.startsWith('/')) return { destination, source: cleanPath(src), kind: 'bind', writable, propagation: propagation ?? 'rprivate' };
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(src)) throw invalidArgument(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  if (!opts.volumePath) throw invalidArgument(`volume ${src} cannot be resolved`);
  return { destination, source: opts.volumePath(src), kind: 'volume', writable, ...(propagation ? { propagation } : {}) };
}

function tmpfsData(t: MountSpec['TmpfsOptions']): string {
  const out: string[] = [];
  if (t?.SizeBytes) out.push(`size=${t.SizeBytes}`);
  if (t?.Mode) out.push(`mode=${t.Mode.toString(8)}`);
  for (const o of t?.Options ?? []) out.push(o.length > 1 ? `${o[0]}=${o[1]}` : o[0]);
  return out.join(',');
}

/** Converts one `HostConfig.Mounts` entry. */
export function parseMount(m: MountSpec, opts: SpecOptions): UserMount {
  const target = requireAbsolute(m.Target ?? '', m.Target ?? '');
  const writable = !m.ReadOnly;
  switch (m.Type) {
    case 'bind':
      if (!m.Source || !m.Source.startsWith('/')) throw invalidArgument(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
      return { destination: target, source: cleanPath(m.Source), kind: 'bind', writable, propagation: m.BindOptions?.Propagation || 'rprivate', nonRecursive: m.BindOptions?.NonRecursive ?? false };
    case 'volume': {
      let source: string | undefined;
      if (m.Source) {
        if (!opts.volumePath) throw invalidArgument(`volume ${m.Source} cannot be resolved`);
        source = opts.volumePath(m.Source);
      } else source = opts.anonymousVolumes?.[target];
      if (!source) throw invalidArgument(`anonymous volume for ${target} was not created`);
      const sub = m.VolumeOptions?.Subpath;
      return { destination: target, source: sub ? `${source}/${cleanPath(sub).slice(1)}` : source, kind: 'volume', writable };
    }
    case 'tmpfs':
      if (m.Source) throw invalidArgument('invalid mount config for type "tmpfs": field Source must not be specified');
      return { destination: target, source: 'tmpfs', kind: 'tmpfs', writable, data: tmpfsData(m.TmpfsOptions) };
    default:
      throw invalidArgument(`invalid mount config: mount type unknown: "${m.Type ?? ''}"`);
  }
}

const FLAG_FAMILIES: Record<string, string> = {
  ro: 'rw', rw: 'rw', nosuid: 'suid', suid: 'suid', nodev: 'dev', dev: 'dev', noexec: 'exec', exec: 'exec',
  sync: 'sync', async: 'sync', noatime: 'atime', atime: 'atime', strictatime: 'atime', relatime: 'atime',
  nodiratime: 'diratime', diratime: 'diratime', private: 'prop', rprivate: 'prop', shared: 'prop', rshared: 'prop', slave: 'prop', rslave: 'prop',
};

/** moby `MergeTmpfsOptions`: later options win per flag family and per data key. */
export function mergeTmpfsOptions(options: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i];
    if (o === 'defaults' || o === '') continue;
    const key = FLAG_FAMILIES[o] ? `flag:${FLAG_FAMILIES[o]}` : `data:${o.split('=')[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(o);
  }
  return out;
}

/** The user's mounts (Binds, Mounts, Tmpfs, anonymous volumes) in Docker's precedence. */
export function userMounts(hc: HostConfig, volumes: string[], opts: SpecOptions): UserMount[] {
  const byDest = new Map<string, UserMount>();
  for (const dest of volumes) {
    const d = cleanPath(dest);
    const src = opts.anonymousVolumes?.[d] ?? opts.anonymousVolumes?.[dest];
    if (src) byDest.set(d, { destination: d, source: src, kind: 'volume', writable: true });
  }
  for (const b of hc.Binds ?? []) {
    const m = parseBind(b, opts);
    byDest.set(m.destination, m);
  }
  for (const spec of hc.Mounts ?? []) {
    const m = parseMount(spec, opts);
    if (byDest.has(m.destination) && (hc.Binds ?? []).some((b) => cleanPath(b.split(':')[1] ?? '') === m.destination)) throw invalidArgument(`Duplicate mount point: ${m.destination}`);
    byDest.set(m.destination, m);
  }
  for (const [dest, data] of Object.entries(hc.Tmpfs ?? {})) {
    const d = requireAbsolute(dest, dest);
    byDest.set(d, { destination: d, source: 'tmpfs', kind: 'tmpfs', writable: true, data });
  }
  return [...byDest.values()];
}

/** moby sortMounts: parents before children (fewer path components first), stable. */
export function sortMounts<T extends { destination: string }>(mounts: T[]): T[] {
  const depth = (p: string): number => cleanPath(p).split('/').length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map((x) => x.m);
}

/** A user mount as an OCI mount (moby withMounts). */
export function toOciMount(m: UserMount): OciMount {
  if (m.kind === 'tmpfs') {
    const options = mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...(m.data ? m.data.split(',') : []), ...(m.writable ? [] : ['ro'])]);
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options };
  }
  const options = [m.nonRecursive ? 'bind' : 'rbind'];
  if (!m.writable) options.push('ro');
  if (m.propagation) options.push(m.propagation);
  return { destination: m.destination, type: 'bind', source: m.source, options };
}
