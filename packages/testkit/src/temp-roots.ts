// tempRoots(): a short temporary data root and socket path, plus the injected names of DESIGN §9
// (cgroup parent, link prefix, nftables table, subnet, DNS address), and a cleanup() that removes
// everything made under them: processes, mounts, cgroups, links, the nftables table, the directory.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onProcessExit } from './proc.js';

/** Unix socket paths stop at 107 bytes (sun_path is 108 with the NUL). */
export const MAX_SOCKET_PATH = 107;

/** What {@link tempRoots} returns. Every name embeds `id`, so parallel suites do not collide. */
export interface TempRoots {
  /** 4 characters [a-z0-9], unique per call. */
  id: string;
  /** The temporary directory holding everything below (e.g. `/tmp/tdk-ab12-XXXXXX`). */
  dir: string;
  /** The daemon's data root (`<dir>/root`, created). */
  dataRoot: string;
  /** A directory for runtime state (`<dir>/run`, created), like dockerd's exec root. */
  execRoot: string;
  /** The daemon's API socket path (`<dir>/d.sock`, at most 107 bytes). */
  socket: string;
  /** Cgroup parent for every container: `tdock-test-<id>`. */
  cgroupParent: string;
  /** Prefix of every link/bridge/veth/netns created (`tdk<id>`, 7 chars; leaves 8 within the 15-char IFNAMSIZ). */
  linkPrefix: string;
  /** Name of the default bridge (`<linkPrefix>br0`). */
  bridgeName: string;
  /** The nftables table (`tdock_test_<id>`, any family). */
  nftTable: string;
  /** The default bridge's subnet, a /24 from 10.222.0.0/16 not routed on this host (e.g. `10.222.36.0/24`). */
  subnet: string;
  /** The bridge's gateway address (`.1` of `subnet`). */
  gateway: string;
  /** A /22 containing `subnet`, for user-defined networks (`subnet` is its first /24). */
  subnetPool: string;
  /** The address the engine's DNS server answers on for containers (the gateway). */
  dnsAddress: string;
  /** Removes every process, mount, cgroup, link, netns, nftables table and file made under these names. Idempotent. */
  cleanup(): Promise<void>;
}

/** Options of {@link tempRoots}. */
export interface TempRootsOptions {
  /**
   * Parent of the temporary directory (default `$TDOCK_TEST_BASE`, else `/tmp`; keep it short for
   * socket paths). The variable runs tests and benchmarks on another filesystem.
   */
  base?: string;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
  } catch {
    return '';
  }
}

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

/** Routes on the host as [network, prefix length] (IPv4 only). */
function hostRoutes(): [number, number][] {
  const out: [number, number][] = [];
  try {
    const routes = JSON.parse(sh('ip', ['-j', '-4', 'route', 'show', 'table', 'all']) || '[]') as { dst?: string }[];
    for (const r of routes) {
      if (!r.dst || r.dst === 'default') continue;
      const [addr, len] = r.dst.split('/');
      if (addr && /^\d+\.\d+\.\d+\.\d+$/.test(addr)) out.push([ipv4ToInt(addr), len ? Number(len) : 32]);
    }
  } catch { /* no routes known */ }
  return out;
}

function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  const len = Math.min(alen, blen);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** Picks a /22 from 10.222.0.0/16 that overlaps no host route. */
export function pickSubnetPool(routes: [number, number][] = hostRoutes(), rand: () => number = Math.random): string {
  const base = ipv4ToInt('10.222.0.0');
  const start = Math.floor(rand() * 64);
  for (let i = 0; i < 64; i++) {
    const k = (start + i) % 64;
    const net = base + k * 1024;
    if (!routes.some(([r, len]) => len > 0 && overlaps(net, 22, r, len))) return `10.222.${k * 4}.0/22`;
  }
  throw new Error('no free /22 in 10.222.0.0/16');
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4] ?? ''));
  return [...new Set(points.filter((p) => p === dir || p.startsWith(`${dir}/`)))].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** Cgroup mount roots (v1 controllers and the unified hierarchy). */
function cgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    const sep = l.indexOf(' - ');
    const fstype = l.slice(sep + 3).split(' ')[0];
    return fstype === 'cgroup' || fstype === 'cgroup2' ? [l.split(' ')[4] ?? ''] : [];
  });
}

/** Directories named `name` anywhere (depth <= 6) in every cgroup hierarchy. */
export function cgroupsNamed(name: string): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (e.name === name) found.push(p);
      else if (depth < 6) walk(p, depth + 1);
    }
  };
  for (const root of cgroupRoots()) walk(root, 0);
  return found;
}

function subdirsDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) if (e.isDirectory()) walk(join(d, e.name));
    out.push(d);
  };
  walk(dir);
  return out;
}

