// The init stage (DESIGN §4): a fresh `node` process, spawned by the shim as PID 1 of a new PID namespace,
// that turns itself into the container and execs the user's program. One small CommonJS file; sync calls
// on the main thread only (namespace changes are per thread); every module is loaded before pivot_root.
// It talks to the shim over fd 3, one JSON object per line (plan.cts): plan in, ready out, go in,
// created out, start in, then execve (fd 3 is close-on-exec, so EOF tells the shim the exec succeeded)
// or an error out and exit 127/126 the way Docker reports it.
import fs = require('node:fs');
import path = require('node:path');
import { SysError } from '../sys/libc.cjs';
import { MS, MNT, mount, mountOverlay, umount } from '../sys/mount.cjs';
import { O, S_IF, mknod, openInRoot, close, setLinkUp } from '../sys/fs.cjs';
import * as proc from '../sys/proc.cjs';
import { openPtyAt, setControllingTerminal } from '../sys/pty.cjs';
import { sendFdOn } from '../sys/socket.cjs';
import { CONSOLE_FD, type ExecPlan, type InitMessage, type InitPlan, type PlannedMount, type ProcessPlan, type ShimMessage } from './plan.cjs';

const SYNC_FD = 3;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A step failure that carries the exit code the shim should report (127/126 for exec, as Docker). */
class StepError extends Error {
  constructor(message: string, readonly exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function syncChannel(fd: number): { send(msg: InitMessage): void; recv(): ShimMessage } {
  const chunks: Buffer[] = [];
  return {
    send(msg) {
      fs.writeSync(fd, `${JSON.stringify(msg)}\n`);
    },
    recv() {
      for (;;) {
        const all = Buffer.concat(chunks);
        const nl = all.indexOf(10);
        if (nl >= 0) {
          chunks.length = 0;
          chunks.push(all.subarray(nl + 1));
          return JSON.parse(all.subarray(0, nl).toString('utf8')) as ShimMessage;
        }
        const buf = Buffer.alloc(65536);
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) throw new Error('sync pipe closed by the shim');
        chunks.length = 0;
        chunks.push(all, buf.subarray(0, n));
      }
    },
  };
}

/** Opens `dest` inside `root` with O_PATH, creating missing directories (and a final file) without following escapes. */
function openCreatingInRoot(root: string, dest: string, asFile: boolean): number {
  const parts = dest.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 1; i <= parts.length; i++) {
    const sub = `/${parts.slice(0, i).join('/')}`;
    try {
      close(openInRoot(root, sub, O.PATH));
      continue;
    } catch (err) {
      if (!(err instanceof SysError) || err.code !== 'ENOENT') throw err;
    }
    const parentFd = openInRoot(root, `/${parts.slice(0, i - 1).join('/')}`, O.PATH | O.DIRECTORY);
    const parent = fs.readlinkSync(`/proc/self/fd/${parentFd}`);
    close(parentFd);
    const created = path.join(parent, parts[i - 1] as string);
    if (i === parts.length && asFile) fs.closeSync(fs.openSync(created, 'a', 0o644));
    else fs.mkdirSync(created, { mode: 0o755 });
  }
  return openInRoot(root, `/${parts.join('/')}`, O.PATH);
}

function mountOne(root: string, m: PlannedMount): void {
  let fd = openCreatingInRoot(root, m.destination, m.sourceIsFile);
  try {
    const target = `/proc/self/fd/${fd}`;
    mount(m.source, target, m.type === 'bind' ? null : m.type, m.flags, m.data === '' ? null : m.data);
    if (m.remountFlags === 0 && m.propagation === 0) return;
    close(fd);
    fd = openInRoot(root, m.destination, O.PATH); // now the new mount, not the directory under it
    const onTop = `/proc/self/fd/${fd}`;
    if (m.remountFlags !== 0) mount(null, onTop, null, MS.BIND | MS.REMOUNT | m.remountFlags, null);
    if (m.propagation !== 0) mount(null, onTop, null, m.propagation, null);
  } finally {
    close(fd);
  }
}