function killPid(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

function ancestors(): Set<number> {
  const set = new Set<number>([process.pid]);
  let pid = process.ppid;
  while (pid > 1 && !set.has(pid)) {
    set.add(pid);
    try { pid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { break; }
  }
  return set;
}

/** Inodes of the unix sockets bound at paths under `dir` (from /proc/net/unix). */
function socketInodesUnder(dir: string): Set<string> {
  const out = new Set<string>();
  let text: string;
  try { text = readFileSync('/proc/net/unix', 'utf8'); } catch { return out; }
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const path = cols[7];
    if (path !== undefined && path.startsWith(`${dir}/`)) out.add(cols[6]!);
  }
  return out;
}

/**
 * Kills every process whose cwd, root, exe or command line refers to `dir`, or that holds a file
 * under it or a unix socket bound there open (a daemon's shim renames itself and sits in `/`, but
 * keeps its socket in the exec root).
 */
export function killProcessesUnder(dir: string): number[] {
  const spared = ancestors();
  const sockets = socketInodesUnder(dir);
  const under = (t: string): boolean => t === dir || t.startsWith(`${dir}/`);
  const killed: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || spared.has(pid)) continue;
    const refers = ['cwd', 'root', 'exe'].some((l) => {
      try { return under(readlinkSync(`/proc/${pid}/${l}`)); } catch { return false; }
    }) || (() => {
      try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir); } catch { return false; }
    })() || (() => {
      let fds: string[];
      try { fds = readdirSync(`/proc/${pid}/fd`); } catch { return false; }
      return fds.some((fd) => {
        let t: string;
        try { t = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return false; }
        const inode = /^socket:\[(\d+)\]$/.exec(t)?.[1];
        return under(t) || (inode !== undefined && sockets.has(inode));
      });
    })();
    if (refers) { killPid(pid); killed.push(pid); }
  }
  return killed;
}

/** Kills the processes of a cgroup tree and removes its directories, deepest first. */
export function removeCgroupTree(top: string): void {
  const dirs = subdirsDeepestFirst(top);
  for (let attempt = 0; attempt < 50; attempt++) {
    let busy = false;
    for (const d of dirs) {
      if (!existsSync(d)) continue;
      try {
        const procs = readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        for (const p of procs) killPid(p);
        if (existsSync(join(d, 'freezer.state'))) { try { writeFileSync(join(d, 'freezer.state'), 'THAWED'); } catch { /* not frozen */ } }
        if (procs.length) busy = true;
      } catch { /* gone */ }
      try { rmdirSync(d); } catch { busy = true; }
    }
    if (!busy) return;
    execFileSync('sleep', ['0.05']);
  }
}

/** Synchronous cleanup of everything made under `r` (used by cleanup() and at process exit). */
export function cleanupRootsSync(r: Omit<TempRoots, 'cleanup'>): void {
  for (const cg of cgroupsNamed(r.cgroupParent)) removeCgroupTree(cg);
  killProcessesUnder(r.dir);
  for (const m of mountsUnder(r.dir)) sh('umount', ['-l', m]);
  for (const cg of cgroupsNamed(r.cgroupParent)) removeCgroupTree(cg);
  try {
    const links = JSON.parse(sh('ip', ['-j', 'link', 'show']) || '[]') as { ifname?: string }[];
    for (const l of links) if (l.ifname?.startsWith(r.linkPrefix)) sh('ip', ['link', 'delete', l.ifname]);
  } catch { /* no ip */ }
  for (const ns of sh('ip', ['netns', 'list']).split('\n').map((s) => s.split(' ')[0] ?? '')) {
    if (ns.startsWith(r.linkPrefix)) sh('ip', ['netns', 'delete', ns]);
  }
  try {
    const tables = (JSON.parse(sh('nft', ['-j', 'list', 'tables']) || '{"nftables":[]}') as { nftables: { table?: { family: string; name: string } }[] }).nftables;
    for (const t of tables) if (t.table?.name === r.nftTable) sh('nft', ['delete', 'table', t.table.family, t.table.name]);
  } catch { /* no nft */ }
  for (const m of mountsUnder(r.dir)) sh('umount', ['-l', m]);
  try { rmSync(r.dir, { recursive: true, force: true }); } catch { /* retried by the next cleanup */ }
}

/**
 * Creates a short temporary root (`/tmp/tdk-<id>-XXXXXX`) with `root/` and `run/`, a socket path
 * and the injected names; `cleanup()` (also run at process exit) removes everything made under them.
 */
export async function tempRoots(opts: TempRootsOptions = {}): Promise<TempRoots> {
  const id = randomBytes(8).toString('hex').replace(/[^a-z0-9]/g, '').slice(0, 4).padEnd(4, '0');
  const dir = mkdtempSync(join(opts.base ?? (process.env.TDOCK_TEST_BASE || '/tmp'), `tdk-${id}-`));
  const dataRoot = join(dir, 'root');
  const execRoot = join(dir, 'run');
  mkdirSync(dataRoot);
  mkdirSync(execRoot);
  const socket = join(dir, 'd.sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw new Error(`socket path too long: ${socket}`);
  const pool = pickSubnetPool();
  const third = pool.split('.')[2];
  const linkPrefix = `tdk${id}`;
  const names = {
    id, dir, dataRoot, execRoot, socket,
    cgroupParent: `tdock-test-${id}`,
    linkPrefix,
    bridgeName: `${linkPrefix}br0`,
    nftTable: `tdock_test_${id}`,
    subnet: `10.222.${third}.0/24`,
    gateway: `10.222.${third}.1`,
    subnetPool: pool,
    dnsAddress: `10.222.${third}.1`,
  };
  let done = false;
  const unregister = onProcessExit(() => cleanupRootsSync(names));
  return {
    ...names,
    async cleanup() {
      if (done) return;
      done = true;
      cleanupRootsSync(names);
      unregister();
    },
  };
}