function setupDev(root: string): void {
  const dev = path.join(root, 'dev');
  const nodes: [string, number, number][] = [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]];
  for (const [name, major, minor] of nodes) {
    try {
      mknod(path.join(dev, name), S_IF.CHR, 0o666, major, minor);
    } catch (err) {
      if (!(err instanceof SysError) || err.code !== 'EEXIST') throw err;
    }
  }
  const links: [string, string][] = [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'], ['core', '/proc/kcore'], ['ptmx', 'pts/ptmx']];
  for (const [name, target] of links) {
    try {
      fs.symlinkSync(target, path.join(dev, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function maskPath(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return;
  }
  if (st.isDirectory()) mount('tmpfs', p, 'tmpfs', MS.RDONLY, null);
  else mount('/dev/null', p, null, MS.BIND, null);
}

function readonlyPath(p: string): void {
  if (!fs.existsSync(p)) return;
  mount(p, p, null, MS.BIND | MS.REC, null);
  mount(null, p, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.REC, null);
}

function findProgram(name: string, env: readonly string[]): string {
  if (name.includes('/')) return name;
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = path.join(dir === '' ? '.' : dir, name);
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  throw new StepError(`exec: "${name}": executable file not found in $PATH`, 127);
}

const NS_FLAGS = { network: proc.CLONE.NEWNET, ipc: proc.CLONE.NEWIPC, uts: proc.CLONE.NEWUTS, mount: proc.CLONE.NEWNS, cgroup: proc.CLONE.NEWCGROUP } as const;

/** Step 8: rlimits, oom_score_adj, bounding set, ids, capabilities, no_new_privs, seccomp (runc's order). */
function applySecurity(plan: ProcessPlan & { oomScoreAdj?: number }, lastCap: number): void {
  for (const r of plan.rlimits) {
    const res = proc.RLIMIT[r.type];
    if (res === undefined) throw new Error(`unknown rlimit ${r.type}`);
    proc.setrlimit(res, { soft: BigInt(r.soft), hard: BigInt(r.hard) });
  }
  if (plan.oomScoreAdj !== undefined) fs.writeFileSync('/proc/self/oom_score_adj', String(plan.oomScoreAdj));
  const seccomp = plan.seccomp === undefined ? undefined : Buffer.from(plan.seccomp, 'base64');
  if (plan.caps !== undefined) {
    const bounding = BigInt(plan.caps.bounding);
    for (let c = 0; c <= lastCap; c++) if (((bounding >> BigInt(c)) & 1n) === 0n) proc.prctl(proc.PR.CAPBSET_DROP, c);
    proc.prctl(proc.PR.CAP_AMBIENT, proc.PR.CAP_AMBIENT_CLEAR_ALL);
  }
  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it before the capabilities go.
  if (seccomp !== undefined && !plan.noNewPrivileges) proc.seccompSetFilter(seccomp, plan.seccompFlags);
  if (plan.uid !== 0) proc.prctl(proc.PR.SET_KEEPCAPS, 1);
  proc.setgroups(plan.additionalGids);
  proc.setresgid(plan.gid);
  proc.setresuid(plan.uid);
  if (plan.caps !== undefined) {
    proc.capset({ effective: BigInt(plan.caps.effective), permitted: BigInt(plan.caps.permitted), inheritable: BigInt(plan.caps.inheritable) });
    const ambient = BigInt(plan.caps.ambient);
    for (let c = 0; c <= lastCap; c++) if ((ambient >> BigInt(c)) & 1n) proc.prctl(proc.PR.CAP_AMBIENT, proc.PR.CAP_AMBIENT_RAISE, c);
  }
  if (plan.noNewPrivileges) proc.prctl(proc.PR.SET_NO_NEW_PRIVS, 1);
  if (seccomp !== undefined && plan.noNewPrivileges) proc.seccompSetFilter(seccomp, plan.seccompFlags);
}

/** Step 9: working directory, stdio without close-on-exec, everything else closed on exec, execve. */
function execProgram(plan: ProcessPlan): never {
  try {
    proc.chdir(plan.cwd);
  } catch (err) {
    throw new StepError(`chdir to cwd ("${plan.cwd}") set in config.json failed: ${(err as Error).message}`, 128, { cause: err });
  }
  const program = findProgram(plan.args[0] ?? '', plan.env);
  for (const fd of [0, 1, 2]) {
    proc.setCloexec(fd, false);
    proc.fcntl(fd, proc.F.SETFL, proc.fcntl(fd, proc.F.GETFL) & ~O.NONBLOCK);
  }
  proc.closeRange(SYNC_FD, 0xffffffff, proc.CLOSE_RANGE.CLOEXEC);
  try {
    return proc.execve(program, plan.args, plan.env);
  } catch (err) {
    const code = err instanceof SysError ? err.code : '';
    const exitCode = code === 'ENOENT' || code === 'ENOTDIR' ? 127 : 126;
    const what = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new StepError(`exec: "${plan.args[0] ?? ''}": ${what}`, exitCode, { cause: err });
  }
}

/**
 * The terminal, as runc's setupConsole: a pty from the container's own devpts (`/dev/ptmx`, normally a
 * symlink to `pts/ptmx` of a `newinstance` mount), so `tty` says `/dev/pts/N`; the slave becomes stdio
 * 0..2 and the master goes to the shim on CONSOLE_FD (SCM_RIGHTS), announced on the sync channel.
 */
function openConsole(plan: ProcessPlan, ch: Pick<Channel, 'send'>): string {
  const pty = openPtyAt('/dev/ptmx', plan.consoleSize);
  try {
    for (const fd of [0, 1, 2]) proc.dup3(pty.slave, fd);
    sendFdOn(CONSOLE_FD, pty.master, pty.slavePath);
    ch.send({ console: true, path: pty.slavePath });
  } finally {
    close(pty.master);
    close(pty.slave);
    fs.closeSync(CONSOLE_FD);
  }
  // The process owns its terminal (runc's fixStdioPermissions), so a non-root user can reopen it.
  if (plan.uid !== 0) fs.fchownSync(0, plan.uid, fs.fstatSync(0).gid);
  return pty.slavePath;
}

function joinCgroups(fds: number[]): void {
  for (const fd of fds) {
    fs.writeSync(fd, '0');
    fs.closeSync(fd);
  }
}

type Step = { name: string };

/** The container's init: DESIGN §4 steps 2 to 9. */
function containerInit(plan: InitPlan, ch: Channel, step: Step, t0: number): never {
  step.name = 'namespaces';
  const cgroupFds = plan.cgroupProcs.map((p) => fs.openSync(p, 'w'));
  proc.prctl(proc.PR.SET_DUMPABLE, 0);
  const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const joins = plan.namespaces.filter((n) => n.path !== undefined && n.type !== 'mount').map((n) => ({ type: n.type, fd: fs.openSync(n.path as string, 'r') }));
  let flags = proc.CLONE.NEWNS;
  for (const n of plan.namespaces) if (n.path === undefined && n.type !== 'cgroup') flags |= NS_FLAGS[n.type];
  proc.unshare(flags);
  for (const j of joins) {
    proc.setns(j.fd, NS_FLAGS[j.type]);
    fs.closeSync(j.fd);
  }
  if (flags & proc.CLONE.NEWNET) setLinkUp('lo');

  step.name = 'handshake';
  ch.send({ ready: true, pid: proc.getpid() });
  ch.wait();

  step.name = 'mounts';
  const root = plan.merged;
  mount(null, '/', null, MS.REC | MS.PRIVATE, null);
  if (plan.rootfs.type === 'overlay') mountOverlay(plan.rootfs, root);
  else mount(plan.rootfs.source, root, null, MS.BIND | MS.REC, null);
  for (const m of plan.mounts) mountOne(root, m);
  if (plan.defaultDevices) setupDev(root);
  close(openCreatingInRoot(root, plan.cwd, false));

  step.name = 'pivot_root';
  proc.chdir(root);
  proc.pivotRoot('.', '.');
  umount('.', MNT.DETACH);
  proc.chdir('/');
  if (plan.terminal) {
    step.name = 'console';
    const slavePath = openConsole(plan, ch);
    mountOne('/', { destination: '/dev/console', type: 'bind', source: slavePath, flags: MS.BIND, remountFlags: 0, propagation: 0, data: '', sourceIsFile: true });
    step.name = 'pivot_root';
  }
  for (const [key, value] of Object.entries(plan.sysctl)) fs.writeFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, value);
  for (const p of plan.maskedPaths) maskPath(p);
  for (const p of plan.readonlyPaths) readonlyPath(p);
  if (plan.readonlyRootfs) mount(null, '/', null, MS.BIND | MS.REMOUNT | MS.RDONLY, null);

  step.name = 'hostname';
  if (plan.hostname !== undefined) proc.sethostname(plan.hostname);
  if (plan.domainname !== undefined) proc.setdomainname(plan.domainname);
  proc.setsid();
  if (plan.terminal) setControllingTerminal(0);

  step.name = 'created';
  ch.send({ created: true, workMs: Math.round((performance.now() - t0 - ch.waited()) * 100) / 100 });
  ch.wait();

  step.name = 'cgroups';
  joinCgroups(cgroupFds);
  if (plan.namespaces.some((n) => n.type === 'cgroup' && n.path === undefined)) proc.unshare(proc.CLONE.NEWCGROUP);

  step.name = 'security';
  applySecurity(plan, lastCap);
  step.name = 'exec';
  return execProgram(plan);
}

const EXEC_NS_FLAGS = { ipc: proc.CLONE.NEWIPC, uts: proc.CLONE.NEWUTS, net: proc.CLONE.NEWNET, cgroup: proc.CLONE.NEWCGROUP, mnt: proc.CLONE.NEWNS } as const;

/** An exec into a running container (DESIGN §4 exec path); the shim spawned us in its PID namespace. */
function execInit(plan: ExecPlan, ch: Channel, step: Step): never {
  step.name = 'namespaces';
  const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const nsFds = plan.namespaces.map((ns) => ({ ns, fd: fs.openSync(`/proc/${plan.pid}/ns/${ns}`, 'r') }));
  proc.prctl(proc.PR.SET_DUMPABLE, 0);
  step.name = 'cgroups';
  joinCgroups(plan.cgroupProcs.map((p) => fs.openSync(p, 'w')));
  step.name = 'namespaces';
  proc.unshare(proc.CLONE.FS); // setns into a mount namespace needs a private fs_struct
  for (const { ns, fd } of nsFds) {
    proc.setns(fd, EXEC_NS_FLAGS[ns]);
    fs.closeSync(fd);
  }
  if (plan.terminal) {
    step.name = 'console';
    openConsole(plan, ch);
    proc.setsid();
    setControllingTerminal(0);
  }
  step.name = 'security';
  applySecurity(plan, lastCap);
  step.name = 'exec';
  return execProgram(plan);
}

interface Channel {
  send(msg: InitMessage): void;
  recv(): ShimMessage;
  /** recv(), counting the time spent blocked. */
  wait(): ShimMessage;
  waited(): number;
}

function main(): void {
  process.title = 'tdock-init';
  const t0 = performance.now();
  const raw = syncChannel(SYNC_FD);
  let waited = 0;
  const ch: Channel = {
    ...raw,
    wait() {
      const w = performance.now();
      const msg = raw.recv();
      waited += performance.now() - w;
      return msg;
    },
    waited: () => waited,
  };
  const step: Step = { name: 'receive plan' };
  try {
    proc.fcntl(SYNC_FD, proc.F.SETFL, 0); // blocking reads
    if (process.argv[2] === '--pooled') ch.send({ loaded: true });
    const first = ch.wait();
    if ('plan' in first) containerInit(first.plan, ch, step, t0);
    else if ('exec' in first) execInit(first.exec, ch, step);
    else throw new Error('expected a plan');
  } catch (err) {
    const e = err as Error & { code?: string; errno?: number };
    const exitCode = err instanceof StepError ? err.exitCode : 1;
    const cause = (e.cause ?? e) as { code?: string; errno?: number };
    try {
      ch.send({ error: { step: step.name, message: e.message, code: cause.code, errno: cause.errno, exitCode } });
    } catch {
      // the shim is gone; nothing to report to
    }
    process.exit(exitCode);
  }
}

main();
